"""A small seeded simulator of segment-level delivery with planted segment rate ratios.

Used to test :mod:`campaign_toolkit.lift` against a known answer:

- ``scenario="calibration"``: six age bands bought on the same channel mix, with
  segment multipliers ``[1, 1, 1, 1, 1.3, 0.7]``; four segments are true nulls
  (their expected rate equals the rest's), two are real effects.
- ``scenario="simpson"``: the 18-24 band converts *less* than every other band on each
  channel (multiplier 0.8, others 1.0) but is bought mostly on search, the
  highest-converting channel, so its raw rate looks *better* than the rest's.

Counts: ``conversions ~ Poisson(impressions * channel_rate * segment_multiplier *
campaign_effect)`` and ``clicks ~ Binomial(impressions, channel_ctr * segment_multiplier
* campaign_effect)``. The truth dict (JSON-serialisable) gives the multipliers, the
expected raw rate ratio of each segment against the rest (what a raw ratio of sums
estimates) and the channel-adjusted ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AGE_LEVELS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
CHANNEL_CONV_PER_1000 = {"search": 2.0, "social_meta": 1.0, "programmatic_display": 0.5}
CHANNEL_CTR = {"search": 0.03, "social_meta": 0.01, "programmatic_display": 0.002}
CAMPAIGN_EFFECTS = {"SIM-A": 1.0, "SIM-B": 1.2}

_SCENARIOS = {
    "calibration": {
        "multipliers": dict(zip(AGE_LEVELS, (1.0, 1.0, 1.0, 1.0, 1.3, 0.7))),
        "mix": {a: (1 / 3, 1 / 3, 1 / 3) for a in AGE_LEVELS},
    },
    "simpson": {
        "multipliers": dict(zip(AGE_LEVELS, (0.8, 1.0, 1.0, 1.0, 1.0, 1.0))),
        "mix": {a: ((0.8, 0.1, 0.1) if a == "18-24" else (0.1, 0.3, 0.6)) for a in AGE_LEVELS},
    },
}


def _design(scenario: str, impressions_per_segment: int) -> pd.DataFrame:
    """Return the fixed design: one row per age band x channel x campaign x gender."""
    spec = _SCENARIOS[scenario]
    channels = list(CHANNEL_CONV_PER_1000)
    idx = pd.MultiIndex.from_product(
        [AGE_LEVELS, channels, list(CAMPAIGN_EFFECTS), ["female", "male"]],
        names=["age_band", "channel", "campaign_id", "gender"],
    ).to_frame(index=False)
    share = np.array([spec["mix"][a][channels.index(c)] for a, c in zip(idx["age_band"], idx["channel"])])
    # Split each segment's impressions over channels by its mix, then equally over campaigns and genders.
    idx["impressions"] = np.round(impressions_per_segment * share / 4).astype("int64")
    mult = idx["age_band"].map(spec["multipliers"]).to_numpy(float)
    camp = idx["campaign_id"].map(CAMPAIGN_EFFECTS).to_numpy(float)
    idx["mu_conv"] = idx["impressions"] * idx["channel"].map(CHANNEL_CONV_PER_1000).to_numpy(float) / 1000 * mult * camp
    idx["p_click"] = idx["channel"].map(CHANNEL_CTR).to_numpy(float) * mult * camp
    return idx


def _raw_ratio_vs_rest(design: pd.DataFrame, expected: str) -> dict[str, float]:
    """Expected raw rate of each age band divided by the expected rate of all other bands."""
    g = design.groupby("age_band")[[expected, "impressions"]].sum()
    tot = g.sum()
    rate = g[expected] / g["impressions"]
    rest = (tot[expected] - g[expected]) / (tot["impressions"] - g["impressions"])
    return {str(k): float(v) for k, v in (rate / rest).items()}


def simulate_segments(seed: int = 0, *, scenario: str = "calibration",
                      impressions_per_segment: int | None = None) -> tuple[pd.DataFrame, dict]:
    """Return ``(delivery, truth)`` for one seeded draw of the chosen scenario.

    ``delivery`` has the canonical delivery columns (one date, one row per age band x
    channel x campaign x gender; region ``montreal``, language ``fr``, device ``mobile``).
    ``truth`` holds ``segment_multipliers`` (the channel-adjusted rate ratios against a
    band of multiplier 1), ``raw_rate_ratio_vs_rest`` (expected raw ratio of sums, for
    conversions per 1 000 impressions and for CTR), ``adjusted_rate_ratio_vs_rest`` and,
    for ``scenario="simpson"``, a ``simpson`` entry.
    """
    if scenario not in _SCENARIOS:
        raise ValueError(f"Unknown scenario {scenario!r}; use one of {sorted(_SCENARIOS)}.")
    if impressions_per_segment is not None and impressions_per_segment < 1000:
        raise ValueError("impressions_per_segment must be at least 1000.")
    if impressions_per_segment is None:
        impressions_per_segment = 150_000 if scenario == "calibration" else 400_000
    rng = np.random.default_rng(seed)
    d = _design(scenario, impressions_per_segment)
    d["expected_clicks"] = d["impressions"] * d["p_click"]
    conversions = rng.poisson(d["mu_conv"].to_numpy())
    clicks = rng.binomial(d["impressions"].to_numpy(), d["p_click"].to_numpy())
    n = len(d)
    out = pd.DataFrame({
        "date": pd.Timestamp("2026-01-15"),
        "campaign_id": d["campaign_id"],
        "line_id": d["campaign_id"] + "-" + d["channel"],
        "channel": d["channel"],
        "age_band": d["age_band"],
        "gender": d["gender"],
        "region": "montreal",
        "language": "fr",
        "device": "mobile",
        "impressions": d["impressions"].astype("int64"),
        "clicks": clicks.astype("int64"),
        "video_starts": np.zeros(n, dtype="int64"),
        "video_completions": np.zeros(n, dtype="int64"),
        "landing_sessions": np.floor(clicks * 0.8).astype("int64"),
        "conversions": conversions.astype("int64"),
        "spend": np.round(d["impressions"].to_numpy() * 0.008, 2),
    })
    mult = _SCENARIOS[scenario]["multipliers"]
    truth = {
        "scenario": scenario,
        "seed": int(seed),
        "dimension": "age_band",
        "segment_multipliers": {k: float(v) for k, v in mult.items()},
        "channel_conversions_per_1000": dict(CHANNEL_CONV_PER_1000),
        "channel_ctr": dict(CHANNEL_CTR),
        "campaign_effects": dict(CAMPAIGN_EFFECTS),
        "raw_rate_ratio_vs_rest": {
            "conversions_per_1000": _raw_ratio_vs_rest(d, "mu_conv"),
            "ctr": _raw_ratio_vs_rest(d, "expected_clicks"),
        },
        "gender_rate_ratio": {"male_vs_female": 1.0},
    }
    if scenario == "simpson":
        # Every other band has multiplier 1, so the adjusted ratio against the rest is 0.8.
        truth["adjusted_rate_ratio_vs_rest"] = {a: float(m) for a, m in mult.items() if a == "18-24"}
        truth["simpson"] = {"dimension": "age_band", "segment": "18-24", "kpi": "conversions_per_1000",
                            "true_rate_ratio_vs_rest": float(mult["18-24"])}
    return out, truth
