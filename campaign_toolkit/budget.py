"""Budget efficiency: KPIs, benchmarks, pacing, response curves and media mix.

- :func:`kpis`: KPIs (ratios of sums) by channel, line or outlet;
- :func:`benchmarks`: each campaign's KPIs against past campaigns of the same objective
  and channel (percentile, median, interquartile range);
- :func:`pacing`: spend and delivery to date vs plan for campaigns in flight;
- :func:`fit_media_mix`: a media-mix regression (geometric adstock, Hill or logistic
  saturation, trend, Fourier seasonality, non-negative media effects) fitted by bounded
  least squares, with moving-block residual-bootstrap intervals;
- :func:`fit_response_curves`: spend -> outcome curves per channel from past delivery.

Both fits return a :class:`MediaMix`, which :mod:`campaign_toolkit.planning` optimizes over.
Money is in CAD; outcomes are in the units of the outcome column (e.g. impressions,
conversions, site visits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares, lsq_linear
from scipy.signal import lfilter

from . import metrics
from .report import fmt
from .results import Result
from .schema import OBJECTIVE_KPIS, OBJECTIVES, check_lang, label
from .synthetic.media_mix import geometric_adstock, hill

# Outcome column of the delivery table modelled for each objective.
OBJECTIVE_OUTCOME: dict[str, str] = {
    "awareness": "impressions",
    "consideration": "landing_sessions",
    "action": "conversions",
}

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "impressions": ("impressions", "impressions"),
    "landing_sessions": ("sessions sur la page d'atterrissage", "landing-page sessions"),
    "conversions": ("conversions", "conversions"),
    "video_completions": ("visionnements complets", "completed views"),
    "clicks": ("clics", "clicks"),
    "outcome": ("unités de résultat", "outcome units"),
}

SATURATION_LEVEL = 0.9  # "past saturation" = beyond 90 % of the channel's maximum effect


def outcome_label(kpi_col: str, lang: str = "fr") -> str:
    """Return the plain-language name of an outcome column (French by default)."""
    pair = OUTCOME_LABELS.get(kpi_col, (kpi_col, kpi_col))
    return pair[0] if check_lang(lang) == "fr" else pair[1]


# ---------------------------------------------------------------------------
# Efficiency
# ---------------------------------------------------------------------------


def kpis(delivery: pd.DataFrame, by="channel", kpis=None, plan_lines: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return sums and KPIs (ratios of sums) per ``by`` group of the delivery table.

    ``by`` is ``"channel"``, ``"line_id"``, ``"outlet"`` or any list of delivery
    columns; ``"outlet"`` (or outlet flags) needs ``plan_lines`` to join each line to its
    outlet on ``campaign_id`` + ``line_id``. Delegates to :func:`campaign_toolkit.metrics.kpis`;
    money KPIs are CAD, percent KPIs shares 0-1.
    """
    by = [by] if isinstance(by, str) else list(by)
    df = delivery
    need = [c for c in by if c not in df.columns]
    if need:
        if plan_lines is None:
            raise KeyError(f"Columns {need} are not in the delivery table; pass plan_lines= to "
                           "join them from the media plan (e.g. by='outlet').")
        extra = [c for c in need if c not in plan_lines.columns]
        if extra:
            raise KeyError(f"Columns {extra} are in neither the delivery table nor plan_lines.")
        df = df.merge(plan_lines[["campaign_id", "line_id", *need]], on=["campaign_id", "line_id"],
                      how="left", validate="many_to_one")
    return metrics.kpis(df, by=by, kpis=kpis)


def benchmarks(history: pd.DataFrame, campaigns: pd.DataFrame, *, kpis=None, campaign_id=None,
               past_only: bool = True, min_peers: int = 3) -> pd.DataFrame:
    """Compare each campaign's KPIs per channel with past campaigns of the same objective and channel.

    ``history`` is a delivery table (many campaigns), ``campaigns`` the campaigns table
    (campaign_id, objective, start_date, end_date). ``kpis`` defaults to each objective's
    KPIs (:data:`schema.OBJECTIVE_KPIS`). Peers of a campaign are the other campaigns of
    the same objective with delivery in the same channel and (if ``past_only``) ending
    before it starts. Returns one row per campaign x channel x KPI with ``value``,
    ``n_peers``, ``peer_median``, ``peer_q1``, ``peer_q3`` and ``percentile``: the share
    of peers (0-100) this campaign does better than, taking each KPI's direction into
    account (a low cost per completed view is better). With fewer than ``min_peers``
    peers the peer statistics are NaN (not enough history to judge).
    """
    for col in ("campaign_id", "channel", "spend"):
        if col not in history.columns:
            raise KeyError(f"history needs a {col!r} column (canonical delivery table).")
    need = {"campaign_id", "objective"} - set(campaigns.columns)
    if need:
        raise KeyError(f"campaigns needs columns {sorted(need)}.")
    per = metrics.kpis(history, by=["campaign_id", "channel"])
    camp = campaigns.set_index("campaign_id")
    per["objective"] = per["campaign_id"].map(camp["objective"])
    unknown = per.loc[per["objective"].isna(), "campaign_id"].unique().tolist()
    if unknown:
        raise KeyError(f"Campaigns {unknown[:5]} have delivery but are not in the campaigns table.")
    has_dates = {"start_date", "end_date"} <= set(campaigns.columns)
    start = pd.to_datetime(camp["start_date"]) if has_dates else None
    end = pd.to_datetime(camp["end_date"]) if has_dates else None
    targets = per if campaign_id is None else per[per["campaign_id"] == campaign_id]
    if campaign_id is not None and targets.empty:
        raise KeyError(f"Campaign {campaign_id!r} has no delivery in history.")
    rows = []
    for _, r in targets.iterrows():
        codes = list(kpis) if kpis is not None else list(OBJECTIVE_KPIS[r["objective"]])
        peers = per[(per["objective"] == r["objective"]) & (per["channel"] == r["channel"])
                    & (per["campaign_id"] != r["campaign_id"])]
        if past_only and has_dates:
            peers = peers[peers["campaign_id"].map(end) < start[r["campaign_id"]]]
        for k in codes:
            if k not in per.columns:
                if k not in metrics.KPIS:
                    raise metrics.unknown_kpi_error(k)
                continue  # the delivery table lacks the columns this KPI needs
            spec = metrics.KPIS[k]
            vals = peers[k].dropna().to_numpy(float)
            v = float(r[k])
            enough = len(vals) >= min_peers and not math.isnan(v)
            if enough:
                better = (vals < v) if spec.higher_is_better else (vals > v)
                ties = vals == v
                pct = 100.0 * (better.sum() + 0.5 * ties.sum()) / len(vals)
            rows.append({
                "campaign_id": r["campaign_id"], "channel": r["channel"], "objective": r["objective"],
                "kpi": k, "value": v, "n_peers": int(len(vals)),
                "peer_median": float(np.median(vals)) if enough else np.nan,
                "peer_q1": float(np.quantile(vals, 0.25)) if enough else np.nan,
                "peer_q3": float(np.quantile(vals, 0.75)) if enough else np.nan,
                "percentile": pct if enough else np.nan,
            })
    cols = ["campaign_id", "channel", "objective", "kpi", "value", "n_peers", "peer_median",
            "peer_q1", "peer_q3", "percentile"]
    return pd.DataFrame(rows, columns=cols)


# ---------------------------------------------------------------------------
# Pacing
# ---------------------------------------------------------------------------


class PacingResult(Result):
    """Pacing per plan line; ``summary`` lists the lines off pace."""

    def summary(self, lang: str = "fr") -> str:
        check_lang(lang)
        t = self.table
        off = t[t["status"].isin(["under", "over"])]
        as_of = fmt.date(self.params.get("as_of"), lang)
        if off.empty:
            return (f"Au {as_of}, toutes les lignes en cours suivent leur plan." if lang == "fr"
                    else f"As of {as_of}, every line in flight is on plan.")
        parts = []
        for _, r in off.iterrows():
            word = {"under": ("sous-dépense", "under-pacing"), "over": ("sur-dépense", "over-pacing")}[r["status"]]
            w = word[0] if lang == "fr" else word[1]
            parts.append(f"{r['line_id']} ({w}, {fmt.percent(r['pace'], lang)} ; "
                         f"{fmt.money(r['required_daily_spend'], lang)}/j)" if lang == "fr" else
                         f"{r['line_id']} ({w}, {fmt.percent(r['pace'], lang)}; "
                         f"{fmt.money(r['required_daily_spend'], lang)}/day)")
        if lang == "fr":
            return (f"Au {as_of}, {len(off)} ligne(s) s'écartent du plan : " + ", ".join(parts)
                    + ". Le montant quotidien indiqué ramène chaque ligne sur son budget prévu.")
        return (f"As of {as_of}, {len(off)} line(s) are off plan: " + ", ".join(parts)
                + ". The daily amount shown brings each line back to its planned budget.")


def pacing(plan_lines: pd.DataFrame, delivery: pd.DataFrame, as_of, *, tolerance: float = 0.10) -> PacingResult:
    """Return spend and delivery to date vs plan per line at ``as_of`` (inclusive).

    Expected-to-date assumes even (linear) spend over each line's flight, counted in
    days. Table columns (money in CAD): ``planned_spend``, ``expected_spend_to_date``,
    ``spend_to_date``, ``pace`` (spent / expected), ``impressions_to_date``,
    ``expected_impressions_to_date``, ``projected_spend`` and ``projected_impressions``
    at the end of flight at the current daily run-rate, ``status`` (``not_started``,
    ``on_plan``, ``under``, ``over``, ``finished``: pace outside 1 +/- ``tolerance``)
    and ``required_daily_spend`` (what to spend per remaining day to land on plan) with
    ``adjustment`` (its change vs the current daily rate, a share). Delivery on a line
    absent from the plan gets a row with status ``unplanned`` (planned spend 0).
    """
    as_of = pd.Timestamp(as_of)
    for col in ("campaign_id", "line_id", "planned_spend", "start_date", "end_date"):
        if col not in plan_lines.columns:
            raise KeyError(f"plan_lines needs a {col!r} column (canonical plan_lines table).")
    for col in ("date", "campaign_id", "line_id", "spend"):
        if col not in delivery.columns:
            raise KeyError(f"delivery needs a {col!r} column (canonical delivery table).")
    d = delivery[pd.to_datetime(delivery["date"]) <= as_of]
    agg_cols = ["spend"] + (["impressions"] if "impressions" in d.columns else [])
    done = d.groupby(["campaign_id", "line_id"], observed=True)[agg_cols].sum().reset_index()
    t = plan_lines.merge(done, on=["campaign_id", "line_id"], how="left")
    t["spend"] = t["spend"].fillna(0.0).astype(float)
    start = pd.to_datetime(t["start_date"])
    end = pd.to_datetime(t["end_date"])
    total_days = ((end - start).dt.days + 1).clip(lower=1).astype(float)
    elapsed = ((as_of - start).dt.days + 1).clip(lower=0).astype(float)
    elapsed = np.minimum(elapsed, total_days)
    frac = elapsed / total_days
    out = t[["campaign_id", "line_id"] + [c for c in ("channel", "outlet") if c in t.columns]].copy()
    out["planned_spend"] = t["planned_spend"].astype(float)
    out["expected_spend_to_date"] = out["planned_spend"] * frac
    out["spend_to_date"] = t["spend"]
    out["pace"] = metrics.safe_ratio(out["spend_to_date"], out["expected_spend_to_date"])
    daily = metrics.safe_ratio(out["spend_to_date"], pd.Series(elapsed, index=out.index))
    out["projected_spend"] = (daily * total_days).where(elapsed > 0, 0.0)
    if "impressions" in t.columns and "planned_impressions" in t.columns:
        imp = t["impressions"].fillna(0).astype(float)
        out["impressions_to_date"] = imp
        out["expected_impressions_to_date"] = t["planned_impressions"].astype(float) * frac
        out["projected_impressions"] = (metrics.safe_ratio(imp, pd.Series(elapsed, index=out.index))
                                        * total_days).where(elapsed > 0, 0.0)
    remaining = total_days - elapsed
    out["days_remaining"] = remaining.astype(int)
    out["required_daily_spend"] = metrics.safe_ratio((out["planned_spend"] - out["spend_to_date"]).clip(lower=0),
                                                     pd.Series(remaining, index=out.index))
    out["adjustment"] = metrics.safe_ratio(out["required_daily_spend"], daily) - 1.0
    status = np.where(elapsed <= 0, "not_started",
                      np.where(remaining <= 0, "finished",
                               np.where(out["pace"] < 1 - tolerance, "under",
                                        np.where(out["pace"] > 1 + tolerance, "over", "on_plan"))))
    out["status"] = status
    # Delivery on a line that is not in the plan is shown (status "unplanned"), never dropped.
    keys = ["campaign_id", "line_id"]
    extra = done.merge(plan_lines[keys].drop_duplicates(), on=keys, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    if len(extra):
        if "channel" in out.columns and "channel" in d.columns:
            chan = d.drop_duplicates(keys).set_index(keys)["channel"]
            extra = extra.assign(channel=[chan.get((c, ln)) for c, ln in zip(extra["campaign_id"], extra["line_id"])])
        rows = extra.drop(columns="_merge").rename(columns={"spend": "spend_to_date", "impressions": "impressions_to_date"})
        rows = rows.assign(planned_spend=0.0, expected_spend_to_date=0.0, status="unplanned")
        out = pd.concat([out, rows[[c for c in rows.columns if c in out.columns]]], ignore_index=True)
    return PacingResult(out, method=f"Linear pacing at {as_of.date()} (tolerance {tolerance:.0%})",
                        params={"as_of": as_of, "tolerance": tolerance},
                        estimate_col="pace", label_col="line_id")


# ---------------------------------------------------------------------------
# Media mix engine
# ---------------------------------------------------------------------------


def _saturate(a, K, s, saturation: str):
    if saturation == "hill":
        return hill(a, K, s)
    return np.tanh(np.maximum(a, 0.0) / (2.0 * K))  # logistic: (1 - e^{-a/K}) / (1 + e^{-a/K})


def _saturation_point(K, s, saturation: str, level: float = SATURATION_LEVEL):
    """Weekly (adstocked) spend at which the curve reaches ``level`` of its maximum."""
    if saturation == "hill":
        return K * (level / (1 - level)) ** (1.0 / s)
    return 2.0 * K * np.arctanh(level)


def _fourier_base(dates: pd.Series, trend: bool, seasonality: int, Z: np.ndarray | None) -> np.ndarray:
    T = len(dates)
    d = pd.to_datetime(pd.Series(dates)).reset_index(drop=True)
    step = float(np.median(np.diff(d.to_numpy()).astype("timedelta64[s]").astype(float))) / 86400.0 if T > 1 else 7.0
    period = 365.25 / max(step, 1e-9)
    tt = np.arange(T, dtype=float)
    cols = [np.ones(T)]
    if trend:
        cols.append(tt / max(T - 1, 1))
    for k in range(1, int(seasonality) + 1):
        cols.append(np.sin(2 * np.pi * k * tt / period))
        cols.append(np.cos(2 * np.pi * k * tt / period))
    if Z is not None and Z.shape[1]:
        sd = Z.std(axis=0)
        sd[sd == 0] = 1.0
        cols.extend(((Z - Z.mean(axis=0)) / sd).T)
    return np.column_stack(cols)


class _Engine:
    """Bounded least squares for y = sum_c beta_c sat(adstock(x_c)) + B gamma (scaled units)."""

    def __init__(self, Xs, ys, B, saturation, fit_decay):
        self.Xs, self.ys, self.B = Xs, ys, B
        self.C = Xs.shape[1]
        self.P = 0 if B is None else B.shape[1]
        self.sat = saturation
        self.fit_decay = fit_decay
        self.shape = saturation == "hill"

    # layout: [decay(C) if fit_decay][K(C)][shape(C) if hill][beta(C)][gamma(P)]
    def unpack(self, p):
        C, i = self.C, 0
        d = p[i:i + C] if self.fit_decay else np.zeros(C)
        i += C if self.fit_decay else 0
        K = p[i:i + C]; i += C
        s = p[i:i + C] if self.shape else np.ones(C)
        i += C if self.shape else 0
        beta = p[i:i + C]; i += C
        return d, K, s, beta, p[i:]

    def pack(self, d, K, s, beta, gamma):
        parts = ([d] if self.fit_decay else []) + [K] + ([s] if self.shape else []) + [beta, gamma]
        return np.concatenate([np.asarray(x, float) for x in parts])

    def bounds(self):
        C, P = self.C, self.P
        lo = ([np.zeros(C)] if self.fit_decay else []) + [np.full(C, 0.05)] + \
            ([np.full(C, 0.5)] if self.shape else []) + [np.zeros(C), np.full(P, -np.inf)]
        hi = ([np.full(C, 0.95)] if self.fit_decay else []) + [np.full(C, 10.0)] + \
            ([np.full(C, 5.0)] if self.shape else []) + [np.full(C, np.inf), np.full(P, np.inf)]
        return np.concatenate(lo), np.concatenate(hi)

    def features(self, d, K, s):
        F = np.empty_like(self.Xs)
        for c in range(self.C):
            a = geometric_adstock(self.Xs[:, c], d[c]) if d[c] > 0 else self.Xs[:, c]
            F[:, c] = _saturate(a, K[c], s[c], self.sat)
        return F

    def resid(self, p, y):
        d, K, s, beta, gamma = self.unpack(p)
        fit = self.features(d, K, s) @ beta
        if self.P:
            fit = fit + self.B @ gamma
        return fit - y

    def jac(self, p, y):
        """Analytic Jacobian of :meth:`resid` (T x n_params)."""
        d, K, s, beta, _ = self.unpack(p)
        T, C = self.Xs.shape
        cols_d, cols_K, cols_s, cols_b = [], [], [], []
        for c in range(C):
            x = self.Xs[:, c]
            a = geometric_adstock(x, d[c]) if d[c] > 0 else x
            if self.sat == "hill":
                S = hill(a, K[c], s[c])
                g = S * (1 - S)
                with np.errstate(divide="ignore", invalid="ignore"):
                    pos = a > 1e-9
                    dSda = np.where(pos, s[c] * g / np.where(pos, a, 1.0), 0.0)
                    dSds = np.where(pos, g * np.log(np.where(pos, a, 1.0) / K[c]), 0.0)
                dSdK = -(s[c] / K[c]) * g
            else:
                S = np.tanh(np.maximum(a, 0.0) / (2 * K[c]))
                dSda = (1 - S ** 2) / (2 * K[c])
                dSdK = -np.maximum(a, 0.0) / (2 * K[c] ** 2) * (1 - S ** 2)
                dSds = None
            if self.fit_decay:
                a_prev = np.concatenate([[0.0], a[:-1]])
                dadd = lfilter([1.0], [1.0, -d[c]], a_prev - x)
                cols_d.append(beta[c] * dSda * dadd)
            cols_K.append(beta[c] * dSdK)
            if self.shape:
                cols_s.append(beta[c] * dSds)
            cols_b.append(S)
        blocks = ([np.column_stack(cols_d)] if self.fit_decay else []) + [np.column_stack(cols_K)] + \
            ([np.column_stack(cols_s)] if self.shape else []) + [np.column_stack(cols_b)]
        if self.P:
            blocks.append(self.B)
        return np.nan_to_num(np.hstack(blocks), nan=0.0, posinf=0.0, neginf=0.0)

    def linear(self, F, y):
        A = F if not self.P else np.hstack([F, self.B])
        lo = np.concatenate([np.zeros(self.C), np.full(self.P, -np.inf)])
        r = lsq_linear(A, y, bounds=(lo, np.full(self.C + self.P, np.inf)), method="bvls")
        return r.x[:self.C], r.x[self.C:], float(np.sum((A @ r.x - y) ** 2))

    def initial(self, y):
        """Coordinate sweeps over a (decay, K) grid with bounded linear least squares inside."""
        C = self.C
        d, K, s = np.full(C, 0.3 if self.fit_decay else 0.0), np.ones(C), np.ones(C)
        dgrid = [0.0, 0.2, 0.4, 0.6, 0.8] if self.fit_decay else [0.0]
        kgrid = [0.5, 1.0, 2.0]
        F = self.features(d, K, s)
        for _ in range(2):
            for c in range(C):
                best = (np.inf, d[c], K[c])
                for dv in dgrid:
                    a = geometric_adstock(self.Xs[:, c], dv) if dv > 0 else self.Xs[:, c]
                    for kv in kgrid:
                        F[:, c] = _saturate(a, kv, 1.0, self.sat)
                        sse = self.linear(F, y)[2]
                        if sse < best[0]:
                            best = (sse, dv, kv)
                d[c], K[c] = best[1], best[2]
                a = geometric_adstock(self.Xs[:, c], d[c]) if d[c] > 0 else self.Xs[:, c]
                F[:, c] = _saturate(a, K[c], 1.0, self.sat)
        beta, gamma, _ = self.linear(F, y)
        return self.pack(d, K, s, beta, gamma)

    def refine(self, p0, y, max_nfev=None):
        lo, hi = self.bounds()
        p0 = np.clip(p0, lo + 1e-6, np.where(np.isfinite(hi), hi - 1e-6, np.inf))
        r = least_squares(self.resid, p0, jac=self.jac, bounds=(lo, hi), args=(y,), method="trf",
                          x_scale="jac", max_nfev=max_nfev)
        return r.x


def _block_resample(resid: np.ndarray, block: int, rng: np.random.Generator) -> np.ndarray:
    """Moving-block bootstrap of a residual series (same length)."""
    T = len(resid)
    block = max(1, min(block, T))
    n = int(math.ceil(T / block))
    starts = rng.integers(0, T - block + 1, size=n)
    idx = (starts[:, None] + np.arange(block)[None, :]).ravel()[:T]
    return resid[idx]


@dataclass
class _Fitted:
    """Per-channel parameters in natural units: decay, K (CAD/week), shape, beta (outcome/week)."""

    point: np.ndarray  # (C, 4)
    draws: np.ndarray  # (B, C, 4)
    fitted: np.ndarray | None  # fitted outcome series (T,)


def _fit_block(X, y, B, saturation, fit_decay, n_boot, block, rng, scale):
    """Fit one block of channels; returns natural-unit params (point, draws) and fitted values."""
    ymean, ysd = float(np.mean(y)), float(np.std(y)) or 1.0
    if B is None:  # no baseline: the outcome is zero at zero spend, keep the origin
        ymean = 0.0
        ysd = float(np.sqrt(np.mean(y ** 2))) or 1.0
    ys = (y - ymean) / ysd
    Xs = X / scale
    eng = _Engine(Xs, ys, B, saturation, fit_decay)
    p = eng.refine(eng.initial(ys), ys)
    fitted_s = eng.resid(p, np.zeros_like(ys))
    res = ys - fitted_s
    # degrees-of-freedom correction: fitted residuals are smaller than the noise
    # (Davison & Hinkley 1997, modified residuals), which would make intervals too narrow
    dof = max(len(ys) - len(p), 1)
    res = (res - res.mean()) * np.sqrt(len(ys) / dof)

    def natural(pv):
        d, K, s, beta, _ = eng.unpack(pv)
        return np.column_stack([d, K * scale, s, beta * ysd])

    point = natural(p)
    draws = np.empty((n_boot, X.shape[1], 4))
    for b in range(n_boot):
        yb = fitted_s + _block_resample(res, block, rng)
        draws[b] = natural(eng.refine(p, yb, max_nfev=200))
    return _Fitted(point, draws, fitted_s * ysd + ymean)


def _effects(X: np.ndarray, params: np.ndarray, saturation: str) -> np.ndarray:
    """Weekly effect per channel (T, C) of a spend series X (T, C) under params (C, 4)."""
    out = np.empty_like(X, dtype=float)
    for c in range(X.shape[1]):
        d, K, s, beta = params[c]
        a = geometric_adstock(X[:, c], d) if d > 0 else X[:, c]
        out[:, c] = beta * _saturate(a, K, s, saturation)
    return out


def _ci(draws: np.ndarray, level: float, axis: int = 0):
    a = (1 - level) / 2
    draws = np.asarray(draws, float)
    if draws.shape[axis] == 0:  # no bootstrap: no interval
        nan = np.full(np.delete(draws.shape, axis), np.nan)
        return (nan, nan.copy()) if nan.ndim else (np.nan, np.nan)
    return np.quantile(draws, a, axis=axis), np.quantile(draws, 1 - a, axis=axis)


class MediaMix(Result):
    """A fitted media mix / set of response curves (one per channel).

    Attributes: ``.contributions`` (channel, contribution, ci_low, ci_high: outcome units
    summed over the series), ``.roi`` and ``.marginal_roi`` (outcome units per CAD, at
    current spend, with intervals), ``.curves`` (weekly spend -> weekly outcome per
    channel, rows with ``current=True`` mark the current active-week spend), ``.params``
    (settings) and ``.channel_params`` (decay, half_saturation in CAD/week, shape, beta in
    outcome units/week, identifiable). ``.table`` is contributions with ROI columns.
    """

    def __init__(self, *, channels, identifiable, fit: _Fitted, X, dates, kpi_col, objective,
                 saturation, ci, method, params, kind):
        self.channels = list(channels)
        self.identifiable = dict(identifiable)
        self.X = X
        self.dates = dates
        self.kpi_col = kpi_col
        self.objective = objective
        self.saturation = saturation
        self.ci = ci
        self.kind = kind
        self._fit = fit
        C = len(self.channels)
        self._point = np.full((C, 4), np.nan)
        self._draws = np.full((fit.draws.shape[0], C, 4), np.nan)
        ids = [i for i, ch in enumerate(self.channels) if self.identifiable[ch]]
        self._ids = np.array(ids, dtype=int)
        self._point[ids] = fit.point
        self._draws[:, ids] = fit.draws
        self.contributions, self.roi, self.marginal_roi = self._derived()
        self.curves = self._curves()
        table = self.contributions.merge(self.roi.rename(columns={"ci_low": "roi_ci_low", "ci_high": "roi_ci_high"}),
                                         on="channel")
        table = table.merge(self.marginal_roi.rename(columns={"ci_low": "mroi_ci_low", "ci_high": "mroi_ci_high"}),
                            on="channel")
        table["identifiable"] = [self.identifiable[c] for c in table["channel"]]
        super().__init__(table=table, method=method, params=params, estimate_col="contribution",
                         label_col="channel")

    @classmethod
    def from_curves(cls, curves: pd.DataFrame, *, saturation: str = "hill", kpi_col: str = "outcome",
                    objective: str | None = None, current_weekly_spend=None) -> "MediaMix":
        """Build a model from known curves (e.g. an external study), without uncertainty.

        ``curves``: one row per channel with ``channel``, ``half_saturation`` (CAD/week),
        ``beta`` (maximum weekly effect, outcome units), ``shape`` (Hill; default 1) and
        ``decay`` (default 0). ``current_weekly_spend``: dict channel -> CAD/week used for
        ROI and contributions (default: the half-saturation point).
        """
        need = {"channel", "half_saturation", "beta"} - set(curves.columns)
        if need:
            raise KeyError(f"curves needs columns {sorted(need)}.")
        c = curves.reset_index(drop=True)
        point = np.column_stack([c.get("decay", pd.Series(0.0, index=c.index)).to_numpy(float),
                                 c["half_saturation"].to_numpy(float),
                                 c.get("shape", pd.Series(1.0, index=c.index)).to_numpy(float),
                                 c["beta"].to_numpy(float)])
        cur = current_weekly_spend or dict(zip(c["channel"], c["half_saturation"]))
        X = np.array([[float(cur[ch]) for ch in c["channel"]]])
        fit = _Fitted(point, point[None, :, :], None)
        return cls(channels=list(c["channel"]), identifiable={ch: True for ch in c["channel"]}, fit=fit, X=X,
                   dates=np.array([np.datetime64("NaT")]), kpi_col=kpi_col, objective=objective,
                   saturation=saturation, ci=0.95, method="Response curves given as parameters",
                   params={"saturation": saturation}, kind="given")

    # -- parameters -------------------------------------------------------
    @property
    def channel_params(self) -> pd.DataFrame:
        """Per-channel fitted parameters (NaN for channels that are not identifiable)."""
        p = self._point
        return pd.DataFrame({"channel": self.channels, "decay": p[:, 0], "half_saturation": p[:, 1],
                             "shape": p[:, 2], "beta": p[:, 3],
                             "identifiable": [self.identifiable[c] for c in self.channels]})

    def _derived(self):
        ids = self._ids
        X = self.X[:, ids]
        spend = self.X.sum(axis=0)
        C = len(self.channels)
        eps = 0.01

        def stats(params):
            e = _effects(X, params[ids], self.saturation).sum(axis=0)
            e2 = _effects(X * (1 + eps), params[ids], self.saturation).sum(axis=0)
            contrib = np.full(C, np.nan)
            contrib[ids] = e
            mroi = np.full(C, np.nan)
            mroi[ids] = (e2 - e) / (eps * spend[ids])
            return contrib, contrib / np.where(spend > 0, spend, np.nan), mroi

        pt = stats(self._point)
        boots = [stats(self._draws[b]) for b in range(self._draws.shape[0])]
        out = []
        for k, name in enumerate(("contribution", "roi", "marginal_roi")):
            arr = np.array([b[k] for b in boots])
            lo, hi = _ci(arr, self.ci) if len(arr) else (np.full(C, np.nan), np.full(C, np.nan))
            df = pd.DataFrame({"channel": self.channels, name: pt[k], "ci_low": lo, "ci_high": hi})
            if name == "contribution":
                df["spend"] = spend
            out.append(df)
        return tuple(out)

    def current_weekly_spend(self) -> np.ndarray:
        """Mean spend per active week (weeks with spend > 0) for each channel, CAD."""
        X = self.X
        n = (X > 0).sum(axis=0)
        return np.where(n > 0, X.sum(axis=0) / np.maximum(n, 1), 0.0)

    def _curves(self) -> pd.DataFrame:
        cur = self.current_weekly_spend()
        rows = []
        for i, ch in enumerate(self.channels):
            if not self.identifiable[ch]:
                continue
            top = max(3.0 * cur[i], 2.0 * self._point[i, 1])
            grid = np.append(np.linspace(0.0, top, 41), cur[i])
            d = self._draws[:, i]
            y = self._point[i, 3] * _saturate(grid, self._point[i, 1], self._point[i, 2], self.saturation)
            yb = d[:, 3:4] * _saturate(grid[None, :], d[:, 1:2], d[:, 2:3], self.saturation)
            lo, hi = _ci(yb, self.ci)
            flag = np.zeros(len(grid), dtype=bool)
            flag[-1] = True
            rows.append(pd.DataFrame({"channel": ch, "weekly_spend": grid, "weekly_outcome": y,
                                      "ci_low": lo, "ci_high": hi, "current": flag}))
        if not rows:
            return pd.DataFrame(columns=["channel", "weekly_spend", "weekly_outcome", "ci_low", "ci_high", "current"])
        return pd.concat(rows, ignore_index=True).sort_values(["channel", "weekly_spend"], kind="stable",
                                                              ignore_index=True)

    # -- response over a planning horizon ----------------------------------
    def response(self, amounts, weeks: int = 8, draws: bool = False) -> np.ndarray:
        """Outcome per channel of spending ``amounts`` (CAD, array over ``self.channels``)
        evenly over ``weeks`` weeks, at steady state (adstock carry-over counted in full).

        Returns (C,) point outcomes, or (B, C) bootstrap outcomes with ``draws=True``.
        NaN for channels that are not identifiable.
        """
        w = np.asarray(amounts, float) / weeks
        if draws:
            p = self._draws
            return weeks * p[..., 3] * _saturate(w[None, :], p[..., 1], p[..., 2], self.saturation)
        p = self._point
        return weeks * p[:, 3] * _saturate(w, p[:, 1], p[:, 2], self.saturation)

    def _amounts(self, spend_by_channel) -> np.ndarray:
        if isinstance(spend_by_channel, pd.DataFrame):
            if not {"channel", "spend"} <= set(spend_by_channel.columns):
                raise KeyError("A plan table needs columns 'channel' and 'spend' (CAD).")
            spend_by_channel = spend_by_channel.groupby("channel")["spend"].sum().to_dict()
        spend = dict(spend_by_channel)
        unknown = [c for c in spend if c not in self.channels]
        if unknown:
            raise KeyError(f"Channels {unknown} are not in the model; it knows: {', '.join(self.channels)}.")
        return np.array([float(spend.get(c, 0.0)) for c in self.channels])

    def predict(self, spend_by_channel, weeks: int = 8) -> pd.DataFrame:
        """Expected outcome of a plan (dict / Series channel -> CAD, or a table channel, spend).

        Spend is spread evenly over ``weeks`` weeks. Returns one row per channel plus a
        ``total`` row: ``spend`` (CAD), ``outcome`` with ``ci_low``/``ci_high`` (outcome
        units) and ``modelled`` (False for channels the model cannot value; their outcome
        is NaN and the total covers modelled channels only).
        """
        amounts = self._amounts(spend_by_channel)
        pt = self.response(amounts, weeks)
        bd = self.response(amounts, weeks, draws=True)
        modelled = np.array([self.identifiable[c] for c in self.channels])
        zero = amounts == 0
        pt = np.where(zero, 0.0, pt)
        bd = np.where(zero[None, :], 0.0, bd)
        lo, hi = _ci(bd, self.ci)
        df = pd.DataFrame({"channel": self.channels, "spend": amounts, "outcome": pt, "ci_low": lo,
                           "ci_high": hi, "modelled": modelled | zero})
        tot_b = np.nansum(np.where(modelled[None, :], bd, 0.0), axis=1)
        tlo, thi = _ci(tot_b, self.ci)
        total = pd.DataFrame({"channel": ["total"], "spend": [amounts.sum()],
                              "outcome": [float(np.nansum(np.where(modelled, pt, 0.0)))],
                              "ci_low": [tlo], "ci_high": [thi], "modelled": [bool((modelled | zero).all())]})
        return pd.concat([df, total], ignore_index=True)

    def saturation_spend(self, weeks: int = 8) -> np.ndarray:
        """Budget per channel (CAD over ``weeks``) beyond which the channel is past saturation
        (more than 90 % of its maximum effect); NaN if not identifiable."""
        return weeks * _saturation_point(self._point[:, 1], self._point[:, 2], self.saturation)

    # -- presentation -------------------------------------------------------
    def next_thousand(self, lang: str = "fr") -> list[str]:
        """Sentences "the next 1 000 $ in <channel> would bring about N <outcomes>" per channel."""
        check_lang(lang)
        out = []
        unit = outcome_label(self.kpi_col, lang)
        for _, r in self.marginal_roi.iterrows():
            name = label("channel", r["channel"], lang)
            if not self.identifiable[r["channel"]]:
                out.append(f"{name} : dépenses trop stables pour estimer l'effet d'un dollar de plus."
                           if lang == "fr" else f"{name}: spend too steady to estimate the effect of one more dollar.")
                continue
            n, lo, hi = (1000 * r[k] for k in ("marginal_roi", "ci_low", "ci_high"))
            if lang == "fr":
                out.append(f"Les 1 000 $ suivants en {name} rapporteraient environ {fmt.number(n, lang)} "
                           f"{unit} (IC {fmt.percent(self.ci, lang, 0)} : {fmt.number(lo, lang)} à {fmt.number(hi, lang)}).")
            else:
                out.append(f"The next $1,000 in {name} would bring about {fmt.number(n, lang)} {unit} "
                           f"({fmt.percent(self.ci, lang, 0)} CI: {fmt.number(lo, lang)} to {fmt.number(hi, lang)}).")
        return out

    def summary(self, lang: str = "fr") -> str:
        check_lang(lang)
        t = self.contributions.dropna(subset=["contribution"])
        unit = outcome_label(self.kpi_col, lang)
        n_w = len(self.X)
        bad = [label("channel", c, lang) for c in self.channels if not self.identifiable[c]]
        if t.empty:
            return ("Aucun canal n'est identifiable : les dépenses ne varient pas assez." if lang == "fr"
                    else "No channel is identifiable: spend does not vary enough.")
        top = t.loc[t["contribution"].idxmax()]
        m = self.marginal_roi.dropna(subset=["marginal_roi"])
        best = m.loc[m["marginal_roi"].idxmax()]
        ci = fmt.percent(self.ci, lang, 0)
        if lang == "fr":
            s = (f"{self.method}, sur {n_w} périodes. Le canal qui contribue le plus est "
                 f"{label('channel', top['channel'], 'fr')} : {fmt.number(top['contribution'])} {unit} "
                 f"(IC {ci} : {fmt.number(top['ci_low'])} à {fmt.number(top['ci_high'])}). "
                 f"Le meilleur rendement du prochain dollar est en {label('channel', best['channel'], 'fr')}. ")
            if bad:
                s += f"Non identifiables (dépenses constantes, aucune courbe estimée) : {', '.join(bad)}. "
        else:
            s = (f"{self.method}, over {n_w} periods. The largest contributor is "
                 f"{label('channel', top['channel'], 'en')}: {fmt.number(top['contribution'], 'en')} {unit} "
                 f"({ci} CI: {fmt.number(top['ci_low'], 'en')} to {fmt.number(top['ci_high'], 'en')}). "
                 f"The next dollar does best in {label('channel', best['channel'], 'en')}. ")
            if bad:
                s += f"Not identifiable (spend never varies, no curve estimated): {', '.join(bad)}. "
        return s + self.next_thousand(lang)[int(np.flatnonzero(np.array(self.channels) == best["channel"])[0])]

    def plot(self, ax=None, kind: str = "curves", lang: str = "fr"):
        """Draw the response curves with current spend marked (``kind="curves"``) or the
        contributions with intervals (``kind="contributions"``). Returns the Axes."""
        if kind == "contributions":
            return super().plot(ax=ax)
        import matplotlib.pyplot as plt

        from .report.theme import PALETTE, apply_theme

        apply_theme()
        if ax is None:
            _, ax = plt.subplots(figsize=(8, 5))
        for i, (ch, g) in enumerate(self.curves.groupby("channel", sort=False)):
            col = PALETTE[i % len(PALETTE)]
            line = g[~g["current"]]
            ax.plot(line["weekly_spend"], line["weekly_outcome"], color=col, label=label("channel", ch, lang))
            ax.fill_between(line["weekly_spend"], line["ci_low"], line["ci_high"], color=col, alpha=0.15)
            cur = g[g["current"]]
            ax.scatter(cur["weekly_spend"], cur["weekly_outcome"], color=col, edgecolor="black", zorder=3)
        ax.set_xlabel("Dépenses hebdomadaires ($)" if lang == "fr" else "Weekly spend ($)")
        ax.set_ylabel(("Résultat hebdomadaire : " if lang == "fr" else "Weekly outcome: ")
                      + outcome_label(self.kpi_col, lang))
        from .report import fmt

        ax.xaxis.set_major_formatter(lambda v, _pos: fmt.number(v, lang))
        ax.yaxis.set_major_formatter(lambda v, _pos: fmt.number(v, lang))
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return ax


def _check_series(df, date_col, kpi_col, spend_cols, control_cols):
    missing = [c for c in [date_col, kpi_col, *spend_cols, *control_cols] if c not in df.columns]
    if missing:
        raise KeyError(f"Columns {missing} are not in the table; available: {list(df.columns)}.")
    if not spend_cols:
        raise ValueError("spend_cols is empty: name at least one spend column (CAD per period).")
    num = df[[kpi_col, *spend_cols, *control_cols]]
    bad = [c for c in num.columns if not pd.api.types.is_numeric_dtype(num[c])]
    if bad:
        raise TypeError(f"Columns {bad} must be numeric.")
    if num.isna().any().any():
        raise ValueError(f"Columns {num.columns[num.isna().any()].tolist()} have missing values; "
                         "fill them (0 for weeks without spend) or drop those periods.")
    neg = [c for c in spend_cols if (df[c] < 0).any()]
    if neg:
        raise ValueError(f"Spend columns {neg} have negative values; spend must be >= 0.")
    if pd.to_datetime(df[date_col]).duplicated().any():
        raise ValueError(f"{date_col!r} has duplicate dates: aggregate to one row per period first.")


def _channel_name(col: str) -> str:
    return col[len("spend_"):] if col.startswith("spend_") else col


def fit_media_mix(df: pd.DataFrame, *, date_col: str = "date", kpi_col: str = "outcome", spend_cols=None,
                  control_cols=(), adstock: str = "geometric", saturation: str = "hill", trend: bool = True,
                  seasonality: int = 2, seed: int = 0, n_boot: int = 100, block: int | None = None,
                  ci: float = 0.95, objective: str | None = None) -> MediaMix:
    """Fit a media-mix model on a weekly (or daily) series and return a :class:`MediaMix`.

    Model: ``kpi_t = sum_c beta_c * sat(adstock(spend_c)_t) + intercept + trend + Fourier
    seasonality (order ``seasonality``, yearly period) + controls + noise``, with
    normalised geometric adstock (decay in [0, 0.95]), ``saturation`` ``"hill"``
    (half-saturation and shape) or ``"logistic"``, and beta_c >= 0. Fitted by bounded
    least squares: coordinate sweeps over a (decay, half-saturation) grid with bounded
    linear least squares inside, then a joint trust-region refinement (scipy). Intervals:
    ``n_boot`` moving-block residual bootstrap refits (block length ``block`` periods,
    default ~T^(1/3)), seeded by ``seed``; percentile intervals at level ``ci``.
    ``spend_cols`` default: every column starting with ``spend_`` (channel = the rest of
    the name). A channel whose spend never varies is not identifiable: it is left out of
    the fit and reported with NaN estimates.
    """
    if not (isinstance(n_boot, int) and n_boot >= 0):
        raise ValueError(f"n_boot must be a whole number >= 0 (0 = no intervals), not {n_boot!r}.")
    if adstock != "geometric":
        raise ValueError(f"adstock must be 'geometric', not {adstock!r}.")
    if saturation not in ("hill", "logistic"):
        raise ValueError(f"saturation must be 'hill' or 'logistic', not {saturation!r}.")
    if spend_cols is None:
        spend_cols = [c for c in df.columns if str(c).startswith("spend_")]
    spend_cols, control_cols = list(spend_cols), list(control_cols)
    _check_series(df, date_col, kpi_col, spend_cols, control_cols)
    d = df.sort_values(date_col).reset_index(drop=True)
    if len(d) < 20:
        raise ValueError(f"Only {len(d)} periods: a media mix needs at least 20 (ideally 100+ weeks).")
    X = d[spend_cols].to_numpy(float)
    y = d[kpi_col].to_numpy(float)
    channels = [_channel_name(c) for c in spend_cols]
    ident = {ch: bool(np.ptp(X[:, i]) > 0) for i, ch in enumerate(channels)}
    ids = [i for i, ch in enumerate(channels) if ident[ch]]
    Z = d[control_cols].to_numpy(float) if control_cols else None
    B = _fourier_base(d[date_col], trend, seasonality, Z)
    rng = np.random.default_rng(seed)
    block = block or max(2, int(round(len(d) ** (1 / 3))))
    Xi = X[:, ids]
    scale = np.array([Xi[Xi[:, j] > 0, j].mean() for j in range(Xi.shape[1])])
    fit = _fit_block(Xi, y, B, saturation, True, n_boot, block, rng, scale)
    method = (f"Media mix: geometric adstock, {saturation} saturation, "
              f"{'trend, ' if trend else ''}Fourier order {seasonality}, bounded least squares, "
              f"{n_boot} block-bootstrap resamples")
    params = {"date_col": date_col, "kpi_col": kpi_col, "spend_cols": spend_cols,
              "control_cols": control_cols, "adstock": adstock, "saturation": saturation,
              "trend": trend, "seasonality": seasonality, "seed": seed, "n_boot": n_boot,
              "block": block, "ci": ci, "objective": objective}
    res = MediaMix(channels=channels, identifiable=ident, fit=fit, X=X, dates=d[date_col].to_numpy(),
                   kpi_col=kpi_col, objective=objective, saturation=saturation, ci=ci,
                   method=method, params=params, kind="media_mix")
    res.fitted = fit.fitted
    res.y = y
    return res


def weekly_channel_series(history: pd.DataFrame, campaigns: pd.DataFrame, objective: str,
                          outcome: str | None = None) -> pd.DataFrame:
    """Aggregate past delivery of campaigns of ``objective`` to one row per week.

    Returns ``date`` (week start, Monday) then ``spend_<channel>`` (CAD) and
    ``<outcome>_<channel>`` per channel; weeks without delivery in a channel are 0.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}.")
    outcome = outcome or OBJECTIVE_OUTCOME[objective]
    for col in ("date", "campaign_id", "channel", "spend", outcome):
        if col not in history.columns:
            raise KeyError(f"history needs a {col!r} column (canonical delivery table).")
    ids = campaigns.loc[campaigns["objective"] == objective, "campaign_id"]
    h = history[history["campaign_id"].isin(ids)]
    if h.empty:
        raise ValueError(f"No past delivery for objective {objective!r}: no curve can be fitted.")
    dt = pd.to_datetime(h["date"])
    week = (dt - pd.to_timedelta(dt.dt.day_of_week, unit="D")).dt.normalize()
    g = h.assign(week=week).groupby(["week", "channel"], observed=True)[["spend", outcome]].sum()
    wide = g.unstack("channel", fill_value=0.0)
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="7D")
    wide = wide.reindex(full, fill_value=0.0)
    out = pd.DataFrame({"date": full})
    for ch in wide["spend"].columns:
        out[f"spend_{ch}"] = wide[("spend", ch)].to_numpy(float)
        out[f"{outcome}_{ch}"] = wide[(outcome, ch)].to_numpy(float)
    return out


def fit_response_curves(history: pd.DataFrame, campaigns: pd.DataFrame, objective: str, *,
                        outcome: str | None = None, saturation: str = "hill", seed: int = 0,
                        n_boot: int = 100, block: int | None = None, ci: float = 0.95,
                        min_weeks: int = 8) -> MediaMix:
    """Fit a spend -> outcome curve per channel from past campaigns of ``objective``.

    Past delivery (canonical delivery table) of the campaigns of that objective is
    summed by week and channel (:func:`weekly_channel_series`); for each channel the
    weekly outcome (default: impressions for awareness, landing sessions for
    consideration, conversions for action) is fitted as ``beta * sat(weekly spend)``
    through the origin (delivery is same-week: no adstock), with moving-block residual
    bootstrap intervals. A channel whose weekly spend never varies (or with fewer than
    ``min_weeks`` weeks of spend) is marked not identifiable instead of given a curve.
    """
    outcome = outcome or OBJECTIVE_OUTCOME.get(objective)
    w = weekly_channel_series(history, campaigns, objective, outcome)
    channels = [c[len("spend_"):] for c in w.columns if c.startswith("spend_")]
    X = w[[f"spend_{c}" for c in channels]].to_numpy(float)
    Y = w[[f"{outcome}_{c}" for c in channels]].to_numpy(float)
    ident = {}
    for i, ch in enumerate(channels):
        active = X[:, i] > 0
        ident[ch] = bool(np.ptp(X[active, i]) > 0 if active.sum() >= min_weeks else False)
    rng = np.random.default_rng(seed)
    block = block or max(2, int(round(len(w) ** (1 / 3))))
    point, draws = [], []
    for i, ch in enumerate(channels):
        if not ident[ch]:
            continue
        active = X[:, i] > 0  # fit on weeks with spend (and the origin by construction)
        x, y = X[active, i:i + 1], Y[active, i]
        f = _fit_block(x, y, None, saturation, False, n_boot, block, rng, np.array([x.mean()]))
        point.append(f.point)
        draws.append(f.draws)
    fit = _Fitted(np.vstack(point) if point else np.empty((0, 4)),
                  np.concatenate(draws, axis=1) if draws else np.empty((n_boot, 0, 4)), None)
    method = (f"Response curves ({saturation}) per channel from past {objective} campaigns, "
              f"weekly {outcome}, {n_boot} block-bootstrap resamples")
    params = {"objective": objective, "outcome": outcome, "saturation": saturation, "seed": seed,
              "n_boot": n_boot, "block": block, "ci": ci, "min_weeks": min_weeks}
    return MediaMix(channels=channels, identifiable=ident, fit=fit, X=X, dates=w["date"].to_numpy(),
                    kpi_col=outcome, objective=objective, saturation=saturation, ci=ci,
                    method=method, params=params, kind="response_curves")


# ---------------------------------------------------------------------------
# Sections for the per-campaign report
# ---------------------------------------------------------------------------


def efficiency_section(history: pd.DataFrame, campaigns: pd.DataFrame, campaign_id: str,
                       lang: str = "fr") -> pd.DataFrame:
    """Return the campaign's KPIs by channel against benchmarks, formatted for a report.

    Columns (French headers by default): channel, KPI, value, peer median, interquartile
    range, percentile (share of past peers it beats) and number of peers.
    """
    check_lang(lang)
    b = benchmarks(history, campaigns, campaign_id=campaign_id)
    fr = lang == "fr"
    rows = []
    for _, r in b.iterrows():
        spec = metrics.KPIS[r["kpi"]]
        rows.append({
            ("Canal" if fr else "Channel"): label("channel", r["channel"], lang),
            ("Indicateur" if fr else "KPI"): spec.fr if fr else spec.en,
            ("Valeur" if fr else "Value"): fmt.kpi(r["value"], spec.unit, lang),
            ("Médiane des campagnes passées" if fr else "Past campaigns' median"): fmt.kpi(r["peer_median"], spec.unit, lang),
            ("Écart interquartile" if fr else "Interquartile range"):
                f"{fmt.kpi(r['peer_q1'], spec.unit, lang)} – {fmt.kpi(r['peer_q3'], spec.unit, lang)}",
            ("Rang centile" if fr else "Percentile"): fmt.number(r["percentile"], lang),
            ("Campagnes comparables" if fr else "Peer campaigns"): int(r["n_peers"]),
        })
    return pd.DataFrame(rows)


def pacing_section(plan_lines: pd.DataFrame, delivery: pd.DataFrame, campaign_id: str, as_of,
                   lang: str = "fr") -> pd.DataFrame:
    """Return the pacing table of one campaign at ``as_of``, formatted for a report."""
    check_lang(lang)
    pl = plan_lines[plan_lines["campaign_id"] == campaign_id]
    p = pacing(pl, delivery[delivery["campaign_id"] == campaign_id], as_of).table
    fr = lang == "fr"
    st = {"not_started": ("Pas commencée", "Not started"), "on_plan": ("Conforme", "On plan"),
          "under": ("Sous-dépense", "Under-pacing"), "over": ("Sur-dépense", "Over-pacing"),
          "finished": ("Terminée", "Finished"), "unplanned": ("Hors plan", "Not in plan")}
    return pd.DataFrame({
        ("Ligne" if fr else "Line"): p["line_id"],
        ("Canal" if fr else "Channel"): [label("channel", c, lang) for c in p.get("channel", p["line_id"])],
        ("Budget prévu" if fr else "Planned budget"): [fmt.money(v, lang, 0) for v in p["planned_spend"]],
        ("Dépensé à date" if fr else "Spent to date"): [fmt.money(v, lang, 0) for v in p["spend_to_date"]],
        ("Rythme" if fr else "Pace"): [fmt.percent(v, lang, 0) for v in p["pace"]],
        ("Projection fin de vol" if fr else "Projected at end"): [fmt.money(v, lang, 0) for v in p["projected_spend"]],
        ("Statut" if fr else "Status"): [st[s][0 if fr else 1] for s in p["status"]],
        ("Dépense quotidienne requise" if fr else "Required daily spend"):
            [fmt.money(v, lang, 0) for v in p["required_daily_spend"]],
    })


def report_section(*, history: pd.DataFrame | None = None, campaigns: pd.DataFrame | None = None,
                   campaign_id: str | None = None, plan_lines: pd.DataFrame | None = None,
                   delivery: pd.DataFrame | None = None, as_of=None, model: MediaMix | None = None,
                   lang: str = "fr") -> dict[str, Any]:
    """Build the budget sections of a campaign report; each is included when its inputs are given.

    Returns a dict with ``efficiency`` (formatted benchmarks table; needs history,
    campaigns, campaign_id), ``pacing`` (formatted pacing table; needs plan_lines,
    delivery, campaign_id, as_of) and ``next_thousand`` (list of sentences; needs a model
    from :func:`fit_media_mix` / :func:`fit_response_curves`).
    """
    out: dict[str, Any] = {}
    if history is not None and campaigns is not None and campaign_id is not None:
        out["efficiency"] = efficiency_section(history, campaigns, campaign_id, lang)
    if plan_lines is not None and delivery is not None and campaign_id is not None and as_of is not None:
        out["pacing"] = pacing_section(plan_lines, delivery, campaign_id, as_of, lang)
    if model is not None:
        out["next_thousand"] = model.next_thousand(lang)
    return out
