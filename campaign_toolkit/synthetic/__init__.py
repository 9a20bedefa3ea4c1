"""Deterministic synthetic portfolio with planted truths.

``generate(seed=...)`` returns ``(data, truth)``: ``data`` maps each canonical table
name to a DataFrame (campaigns, plan_lines, delivery, journeys, lift_tests,
agency_plans, media_mix) and ``truth`` holds what generated it, so that every
estimator can be tested against a known answer:

- ``truth["segments"]``: per-segment rate multipliers for clicks (CTR) and for
  conversions per impression, on top of a per-channel base rate and a per-campaign
  effect; the true channel-adjusted rate ratios follow directly from them.
- ``truth["simpson"]``: the planted Simpson's-paradox case: ages 18-24 convert *less*
  than other ages on every channel, but are bought mostly on paid search (the
  highest-converting channel), so their raw rate looks better.
- ``truth["lift_tests"]``: the true uplift of every lift test.
- ``truth["journeys"]``: per campaign, the absorbing Markov chain the journeys were
  drawn from and its exact removal effects.
- ``truth["media_mix"]``: adstock and saturation parameters of the weekly series.

Everything derives from one ``numpy.random.Generator`` seeded with ``seed``: the same
seed gives the same tables, bit for bit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import schema

DEFAULT_SEED = 20261203
AS_OF = pd.Timestamp("2026-11-30")  # last day of delivery in the shipped portfolio
FISCAL_YEARS = (2024, 2025, 2026)  # fiscal year starting April 1st of that year

ADVERTISERS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    # code: (name, [(campaign theme, objective)])
    "MSSS": ("Ministère de la Santé et des Services sociaux",
             [("Vaccination contre la grippe", "action"), ("Santé mentale : aller mieux", "consideration"),
              ("Prévention du tabagisme", "awareness")]),
    "MEQ": ("Ministère de l'Éducation",
            [("Valorisation de la profession enseignante", "awareness"), ("Inscription à la formation professionnelle", "action")]),
    "MTMD": ("Ministère des Transports et de la Mobilité durable",
             [("Chantiers routiers : prudence", "awareness"), ("Transport collectif", "consideration")]),
    "MELCCFP": ("Ministère de l'Environnement, de la Lutte contre les changements climatiques, de la Faune et des Parcs",
                [("Prévention des feux de forêt", "awareness"), ("Roulez vert : subvention", "action")]),
    "SAAQ": ("Société de l'assurance automobile du Québec",
             [("Sécurité routière : vitesse", "awareness"), ("Distraction au volant", "awareness")]),
    "RQ": ("Revenu Québec", [("Déclaration de revenus en ligne", "action"), ("Crédits d'impôt", "consideration")]),
    "RAMQ": ("Régie de l'assurance maladie du Québec", [("Renouvellement de la carte d'assurance maladie", "action")]),
    "MESS": ("Ministère de l'Emploi et de la Solidarité sociale",
             [("Emplois en demande", "consideration"), ("Retour aux études", "action")]),
    "MCC": ("Ministère de la Culture et des Communications", [("Achat local de culture", "consideration")]),
    "MAPAQ": ("Ministère de l'Agriculture, des Pêcheries et de l'Alimentation", [("Aliments du Québec", "awareness")]),
}

# channel: [(outlet, community, quebec_owned, web_giant, language)]
OUTLETS: dict[str, list[tuple[str, bool, bool, bool, str]]] = {
    "search": [("Google Ads", False, False, True, "fr"), ("Microsoft Advertising", False, False, True, "fr")],
    "social_meta": [("Meta (Facebook, Instagram)", False, False, True, "fr")],
    "social_other": [("TikTok", False, False, True, "fr"), ("Snapchat", False, False, True, "fr"),
                     ("LinkedIn", False, False, True, "en")],
    "online_video": [("YouTube", False, False, True, "fr"), ("TVA+ (Québecor)", False, True, False, "fr"),
                     ("ICI Tou.tv", False, False, False, "fr")],
    "programmatic_display": [("Réseau programmatique (DSP)", False, False, False, "fr"),
                             ("Coops de l'information", False, True, False, "fr"),
                             ("Google Display", False, False, True, "fr")],
    "ctv": [("TVA+ (Québecor)", False, True, False, "fr"), ("Crave", False, False, False, "en")],
    "audio_streaming": [("QUB radio", False, True, False, "fr"), ("Spotify", False, False, False, "fr")],
    "tv": [("TVA", False, True, False, "fr"), ("Noovo", False, False, False, "fr"),
           ("Télé-Québec", False, True, False, "fr"), ("Télévisions communautaires (FEDETVC)", True, True, False, "fr")],
    "radio": [("Cogeco Média", False, True, False, "fr"), ("Radios communautaires (ARCQ)", True, True, False, "fr"),
              ("CJAD", False, False, False, "en")],
    "print": [("Le Devoir", False, True, False, "fr"), ("Journaux communautaires (AMECQ)", True, True, False, "fr"),
              ("Montreal Gazette", False, False, False, "en")],
    "ooh": [("Affichage urbain (Astral)", False, False, False, "fr"), ("Pattison", False, False, False, "fr")],
    "cinema": [("Cinémas Guzzo", False, True, False, "fr"), ("Cineplex", False, False, False, "fr")],
}

# Plausible Canadian costs and rates per channel (CAD, 2024-2026).
# cpm: cost per thousand impressions; ctr: clicks per impression; start: video starts per
# impression; vcr: completions per start; conv: conversions per 1 000 impressions.
CHANNEL_RATES = pd.DataFrame(
    {
        "cpm": [38.0, 9.0, 8.0, 22.0, 5.0, 35.0, 18.0, 25.0, 12.0, 18.0, 6.0, 30.0],
        "ctr": [0.045, 0.009, 0.006, 0.003, 0.0012, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "start": [0.0, 0.45, 0.55, 0.95, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "vcr": [0.0, 0.18, 0.22, 0.68, 0.0, 0.96, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "conv": [2.4, 0.30, 0.15, 0.10, 0.06, 0.02, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0],
    },
    index=list(schema.CHANNELS),
)

# Which channels a plan draws from, by objective (relative weights).
CHANNEL_WEIGHTS: dict[str, dict[str, float]] = {
    "awareness": {"online_video": 3, "social_meta": 3, "ctv": 2, "programmatic_display": 2, "tv": 3, "radio": 2,
                  "ooh": 2, "print": 1, "audio_streaming": 1, "social_other": 1, "cinema": 0.5, "search": 0.5},
    "consideration": {"social_meta": 3, "search": 2, "programmatic_display": 2, "online_video": 2, "social_other": 2,
                      "radio": 1, "print": 1, "audio_streaming": 1, "ctv": 0.5},
    "action": {"search": 3, "social_meta": 3, "programmatic_display": 2, "social_other": 2, "online_video": 1,
               "radio": 0.5, "print": 0.5},
}

AGE_POPULATION = np.array([0.11, 0.16, 0.17, 0.16, 0.18, 0.22])  # 18-24 ... 65+
# Channel-specific tilt of the audience by age band (the Simpson's-paradox mechanism:
# 18-24 are reached mostly through search and "other" social media).
AGE_TILT: dict[str, list[float]] = {
    "search": [6.0, 1.5, 1.0, 0.8, 0.6, 0.4],
    "social_other": [5.0, 2.0, 1.0, 0.6, 0.4, 0.2],
    "social_meta": [0.5, 1.0, 1.3, 1.3, 1.1, 0.9],
    "online_video": [1.0, 1.4, 1.2, 1.0, 0.9, 0.7],
    "tv": [0.3, 0.6, 0.8, 1.0, 1.4, 2.0],
    "radio": [0.4, 0.8, 1.0, 1.2, 1.3, 1.4],
    "print": [0.2, 0.5, 0.8, 1.0, 1.5, 2.2],
}
REGION_POPULATION = np.array([0.023, 0.032, 0.088, 0.032, 0.020, 0.236, 0.047, 0.017, 0.010, 0.005, 0.010,
                              0.051, 0.052, 0.061, 0.075, 0.180, 0.029])
GENDER_SHARE = np.array([0.50, 0.47, 0.03])
LANGUAGE_SHARE = np.array([0.80, 0.17, 0.03])

# Planted segment multipliers (the truths the lift module must recover).
CONV_MULTIPLIERS = {
    "age_band": {"18-24": 0.70, "25-34": 1.15, "35-44": 1.10, "45-54": 1.00, "55-64": 0.95, "65+": 0.85},
    "gender": {"female": 1.10, "male": 0.90, "unknown": 1.00},
    "language": {"fr": 1.00, "en": 0.90, "other": 0.85},
    "device": {"mobile": 0.90, "desktop": 1.25, "tablet": 1.00, "tv": 1.00, "other": 1.00},
    "region": {r: 1.0 for r in schema.REGIONS} | {"capitale_nationale": 1.10, "nord_du_quebec": 0.80},
}
CTR_MULTIPLIERS = {
    "age_band": {"18-24": 1.25, "25-34": 1.10, "35-44": 1.00, "45-54": 0.95, "55-64": 0.90, "65+": 0.80},
    "gender": {"female": 1.05, "male": 0.95, "unknown": 1.00},
    "language": {"fr": 1.00, "en": 1.00, "other": 1.00},
    "device": {"mobile": 1.10, "desktop": 0.90, "tablet": 1.00, "tv": 1.00, "other": 1.00},
    "region": {r: 1.0 for r in schema.REGIONS},
}
CELLS_PER_LINE = 10
CAMPAIGN_EFFECT_SD = 0.20  # log-normal spread of campaign-level rate effects


class Dataset(dict):
    """The synthetic tables, by canonical name; also readable as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class Config:
    """Size of the generated portfolio (defaults: the shipped data)."""

    fiscal_years: tuple[int, ...] = FISCAL_YEARS
    campaigns_per_year: int = 40
    as_of: pd.Timestamp = AS_OF
    journeys_per_campaign: int = 5_000
    cells_per_line: int = CELLS_PER_LINE
    media_mix_weeks: int = 156


def _fiscal_label(fy: int) -> str:
    return f"{fy % 100:02d}{(fy + 1) % 100:02d}"


def _campaigns(rng: np.random.Generator, cfg: Config) -> pd.DataFrame:
    themes = [(code, name, theme, obj) for code, (name, lst) in ADVERTISERS.items() for theme, obj in lst]
    rows = []
    for fy in cfg.fiscal_years:
        fy_start = pd.Timestamp(f"{fy}-04-01")
        picks = rng.integers(0, len(themes), size=cfg.campaigns_per_year)
        offsets = np.sort(rng.integers(0, 330, size=cfg.campaigns_per_year))
        for i, (t, off) in enumerate(zip(picks, offsets, strict=True), start=1):
            code, adv, theme, objective = themes[t]
            start = fy_start + pd.Timedelta(days=int(off))
            if start > cfg.as_of:
                continue  # not yet started at the data's as-of date
            weeks = int(rng.integers(3, 9))
            end = start + pd.Timedelta(days=7 * weeks - 1)
            budget = float(np.round(np.clip(rng.lognormal(np.log(220_000), 0.6), 40_000, 1_500_000), -3))
            lang = "fr_en" if rng.random() < 0.35 else "fr"
            rows.append({
                "campaign_id": f"{_fiscal_label(fy)}-{code}-{i:03d}",
                "name": f"{theme} ({fy}-{fy + 1})",
                "advertiser": adv,
                "objective": objective,
                "start_date": start,
                "end_date": end,
                "budget": budget,
                "language": lang,
            })
    return pd.DataFrame(rows)


def _plan_lines(rng: np.random.Generator, campaigns: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for c in campaigns.itertuples(index=False):
        weights = CHANNEL_WEIGHTS[c.objective]
        chans = list(weights)
        p = np.array([weights[ch] for ch in chans], dtype=float)
        k = int(rng.integers(3, 7))
        chosen = list(rng.choice(chans, size=min(k, len(chans)), replace=False, p=p / p.sum()))
        # Most plans place a little in community media (the 4 % target).
        if rng.random() < 0.6 and "radio" not in chosen and "print" not in chosen:
            chosen.append("radio" if rng.random() < 0.5 else "print")
        shares = rng.dirichlet(np.ones(len(chosen)) * 2.0)
        line_no = 0
        for ch, share in zip(chosen, shares, strict=True):
            outlets = OUTLETS[ch]
            if ch in ("radio", "print", "tv"):
                # community outlets are bought in small amounts
                idx = [int(rng.integers(0, len(outlets)))]
            else:
                idx = [int(rng.integers(0, len(outlets)))]
            for j in idx:
                outlet, community, qc, giant, lang = outlets[j]
                if c.language == "fr" and lang == "en":
                    outlet, community, qc, giant, lang = outlets[0]
                line_no += 1
                spend = float(np.round(c.budget * share, 2))
                if community:
                    spend = float(np.round(min(spend, 0.08 * c.budget), 2))
                cpm = CHANNEL_RATES.loc[ch, "cpm"]
                rows.append({
                    "campaign_id": c.campaign_id,
                    "line_id": f"L{line_no:02d}",
                    "channel": ch,
                    "outlet": outlet,
                    "planned_spend": spend,
                    "planned_impressions": int(round(spend / cpm * 1000)),
                    "start_date": c.start_date,
                    "end_date": c.end_date,
                    "community": community,
                    "quebec_owned": qc,
                    "web_giant": giant,
                    "language": lang,
                })
    out = pd.DataFrame(rows)
    out["planned_impressions"] = out["planned_impressions"].astype("Int64")
    return out


def _line_cells(rng: np.random.Generator, channel: str, n: int) -> pd.DataFrame:
    """Draw the ``n`` segment cells (age, gender, region, language, device) a line reaches."""
    age_p = AGE_POPULATION * np.array(AGE_TILT.get(channel, [1.0] * 6))
    age_p = age_p / age_p.sum()
    ch = schema.CHANNELS[channel]
    if channel in ("tv", "ctv"):
        devices, dev_p = ["tv"], [1.0]
    elif not ch.digital:
        devices, dev_p = ["other"], [1.0]
    elif channel == "audio_streaming":
        devices, dev_p = ["mobile", "desktop"], [0.8, 0.2]
    else:
        devices, dev_p = ["mobile", "desktop", "tablet"], [0.62, 0.30, 0.08]
    seen: set[tuple] = set()
    rows = []
    for _ in range(n * 20):
        cell = (
            list(schema.AGE_BANDS)[rng.choice(6, p=age_p)],
            list(schema.GENDERS)[rng.choice(3, p=GENDER_SHARE)],
            list(schema.REGIONS)[rng.choice(17, p=REGION_POPULATION / REGION_POPULATION.sum())],
            list(schema.LANGUAGES)[rng.choice(3, p=LANGUAGE_SHARE)],
            devices[rng.choice(len(devices), p=dev_p)],
        )
        if cell not in seen:
            seen.add(cell)
            rows.append(cell)
        if len(rows) == n:
            break
    cells = pd.DataFrame(rows, columns=["age_band", "gender", "region", "language", "device"])
    cells["weight"] = rng.dirichlet(np.ones(len(cells)) * 3.0)
    return cells


def _multiplier(cells: pd.DataFrame, table: dict[str, dict[str, float]]) -> np.ndarray:
    m = np.ones(len(cells))
    for dim, mult in table.items():
        m *= cells[dim].map(mult).to_numpy(dtype=float)
    return m


def _delivery(rng: np.random.Generator, campaigns: pd.DataFrame, lines: pd.DataFrame,
              cfg: Config) -> tuple[pd.DataFrame, dict]:
    camp = campaigns.set_index("campaign_id")
    effects = {}
    frames = []
    for cid, grp in lines.groupby("campaign_id", sort=False):
        c = camp.loc[cid]
        effect = float(np.exp(rng.normal(0.0, CAMPAIGN_EFFECT_SD)))
        pace = float(rng.uniform(0.85, 1.10))  # how well the campaign delivers its plan
        effects[cid] = {"rate_effect": effect, "pacing": pace}
        last = min(c["end_date"], cfg.as_of)
        days = pd.date_range(c["start_date"], last, freq="D")
        n_days_plan = (c["end_date"] - c["start_date"]).days + 1
        if len(days) == 0:
            continue
        for ln in grp.itertuples(index=False):
            rates = CHANNEL_RATES.loc[ln.channel]
            cells = _line_cells(rng, ln.channel, cfg.cells_per_line)
            daily_imp = ln.planned_impressions / n_days_plan * pace
            day_noise = rng.gamma(20.0, 1 / 20.0, size=len(days))
            lam = np.outer(day_noise * daily_imp, cells["weight"].to_numpy())
            imp = rng.poisson(lam)
            ctr = rates["ctr"] * _multiplier(cells, CTR_MULTIPLIERS) * effect
            conv = rates["conv"] / 1000 * _multiplier(cells, CONV_MULTIPLIERS) * effect
            clicks = rng.binomial(imp, np.clip(ctr, 0, 1))
            starts = rng.binomial(imp, rates["start"])
            completions = rng.binomial(starts, rates["vcr"])
            landing = rng.binomial(clicks, 0.72)
            conversions = rng.poisson(imp * conv)
            cpm = rates["cpm"] * rng.gamma(50.0, 1 / 50.0, size=imp.shape)
            spend = np.round(imp * cpm / 1000, 2)
            n = imp.size
            frame = pd.DataFrame({
                "date": np.repeat(days.to_numpy(), len(cells)),
                "campaign_id": cid,
                "line_id": ln.line_id,
                "channel": ln.channel,
                "age_band": np.tile(cells["age_band"].to_numpy(), len(days)),
                "gender": np.tile(cells["gender"].to_numpy(), len(days)),
                "region": np.tile(cells["region"].to_numpy(), len(days)),
                "language": np.tile(cells["language"].to_numpy(), len(days)),
                "device": np.tile(cells["device"].to_numpy(), len(days)),
                "impressions": imp.reshape(n),
                "clicks": clicks.reshape(n),
                "video_starts": starts.reshape(n),
                "video_completions": completions.reshape(n),
                "landing_sessions": landing.reshape(n),
                "conversions": conversions.reshape(n),
                "spend": spend.reshape(n),
            })
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    for col in ("impressions", "clicks", "video_starts", "video_completions", "landing_sessions", "conversions"):
        out[col] = out[col].astype("Int64")
    out["date"] = out["date"].astype("datetime64[ns]")
    return out, effects


def _simpson_truth(delivery: pd.DataFrame) -> dict:
    """True channel-adjusted conversion rate ratio of ages 18-24 against the other ages."""
    mult = CONV_MULTIPLIERS["age_band"]
    conv_ch = delivery[delivery["channel"].map(CHANNEL_RATES["conv"]) > 0]
    imp = conv_ch.groupby("age_band", observed=True)["impressions"].sum().astype(float)
    rest = imp.drop("18-24")
    rest_mult = float((rest * rest.index.map(mult).to_numpy(dtype=float)).sum() / rest.sum())
    return {
        "dimension": "age_band",
        "segment": "18-24",
        "kpi": "conversions_per_1000",
        "reference_level": "45-54",
        "true_rate_ratio_vs_reference": mult["18-24"] / mult["45-54"],
        "true_rate_ratio_vs_rest": mult["18-24"] / rest_mult,
        "why": "18-24 are bought mostly on paid search, the highest-converting channel, so their raw "
               "conversion rate is higher although they convert less on every channel.",
    }


def _lift_tests(rng: np.random.Generator, campaigns: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    rows, truth = [], {}
    for c in campaigns.itertuples(index=False):
        if rng.random() > 0.3:
            continue
        test_id = f"{c.campaign_id}-T1"
        if c.objective == "awareness":
            kind, p0, uplift = "brand_lift", float(rng.uniform(0.18, 0.32)), float(rng.uniform(0.02, 0.08))
            sizes = {"all": (int(rng.integers(800, 1500)), int(rng.integers(800, 1500)))}
            p1 = p0 + uplift
            truth[test_id] = {"kind": kind, "control_rate": p0, "absolute_lift": uplift}
        else:
            kind, p0, rel = "conversion_lift", float(rng.uniform(0.002, 0.006)), float(rng.uniform(0.05, 0.30))
            n_test = int(rng.integers(150_000, 400_000))
            sizes = {"all": (n_test, int(n_test * 0.25))}
            p1 = p0 * (1 + rel)
            truth[test_id] = {"kind": kind, "control_rate": p0, "relative_lift": rel}
        for seg, (nt, nc) in sizes.items():
            rows.append({"campaign_id": c.campaign_id, "test_id": test_id, "kind": kind, "segment": seg,
                         "test_size": nt, "test_outcomes": int(rng.binomial(nt, p1)),
                         "control_size": nc, "control_outcomes": int(rng.binomial(nc, p0))})
    out = pd.DataFrame(rows, columns=list(schema.SCHEMAS["lift_tests"].columns))
    for col in ("test_size", "test_outcomes", "control_size", "control_outcomes"):
        out[col] = out[col].astype("Int64")
    return out, truth


def _agency_plans(rng: np.random.Generator, campaigns: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    rows = []
    by_campaign = lines.groupby("campaign_id")
    for c in campaigns.itertuples(index=False):
        if rng.random() > 0.35:
            continue
        spend = by_campaign.get_group(c.campaign_id).groupby("channel")["planned_spend"].sum()
        tilt = rng.lognormal(0, 0.35, size=len(spend))
        # agencies tend to lean on web giants; no community media in their first draft
        proposal = spend * tilt
        proposal = proposal[~proposal.index.isin(["print", "radio"])] if rng.random() < 0.5 else proposal
        proposal = proposal / proposal.sum() * c.budget
        for ch, amount in proposal.items():
            rows.append({"campaign_id": c.campaign_id, "plan_id": "proposition_agence", "channel": ch,
                         "spend": float(np.round(amount, 2))})
    return pd.DataFrame(rows, columns=list(schema.SCHEMAS["agency_plans"].columns))


JOURNEY_CHANNELS = ("search", "social_meta", "social_other", "online_video", "programmatic_display", "ctv",
                    "audio_streaming")


def _journeys(rng: np.random.Generator, campaigns: pd.DataFrame, lines: pd.DataFrame,
              cfg: Config) -> tuple[pd.DataFrame, dict]:
    """Aggregated journeys of the action and consideration campaigns, drawn from a known chain each."""
    from .journeys import simulate_journeys

    frames, truth = [], {}
    for c in campaigns.itertuples(index=False):
        if c.objective == "awareness":
            continue
        chans = [ch for ch in dict.fromkeys(lines.loc[lines["campaign_id"] == c.campaign_id, "channel"])
                 if ch in JOURNEY_CHANNELS]
        if len(chans) < 2:
            continue
        paths, tr = simulate_journeys(chans, cfg.journeys_per_campaign, seed=rng)
        paths.insert(0, "campaign_id", c.campaign_id)
        frames.append(paths)
        truth[c.campaign_id] = tr
    cols = list(schema.SCHEMAS["journeys"].columns)
    return (pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)), truth


def _media_mix(rng: np.random.Generator, cfg: Config) -> tuple[pd.DataFrame, dict]:
    """One weekly series per objective (3 fiscal years of weeks) from planted response curves."""
    from .media_mix import simulate_media_mix

    frames, truth = [], {}
    start = pd.Timestamp(f"{cfg.fiscal_years[0]}-04-01")
    start = start + pd.Timedelta(days=(7 - start.weekday()) % 7)  # first Monday of the fiscal year
    for objective in OBJECTIVES_ORDER:
        df, tr = simulate_media_mix(seed=int(rng.integers(2**31 - 1)), start=str(start.date()),
                                    n_weeks=cfg.media_mix_weeks)
        df.insert(0, "objective", objective)
        frames.append(df)
        truth[objective] = tr
    return pd.concat(frames, ignore_index=True), truth


OBJECTIVES_ORDER = ("awareness", "consideration", "action")


def generate(seed: int = DEFAULT_SEED, *, config: Config | None = None) -> tuple[Dataset, dict]:
    """Generate the synthetic portfolio and its planted truth.

    Returns ``(data, truth)``: ``data`` is a :class:`Dataset` of canonical tables
    (validated against :mod:`campaign_toolkit.schema`); ``truth`` is a JSON-serialisable
    dict of what generated them. Deterministic for a given ``seed`` and ``config``.
    """
    cfg = config or Config()
    rng = np.random.default_rng(seed)
    campaigns = _campaigns(rng, cfg)
    lines = _plan_lines(rng, campaigns)
    delivery, effects = _delivery(rng, campaigns, lines, cfg)
    lift_tests, lift_truth = _lift_tests(rng, campaigns)
    agency = _agency_plans(rng, campaigns, lines)
    media_mix, mm_truth = _media_mix(rng, cfg)
    journeys, journey_truth = _journeys(rng, campaigns, lines, cfg)
    data = Dataset(
        campaigns=campaigns,
        plan_lines=lines,
        delivery=delivery,
        journeys=journeys,
        lift_tests=lift_tests,
        agency_plans=agency,
    )
    for name in list(data):
        data[name] = schema.validate(name, data[name])
    data["media_mix"] = media_mix
    truth = {
        "seed": seed,
        "as_of": str(cfg.as_of.date()),
        "channel_rates": CHANNEL_RATES.reset_index(names="channel").to_dict(orient="records"),
        "segments": {"conversions_per_impression": CONV_MULTIPLIERS, "ctr": CTR_MULTIPLIERS,
                     "campaign_effects": effects},
        "simpson": _simpson_truth(delivery),
        "lift_tests": lift_truth,
        "media_mix": mm_truth,
        "journeys": journey_truth,
    }
    return data, truth


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def write(data: Dataset, truth: dict, folder: str | Path) -> Path:
    """Write every table as ``<name>.parquet`` and the truth as ``truth.json``; return the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in data.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False, default=str) + "\n",
                                       encoding="utf-8")
    return folder


def read(folder: str | Path) -> tuple[Dataset, dict]:
    """Read a portfolio written by :func:`write`; return ``(data, truth)``."""
    folder = Path(folder)
    if not (folder / "campaigns.parquet").exists():
        raise FileNotFoundError(
            f"No synthetic portfolio in {folder} (campaigns.parquet is missing). "
            "Run `campaign-toolkit generate` to write it.")
    data = Dataset({p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))})
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return data, truth
