"""Segment lift: which segments respond best, with honest intervals.

- :func:`segment_rates`: a KPI per segment as a ratio of sums with an interval (Wilson
  for proportions such as CTR; exact Poisson (Garwood) for counts per exposure such as
  conversions per 1 000 impressions).
- :func:`segment_lift`: ratio and difference of each segment against a reference, with
  intervals (log method for ratios, Newcombe / MOVER for differences), p-values,
  Benjamini-Hochberg q-values per family (one family = one dimension x one KPI), an
  empirical-Bayes shrunk rate used for ranking and a ``suppressed`` flag.
- :func:`adjusted_effects`: a Poisson GLM with the exposure as offset and channel /
  campaign as controls, overdispersion handled by the Pearson scale (or a negative
  binomial); rate ratios with intervals. This is the honest view when a segment's raw
  rate only reflects where it was bought (Simpson's paradox).
- :func:`incrementality`, :func:`conversion_lift`, :func:`brand_lift`,
  :func:`lift_power`, :func:`minimum_detectable_effect`: lift studies and their planning.
- :func:`recommend_segments`: ranks segments for an objective across past campaigns.
- :func:`report_section`: the notebook's segment-lift section, suppression applied.

Supported KPIs are the count-based rate KPIs of :data:`metrics.KPIS`: proportions
(``ctr``, ``vcr``, ``conversion_rate``) and per-exposure counts
(``conversions_per_1000``). Rates are reported on the KPI's scale (shares 0-1 for
proportions; conversions per 1 000 impressions for ``conversions_per_1000``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from . import metrics, privacy, schema
from .results import Result

PROPORTION_KPIS = ("ctr", "vcr", "conversion_rate")
COUNT_KPIS = ("conversions_per_1000",)
SUPPORTED_KPIS = PROPORTION_KPIS + COUNT_KPIS
DIMENSIONS = ("age_band", "gender", "region", "language", "device")
# The objective's primary KPI expressed as a segment rate (DESIGN.md: awareness ->
# completed views, consideration -> CTR, action -> conversions, here per 1 000 impressions).
PRIMARY_RATE_KPI = {"awareness": "vcr", "consideration": "ctr", "action": "conversions_per_1000"}


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _kpi_spec(kpi: str, df: pd.DataFrame | None = None) -> metrics.KPI:
    """Return the KPI spec of a supported rate KPI; raise listing the valid ones otherwise."""
    available = [k for k in SUPPORTED_KPIS if df is None
                 or {metrics.KPIS[k].numerator, metrics.KPIS[k].denominator} <= set(df.columns)]
    if kpi not in SUPPORTED_KPIS:
        extra = ""
        if kpi in metrics.KPIS:
            extra = (f" {kpi!r} is a KPI but not a count-based rate (money KPIs and plain totals have no "
                     "segment rate interval).")
        raise ValueError(f"Unknown KPI {kpi!r} for segment lift.{extra} Valid KPIs for this table: "
                         f"{', '.join(available) or '(none: the table lacks the count columns)'}.")
    spec = metrics.KPIS[kpi]
    if df is not None:
        need = [c for c in (spec.numerator, spec.denominator) if c not in df.columns]
        if need:
            raise KeyError(f"KPI {kpi!r} needs columns {need}, which the table does not have. "
                           f"Valid KPIs for this table: {', '.join(available) or '(none)'}.")
    return spec


def _check_counts(df: pd.DataFrame, successes: str, exposure: str, proportion: bool) -> None:
    """Raise a clear error on missing, negative or impossible counts."""
    for c in (successes, exposure):
        if c not in df.columns:
            raise KeyError(f"Column {c!r} is not in the table. Available: {list(df.columns)}.")
        v = pd.to_numeric(df[c], errors="coerce")
        if v.isna().any():
            raise ValueError(f"Column {c!r} has {int(v.isna().sum())} missing or non-numeric values; "
                             "fill or drop them first.")
        if (v < 0).any():
            raise ValueError(f"Column {c!r} has {int((v < 0).sum())} negative values; counts must be >= 0. "
                             "Fix the source rows.")
        if np.isinf(v.to_numpy(float)).any():
            raise ValueError(f"Column {c!r} has {int(np.isinf(v.to_numpy(float)).sum())} infinite values; "
                             "counts and exposure must be finite. Fix the source rows (an infinite value "
                             "usually comes from a division by zero upstream).")
    if proportion and (df[successes] > df[exposure]).any():
        bad = int((df[successes] > df[exposure]).sum())
        raise ValueError(f"{bad} rows have more {successes} than {exposure} (successes above trials); "
                         f"a proportion KPI needs {successes} <= {exposure}. Fix the rows or use a "
                         "per-exposure KPI.")


def _as_list(by) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _check_dims(df: pd.DataFrame, dims: list[str]) -> None:
    missing = [d for d in dims if d not in df.columns]
    if missing:
        raise KeyError(f"Dimension columns not in the table: {missing}. Available: {list(df.columns)}.")
    for d in dims:
        if df[d].isna().any():
            raise ValueError(f"Dimension {d!r} has missing values; label them (e.g. 'unknown') first.")
        if df[d].nunique() < 2:
            raise ValueError(f"Dimension {d!r} has a single level ({df[d].iloc[0]!r} if any): there is "
                             "nothing to compare. Choose a dimension with at least two segments.")


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), not {level!r}.")
    return float(stats.norm.ppf(0.5 + level / 2))


# ---------------------------------------------------------------------------
# Intervals (vectorised)
# ---------------------------------------------------------------------------


def wilson_interval(x, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Return Wilson score limits (shares 0-1) for ``x`` successes out of ``n`` trials."""
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        den = 1 + z ** 2 / n
        centre = (p + z ** 2 / (2 * n)) / den
        half = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / den
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def poisson_interval(x, exposure, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Return exact (Garwood) limits for a Poisson rate ``x / exposure`` (per unit exposure)."""
    x = np.asarray(x, float)
    e = np.asarray(exposure, float)
    a = 1 - level
    _z(level)
    lo = np.where(x > 0, stats.chi2.ppf(a / 2, 2 * x) / 2, 0.0)
    hi = stats.chi2.ppf(1 - a / 2, 2 * (x + 1)) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(e > 0, lo / e, np.nan), np.where(e > 0, hi / e, np.nan)


def _rate_ci(x, n, proportion: bool, level: float):
    return wilson_interval(x, n, level) if proportion else poisson_interval(x, n, level)


def _log_ratio_se(x1, n1, x0, n0, proportion: bool):
    """Standard error of log(rate1 / rate0) (0.5 added to zero counts)."""
    x1 = np.where(np.asarray(x1, float) == 0, 0.5, x1)
    x0 = np.where(np.asarray(x0, float) == 0, 0.5, x0)
    v = 1 / x1 + 1 / x0
    if proportion:
        v = v - 1 / np.asarray(n1, float) - 1 / np.asarray(n0, float)
    return np.sqrt(np.maximum(v, 0))


def bh_qvalues(p) -> np.ndarray:
    """Return Benjamini-Hochberg q-values (NaN p-values stay NaN and are not counted)."""
    p = np.asarray(p, float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def _shrunk_rates(x, n, proportion: bool) -> tuple[np.ndarray, float]:
    """Empirical-Bayes shrunk rates (per unit exposure) and the prior strength.

    Proportions: beta-binomial, method of moments; counts: gamma-Poisson. The prior mean
    is the pooled rate; its strength ``M`` (in exposure units) is ``mean*(1-mean)/tau2 - 1``
    (``mean/tau2`` for counts), where ``tau2`` is the between-segment variance of the true
    rates. When no heterogeneity is detected every segment shrinks to the pooled rate.
    """
    x = np.asarray(x, float)
    n = np.asarray(n, float)
    ok = n > 0
    m = x[ok].sum() / n[ok].sum()
    r = x[ok] / n[ok]
    w = n[ok] / n[ok].sum()
    s2 = float(np.sum(w * (r - m) ** 2))
    within = m * (1 - m) if proportion else m
    noise = float(np.sum(w * within / n[ok]))
    tau2 = s2 - noise
    if tau2 <= 0 or not np.isfinite(tau2):
        strength = np.inf
        shrunk = np.where(ok, m, np.nan)
    else:
        strength = (m * (1 - m) / tau2 - 1) if proportion else m / tau2
        strength = max(strength, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            shrunk = np.where(ok, (x + strength * m) / (n + strength), np.nan)
    return shrunk, float(strength)


# ---------------------------------------------------------------------------
# Result classes
# ---------------------------------------------------------------------------


def _fmt_num(x, lang, decimals=2):
    from .report import fmt

    return fmt.number(x, lang, decimals)


def _kpi_label(kpi: str, lang: str) -> str:
    s = metrics.KPIS[kpi]
    return s.fr if lang == "fr" else s.en


def _seg_label(dim: str, code, lang: str) -> str:
    if dim in schema.SEGMENT_DIMENSIONS or dim == "channel":
        return schema.label(dim, str(code), lang)
    return str(code)


RATIO_TICKS = (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.75, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 10.0)


def forest_plot(table: pd.DataFrame, estimate: str, low: str, high: str, *, labels=None, ax=None,
                null: float = 1.0, xlabel: str = "", log: bool = True, lang: str = "fr"):
    """Draw a forest plot (point and interval per row, vertical line at ``null``); return the Axes.

    On a log axis the ticks are plain ratios (0,8 / 1 / 1,25...) formatted for ``lang``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    from .report import fmt

    from .report.theme import apply_theme

    apply_theme()
    t = table.reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * max(len(t), 3) + 1))
    y = np.arange(len(t))
    est = pd.to_numeric(t[estimate], errors="coerce").astype(float).to_numpy()
    lo = pd.to_numeric(t[low], errors="coerce").astype(float).to_numpy()
    hi = pd.to_numeric(t[high], errors="coerce").astype(float).to_numpy()
    ax.errorbar(est, y, xerr=[np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)], fmt="o",
                color="#1f5fa8", ecolor="#333333", capsize=3)
    ax.axvline(null, color="#b8403d", linestyle="--", linewidth=1)
    if log and np.all(np.nan_to_num(lo, nan=1) > 0):
        ax.set_xscale("log")
        finite = np.concatenate([lo[np.isfinite(lo)], hi[np.isfinite(hi)], [null]])
        ticks = [v for v in RATIO_TICKS if finite.min() / 1.05 <= v <= finite.max() * 1.05] or [null]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.number(v, lang, 2)))
    ax.set_yticks(y)
    ax.set_yticklabels([str(v) for v in (labels if labels is not None else t.index)])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return ax


@dataclass(repr=False)
class SegmentRates(Result):
    """Rates per segment with intervals (``rate``, ``ci_low``, ``ci_high`` on the KPI scale)."""

    def summary(self, lang: str = "fr") -> str:
        """Return the highest and lowest segment rates in words."""
        schema.check_lang(lang)
        kpi = self.params["kpi"]
        t = self.table.dropna(subset=["rate"]).sort_values("rate", ascending=False)
        if t.empty:
            return "Aucun segment avec exposition." if lang == "fr" else "No segment with exposure."
        from .report import fmt

        unit = metrics.KPIS[kpi].unit

        def f(v):
            return fmt.kpi(v, unit, lang)

        top, bot = t.iloc[0], t.iloc[-1]
        if lang == "en":
            return (f"{_kpi_label(kpi, lang)}: highest in {top['segment']} ({f(top['rate'])}), "
                    f"lowest in {bot['segment']} ({f(bot['rate'])}) across {len(t)} segments.")
        return (f"{_kpi_label(kpi, lang)} : le plus élevé pour {top['segment']} ({f(top['rate'])}), "
                f"le plus faible pour {bot['segment']} ({f(bot['rate'])}), sur {len(t)} segments.")

    def plot(self, ax=None):
        """Forest plot of the rates with their intervals; returns the Axes."""
        return forest_plot(self.table, "rate", "ci_low", "ci_high", labels=self.table["segment"], ax=ax,
                           null=float(self.params.get("overall_rate", np.nan)), log=False,
                           xlabel=self.params["kpi"])


@dataclass(repr=False)
class SegmentLift(Result):
    """Segment lift against a reference: ratio, difference, intervals, p and q-values.

    ``table`` columns: dimension, segment, successes, exposure, rate, rate_ci_low,
    rate_ci_high, reference_rate, ratio, ci_low, ci_high (ratio interval), difference,
    diff_ci_low, diff_ci_high, p_value, q_value, shrunk_rate, rank (by shrunk rate within
    the dimension, 1 = best), suppressed.
    """

    def summary(self, lang: str = "fr") -> str:
        """Return the segments that stand out (q < 0.05) in words; raw view stated."""
        schema.check_lang(lang)
        t = self.table[~self.table["suppressed"]]
        sig = t[(t["q_value"] < 0.05)].sort_values("ratio", ascending=False)
        kpi = _kpi_label(self.params["kpi"], lang)
        ref = self.params["reference"]
        if sig.empty:
            return (f"{kpi} (taux bruts) : aucun segment ne se distingue de la référence après contrôle du "
                    "taux de fausses découvertes (q < 0,05)." if lang == "fr" else
                    f"{kpi} (raw rates): no segment differs from the reference after false-discovery "
                    "control (q < 0.05).")
        parts = []
        for _, r in sig.head(5).iterrows():
            lab = _seg_label(r["dimension"], r["segment"], lang)
            parts.append(f"{lab} ({_fmt_num(r['ratio'], lang)} ; IC {_fmt_num(r['ci_low'], lang)} à "
                         f"{_fmt_num(r['ci_high'], lang)})" if lang == "fr" else
                         f"{lab} ({_fmt_num(r['ratio'], lang)}; CI {_fmt_num(r['ci_low'], lang)} to "
                         f"{_fmt_num(r['ci_high'], lang)})")
        if lang == "en":
            return (f"{kpi} (raw rates, ratio vs {ref}): segments that differ at q < 0.05: "
                    + ", ".join(parts) + ". Raw rates also reflect where each segment was bought.")
        ref_fr = {"rest": "le reste", "overall": "l'ensemble"}.get(ref, ref)
        return (f"{kpi} (taux bruts, rapport à {ref_fr}) : segments qui se distinguent (q < 0,05) : "
                + ", ".join(parts) + ". Les taux bruts reflètent aussi les canaux où chaque segment a été acheté.")

    def plot(self, ax=None):
        """Forest plot of the ratios (suppressed segments left out); returns the Axes."""
        t = self.table[~self.table["suppressed"]]
        labels = t["dimension"].astype(str) + " = " + t["segment"].astype(str)
        return forest_plot(t, "ratio", "ci_low", "ci_high", labels=labels.tolist(), ax=ax,
                           xlabel=f"{self.params['kpi']}: ratio vs {self.params['reference']}")


@dataclass(repr=False)
class AdjustedEffects(Result):
    """Channel/campaign-adjusted rate ratios from a GLM.

    ``table`` columns: dimension, segment, reference, rate_ratio, ci_low, ci_high, p_value,
    q_value (BH within the dimension), successes, exposure. ``params['scale']`` is the
    dispersion used (Pearson chi2 / df for ``dispersion="pearson"``).
    """

    def summary(self, lang: str = "fr") -> str:
        """Return the adjusted rate ratios in words, stating the controls."""
        schema.check_lang(lang)
        ctrl = ", ".join(self.params["controls"]) or ("aucun" if lang == "fr" else "none")
        parts = []
        for _, r in self.table.sort_values("rate_ratio", ascending=False).head(6).iterrows():
            lab = _seg_label(r["dimension"], r["segment"], lang)
            ref = r["reference"] if r["reference"] != "rest" else ("le reste" if lang == "fr" else "the rest")
            ref = _seg_label(r["dimension"], ref, lang) if ref in map(str, self.params.get("levels", {})
                                                                    .get(r["dimension"], [])) else ref
            if lang == "fr":
                parts.append(f"{lab} contre {ref} : {_fmt_num(r['rate_ratio'], lang)} (IC à 95 % "
                             f"{_fmt_num(r['ci_low'], lang)} à {_fmt_num(r['ci_high'], lang)})")
            else:
                parts.append(f"{lab} vs {ref}: {_fmt_num(r['rate_ratio'], lang)} (95% CI "
                             f"{_fmt_num(r['ci_low'], lang)} to {_fmt_num(r['ci_high'], lang)})")
        if lang == "en":
            return (f"Rate ratios adjusted for {ctrl} (Poisson GLM, dispersion "
                    f"{_fmt_num(self.params['scale'], lang)}): " + "; ".join(parts) + ".")
        return (f"Rapports de taux ajustés pour {ctrl} (GLM de Poisson, dispersion "
                f"{_fmt_num(self.params['scale'], lang)}) : " + " ; ".join(parts) + ".")

    def plot(self, ax=None):
        """Forest plot of the adjusted rate ratios; returns the Axes."""
        labels = (self.table["dimension"].astype(str) + " = " + self.table["segment"].astype(str)).tolist()
        return forest_plot(self.table, "rate_ratio", "ci_low", "ci_high", labels=labels, ax=ax,
                           xlabel="adjusted rate ratio")


@dataclass(repr=False)
class Incrementality(Result):
    """Lift-study results, one row per test (and segment).

    Conversion lift: test_rate, control_rate, relative_lift (+ci), incremental (+ci, in
    conversions), cost_per_incremental (+ci, CAD) when spend is given. Brand lift:
    absolute_lift (+ci, in percentage points as a share 0-1). Both: p_value, and
    ``withheld`` / ``withheld_rule`` (small studies: every figure NaN, see
    :func:`incrementality`).
    """

    def summary(self, lang: str = "fr") -> str:
        """Return one sentence per test."""
        schema.check_lang(lang)
        return " ".join(incrementality_sentence(r, lang) for _, r in self.table.iterrows())

    def plot(self, ax=None):
        """Forest plot of the relative lift (conversion) or absolute lift (brand), withheld studies
        left out; returns the Axes."""
        t = self.table[~self.table["withheld"]].copy() if "withheld" in self.table else self.table.copy()
        t["est"] = t["relative_lift"].where(t["kind"] == "conversion_lift", t["absolute_lift"])
        t["lo"] = t["relative_lift_ci_low"].where(t["kind"] == "conversion_lift", t["absolute_lift_ci_low"])
        t["hi"] = t["relative_lift_ci_high"].where(t["kind"] == "conversion_lift", t["absolute_lift_ci_high"])
        labels = (t["test_id"].astype(str) + " " + t["segment"].astype(str)).tolist()
        return forest_plot(t, "est", "lo", "hi", labels=labels, ax=ax, null=0.0, log=False, xlabel="lift")


@dataclass(repr=False)
class Recommendation(Result):
    """Ranked segments for an objective (see :func:`recommend_segments`)."""

    def summary(self, lang: str = "fr") -> str:
        """Return the top segments and how many were left out for being too small."""
        schema.check_lang(lang)
        col = "rationale_fr" if lang == "fr" else "rationale_en"
        top = " ".join(self.table.head(3)[col].tolist())
        n_out = int(sum(self.params["left_out"].values()))
        if lang == "en":
            return (top + f" {n_out} segment(s) too small to report (below {self.params['threshold']} "
                    "outcomes) were left out.").strip()
        return (top + f" {n_out} segment(s) trop petit(s) pour être publié(s) (moins de "
                f"{self.params['threshold']} résultats) ont été exclu(s).").strip()

    def plot(self, ax=None):
        """Forest plot of the adjusted rate ratios of the ranked segments; returns the Axes."""
        labels = (self.table["dimension"].astype(str) + " = " + self.table["segment"].astype(str)).tolist()
        return forest_plot(self.table, "rate_ratio", "ci_low", "ci_high", labels=labels, ax=ax,
                           xlabel="adjusted rate ratio vs rest")


# ---------------------------------------------------------------------------
# Segment rates and lift
# ---------------------------------------------------------------------------


def _prepare(delivery: pd.DataFrame, kpi: str, dims: list[str]):
    spec = _kpi_spec(kpi, delivery)
    if delivery.empty:
        raise ValueError("The delivery table is empty (no rows): there is no segment to compare. "
                         "Check the campaign or date filter that produced it.")
    proportion = kpi in PROPORTION_KPIS
    _check_dims(delivery, dims)
    _check_counts(delivery, spec.numerator, spec.denominator, proportion)
    return spec, proportion


def segment_rates(delivery: pd.DataFrame, kpi: str, by, *, level: float = 0.95) -> SegmentRates:
    """Return the KPI per segment of ``by`` as a ratio of sums with an interval.

    ``by``: a dimension column or a list (segments are their combinations). Table
    columns: the ``by`` columns, ``segment`` (text key), ``successes``, ``exposure``,
    ``rate``, ``ci_low``, ``ci_high`` (on the KPI scale: share 0-1 for proportions, per
    1 000 impressions for ``conversions_per_1000``). Segments with zero exposure get NaN
    rate and interval (documented handling, never a fake 0).
    """
    by = _as_list(by)
    spec, proportion = _prepare(delivery, kpi, by)
    g = delivery.groupby(by, observed=True, sort=True)[[spec.numerator, spec.denominator]].sum().reset_index()
    x = g[spec.numerator].to_numpy(float)
    n = g[spec.denominator].to_numpy(float)
    lo, hi = _rate_ci(x, n, proportion, level)
    tab = g[by].copy()
    tab["segment"] = g[by].astype(str).agg(" / ".join, axis=1) if len(by) > 1 else g[by[0]].astype(str)
    tab["successes"] = x
    tab["exposure"] = n
    tab["rate"] = metrics.safe_ratio(x, n, spec.scale)
    tab["ci_low"] = lo * spec.scale
    tab["ci_high"] = hi * spec.scale
    method = ("Wilson score interval" if proportion else "exact Poisson (Garwood) interval")
    return SegmentRates(tab, f"{kpi} per segment of {', '.join(by)}, ratio of sums, {method}",
                        params={"kpi": kpi, "by": by, "level": level,
                                "overall_rate": metrics.safe_ratio(x.sum(), n.sum(), spec.scale)},
                        estimate_col="rate", label_col="segment")


def _lift_one_dim(g: pd.DataFrame, dim: str, spec, proportion: bool, reference: str, level: float,
                  threshold: int) -> pd.DataFrame:
    x = g["successes"].to_numpy(float)
    n = g["exposure"].to_numpy(float)
    seg = g[dim].astype(str).to_numpy()
    z = _z(level)
    has = n > 0
    X, N = x[has].sum(), n[has].sum()
    if reference in ("rest", "overall"):
        x0, n0 = X - x, N - n
    else:
        if reference not in seg:
            raise ValueError(f"Reference segment {reference!r} is not a level of {dim!r}. Levels: "
                             f"{sorted(seg)}; or use reference='rest' or 'overall'.")
        i = int(np.flatnonzero(seg == reference)[0])
        if n[i] == 0:
            raise ValueError(f"Reference segment {reference!r} has zero exposure; choose another reference.")
        x0, n0 = np.full_like(x, x[i]), np.full_like(n, n[i])
    valid = has & (n0 > 0)
    if reference not in ("rest", "overall"):
        valid &= seg != reference
    with np.errstate(invalid="ignore", divide="ignore"):
        r1, r0 = x / n, x0 / n0
        ratio = r1 / r0
        se = _log_ratio_se(x, n, x0, n0, proportion)
        # log method; with zero counts the 0.5-corrected ratio centres the interval
        x1c, x0c = np.where(x == 0, 0.5, x), np.where(x0 == 0, 0.5, x0)
        lr = np.log((x1c / n) / (x0c / n0))
        rlo, rhi = np.exp(lr - z * se), np.exp(lr + z * se)
        p = 2 * stats.norm.sf(np.abs(lr) / se)
    l1, u1 = _rate_ci(x, n, proportion, level)
    l0, u0 = _rate_ci(x0, n0, proportion, level)
    diff = r1 - r0
    dlo = diff - np.sqrt((r1 - l1) ** 2 + (u0 - r0) ** 2)
    dhi = diff + np.sqrt((u1 - r1) ** 2 + (r0 - l0) ** 2)
    ref_rate = r0
    if reference == "overall":
        # Against the whole (which contains the segment): r_all = w r1 + (1-w) r_rest with w = n/N.
        # ratio_all = RR / (w RR + 1 - w) is increasing in RR, so the rest interval maps over;
        # diff_all = (1-w) diff_rest; the p-value (same null) is unchanged.
        w = n / N
        ref_rate = np.full_like(r1, X / N)

        def m(rr):
            return rr / (w * rr + 1 - w)

        ratio, rlo, rhi = m(ratio), m(rlo), m(rhi)
        diff, dlo, dhi = (1 - w) * diff, (1 - w) * dlo, (1 - w) * dhi
    out = pd.DataFrame({
        "dimension": dim,
        "segment": seg,
        "successes": x,
        "exposure": n,
        "rate": np.where(has, r1, np.nan) * spec.scale,
        "rate_ci_low": l1 * spec.scale,
        "rate_ci_high": u1 * spec.scale,
        "reference_rate": ref_rate * spec.scale,
        "ratio": np.where(valid, ratio, np.nan),
        "ci_low": np.where(valid, rlo, np.nan),
        "ci_high": np.where(valid, rhi, np.nan),
        "difference": np.where(valid, diff, np.nan) * spec.scale,
        "diff_ci_low": np.where(valid, dlo, np.nan) * spec.scale,
        "diff_ci_high": np.where(valid, dhi, np.nan) * spec.scale,
        "p_value": np.where(valid, p, np.nan),
    })
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy())
    shrunk, _ = _shrunk_rates(x, n, proportion)
    out["shrunk_rate"] = shrunk * spec.scale
    out["rank"] = out["shrunk_rate"].rank(ascending=not spec.higher_is_better, method="min").astype("Int64")
    out["suppressed"] = x < threshold
    return out


def segment_lift(delivery: pd.DataFrame, kpi: str, by, reference: str = "rest", *, level: float = 0.95,
                 threshold: int = 10) -> SegmentLift:
    """Return each segment's ratio and difference against a reference, with intervals.

    ``by``: one dimension or a list of dimensions; each dimension is analysed on its own
    and forms its own multiple-testing family (BH q-values within dimension x KPI).
    ``reference``: ``"rest"`` (all other segments of the dimension), ``"overall"`` (all
    segments, including this one) or a named segment (its own row then has NaN
    comparisons). Ratio interval: log method (Katz for proportions, 0.5 added to zero
    counts); difference interval: Newcombe hybrid score (MOVER with Wilson limits) for
    proportions, MOVER with exact Poisson limits for counts; p-value: Wald test of the log
    ratio (consistent with the ratio interval). ``shrunk_rate`` is an empirical-Bayes
    (beta-binomial / gamma-Poisson) rate used for ``rank``. ``suppressed`` is True when the
    segment's count of people (the KPI numerator) is below ``threshold``; segments with
    zero exposure keep NaN estimates and are left out of the q-values.
    """
    dims = _as_list(by)
    spec, proportion = _prepare(delivery, kpi, dims)
    threshold = privacy.check_threshold(threshold)
    if not (reference in ("rest", "overall") or isinstance(reference, str)):
        raise ValueError("reference must be 'rest', 'overall' or the name of a segment.")
    parts = []
    for dim in dims:
        g = (delivery.groupby(dim, observed=True, sort=True)[[spec.numerator, spec.denominator]].sum()
             .reset_index().rename(columns={spec.numerator: "successes", spec.denominator: "exposure"}))
        parts.append(_lift_one_dim(g, dim, spec, proportion, reference, level, threshold))
    tab = pd.concat(parts, ignore_index=True)
    kind = "Wilson/Newcombe" if proportion else "exact Poisson/MOVER"
    return SegmentLift(
        tab,
        method=(f"Raw segment lift of {kpi} vs {reference} (ratio of sums; log-method ratio intervals, "
                f"{kind} differences; BH q-values per dimension; empirical-Bayes shrinkage for ranking)"),
        params={"kpi": kpi, "by": dims, "reference": reference, "level": level, "threshold": threshold,
                "view": "raw"},
        estimate_col="ratio", label_col="segment",
    )


# ---------------------------------------------------------------------------
# Adjusted effects (GLM)
# ---------------------------------------------------------------------------


def term_identifiable(X: pd.DataFrame, term: str) -> bool:
    """True if the columns of ``term`` in design ``X`` are not linear combinations of the others
    (their effect can be separated from the controls)."""
    cols = [c for c in X.columns if c.startswith(f"C({term},")]
    if not cols:
        return False
    rest = X.drop(columns=cols).to_numpy(float)
    full = X.to_numpy(float)
    return np.linalg.matrix_rank(full) == np.linalg.matrix_rank(rest) + len(cols)


def _fit_glm(data: pd.DataFrame, y: str, expo: str, terms: list[str], refs: dict, dispersion: str,
             check_term: str | None = None):
    """Fit the Poisson (or negative binomial) GLM; with ``check_term``, return ``(None, nan)``
    when that term is not identifiable (confounded with the other terms)."""
    import statsmodels.api as sm
    from patsy import dmatrix

    rhs = " + ".join(f"C({t}, Treatment({refs[t]!r}))" for t in terms) or "1"
    X = dmatrix(rhs, data, return_type="dataframe")
    if check_term is not None and not term_identifiable(X, check_term):
        return None, float("nan")
    offset = np.log(data[expo].to_numpy(float))
    yv = data[y].to_numpy(float)
    if dispersion == "negbin":
        from statsmodels.discrete.discrete_model import NegativeBinomial

        nb = NegativeBinomial(yv, X, offset=offset).fit(disp=0, maxiter=200)
        alpha = float(nb.params.iloc[-1])
        res = sm.GLM(yv, X, family=sm.families.NegativeBinomial(alpha=alpha), offset=offset).fit()
        return res, alpha
    model = sm.GLM(yv, X, family=sm.families.Poisson(), offset=offset)
    with warnings.catch_warnings():
        # Collinear controls (e.g. device "tv" only on TV channels) make the design rank-deficient;
        # the pseudo-inverse still gives unique estimates of identifiable effects, and callers
        # check that the effect they report is identifiable (see _identifiable_vs_rest).
        warnings.simplefilter("ignore", category=sm.tools.sm_exceptions.SingularMatrixWarning)
        return _fit_poisson(model, yv, X, dispersion)


def _fit_poisson(model, yv, X, dispersion: str):
    if dispersion == "pearson" and len(yv) <= X.shape[1]:
        # A saturated model leaves no residual df: the Pearson scale is undefined, so the
        # interval is unknown (NaN, shown as n.d.), not invented.
        return model.fit(scale=float("nan")), float("nan")
    res = model.fit(scale="X2" if dispersion == "pearson" else 1.0)
    if dispersion == "pearson" and res.scale < 1:
        # Under-dispersion of counts is implausible: a Pearson scale below 1 is noise from few
        # residual df, and using it would make intervals too narrow. Floor it at 1.
        res = model.fit(scale=1.0)
    return res, float(res.scale)


def adjusted_effects(delivery: pd.DataFrame, kpi: str | None = None, dims=("age_band",), *,
                     controls=("channel", "campaign_id"), reference=None, successes: str | None = None,
                     exposure: str | None = None, dispersion: str = "pearson", aggregate: bool = True,
                     level: float = 0.95) -> AdjustedEffects:
    """Return rate ratios of segments adjusted for the controls, from a Poisson GLM.

    Model: ``successes ~ Poisson(exposure * exp(dims + controls))`` (log link, log
    exposure as offset); all ``dims`` are fitted jointly and ``controls`` (channel,
    campaign by default; controls with one level or absent are dropped and listed in
    ``params['dropped_controls']``) are adjusted for. For proportion KPIs the Poisson
    working model gives risk ratios. ``dispersion``: ``"pearson"`` (quasi-Poisson scale =
    Pearson chi2 / residual df, floored at 1), ``"negbin"`` (negative binomial, alpha by maximum
    likelihood) or ``"none"``.

    ``kpi`` names a supported KPI (its numerator and denominator columns are used);
    otherwise give ``successes`` and ``exposure`` columns (e.g. real exports).
    ``reference``: ``None`` (each dimension against its level with the most exposure), a
    dict ``{dimension: level}``, or ``"rest"`` (each level against all other levels of its
    dimension, one model per level with an indicator, other dims not included).
    ``aggregate=True`` sums the rows over dims x controls before fitting (same estimates;
    dispersion measured between those cells); ``False`` fits the rows as given (a daily table
    with a ``date`` column is summed per date within each fitted stratum).
    Segments with zero exposure are dropped (rows with zero exposure carry no information)
    and listed in ``params['zero_exposure']``.
    """
    dims = _as_list(dims)
    if kpi is not None:
        spec = _kpi_spec(kpi, delivery)
        successes, exposure = spec.numerator, spec.denominator
        proportion = kpi in PROPORTION_KPIS
    elif successes is None or exposure is None:
        raise ValueError("Give either kpi= (one of " + ", ".join(SUPPORTED_KPIS)
                         + ") or both successes= and exposure= column names.")
    else:
        proportion = False
    if dispersion not in ("pearson", "negbin", "none"):
        raise ValueError("dispersion must be 'pearson' (default), 'negbin' or 'none'.")
    _z(level)
    _check_dims(delivery, dims)
    _check_counts(delivery, successes, exposure, proportion)
    controls = [c for c in _as_list(controls)]
    dropped = [c for c in controls if c not in delivery.columns or delivery[c].nunique() < 2]
    controls = [c for c in controls if c not in dropped and c not in dims]
    cols = dims + controls
    # With aggregate=False on a daily table, keep the date so that rows can be summed per
    # day within each fitted stratum (fast, and overdispersion is still measured day to day).
    by_date = not aggregate and "date" in delivery.columns and "date" not in cols
    data = delivery[cols + (["date"] if by_date else []) + [successes, exposure]].copy()
    for c in cols:
        data[c] = data[c].astype(str)
    if aggregate:
        data = data.groupby(cols, observed=True, sort=True)[[successes, exposure]].sum().reset_index()
    # A stratum of a control (a channel, a campaign) with no success at all has a rate of 0 whatever
    # the segment: it carries no information on segment effects and its coefficient would diverge
    # to minus infinity. Such strata are left out and listed.
    dead_strata = {}
    for c in controls:
        tot = data.groupby(c, observed=True)[successes].sum()
        dead = sorted(tot[tot <= 0].index.tolist())
        if dead and len(dead) < len(tot):
            dead_strata[c] = dead
            data = data[~data[c].isin(dead)]
    data = data.reset_index(drop=True)
    seg_expo = {d: data.groupby(d)[exposure].sum() for d in dims}
    zero = {d: sorted(s[s <= 0].index.tolist()) for d, s in seg_expo.items() if (s <= 0).any()}
    data = data[data[exposure] > 0].reset_index(drop=True)
    for d in dims:
        if data[d].nunique() < 2:
            raise ValueError(f"Dimension {d!r} has fewer than two levels with exposure.")
    ctrl_refs = {c: data.groupby(c)[exposure].sum().idxmax() for c in controls}
    z = _z(level)
    rows = []
    scales = []
    if reference == "rest":
        for d in dims:
            for lev in sorted(data[d].unique()):
                sub = data.assign(_ind=np.where(data[d] == lev, "in", "out"))
                if aggregate or by_date:
                    keys = ["_ind"] + controls + (["date"] if by_date else [])
                    sub = sub.groupby(keys, sort=True)[[successes, exposure]].sum().reset_index()
                res, scale = _fit_glm(sub, successes, exposure, ["_ind"] + controls,
                                      {"_ind": "out", **ctrl_refs}, dispersion, check_term="_ind")
                if res is None:  # the level is confounded with the controls: no estimate, not a guess
                    rows.append(_effect_row(d, lev, "rest", np.nan, np.nan, z, data, successes, exposure))
                    continue
                scales.append(scale)
                name = next(k for k in res.params.index if k.startswith("C(_ind"))
                b, se = float(res.params[name]), float(res.bse[name])
                rows.append(_effect_row(d, lev, "rest", b, se, z, data, successes, exposure))
        scale = float(np.median(scales)) if scales else float("nan")
    else:
        refs = {}
        for d in dims:
            if isinstance(reference, dict) and d in reference:
                refs[d] = str(reference[d])
                if refs[d] not in set(data[d]):
                    raise ValueError(f"Reference {reference[d]!r} is not a level of {d!r} with exposure. "
                                     f"Levels: {sorted(data[d].unique())}.")
            elif reference is None or isinstance(reference, dict):
                refs[d] = data.groupby(d)[exposure].sum().idxmax()
            else:
                raise ValueError("reference must be None, 'rest' or a dict {dimension: level}.")
        res, scale = _fit_glm(data, successes, exposure, dims + controls, {**refs, **ctrl_refs}, dispersion)
        for d in dims:
            prefix = f"C({d}, Treatment({refs[d]!r}))[T."
            for name in res.params.index:
                if name.startswith(prefix):
                    lev = name[len(prefix):-1]
                    rows.append(_effect_row(d, lev, refs[d], float(res.params[name]), float(res.bse[name]),
                                            z, data, successes, exposure))
    tab = pd.DataFrame(rows)
    tab["q_value"] = np.nan
    for d in dims:
        m = tab["dimension"] == d
        tab.loc[m, "q_value"] = bh_qvalues(tab.loc[m, "p_value"].to_numpy())
    tab = tab[["dimension", "segment", "reference", "rate_ratio", "ci_low", "ci_high", "p_value", "q_value",
               "successes", "exposure"]]
    disp = {"pearson": "Pearson scale", "negbin": "negative binomial", "none": "no overdispersion"}[dispersion]
    return AdjustedEffects(
        tab,
        method=(f"Poisson GLM (log link, log {exposure} offset) of {successes} on {', '.join(dims)} adjusted "
                f"for {', '.join(controls) or 'nothing'}; overdispersion: {disp}; Wald intervals"),
        params={"kpi": kpi, "dims": dims, "controls": controls, "dropped_controls": dropped,
                "reference": reference, "dispersion": dispersion, "scale": scale, "aggregate": aggregate,
                "zero_exposure": zero, "dropped_strata": dead_strata, "n_obs": int(len(data)), "level": level, "view": "adjusted",
                "levels": {d: sorted(data[d].unique()) for d in dims}},
        estimate_col="rate_ratio", label_col="segment",
    )


def _effect_row(d, lev, ref, b, se, z, data, successes, exposure) -> dict:
    """One effect row; an effect that is not identifiable (infinite or NaN standard error,
    or an estimate that diverged) gets NaN estimate, interval and p-value, never a number."""
    sel = data[d] == lev
    ok = np.isfinite(b) and np.isfinite(se) and se > 0 and abs(b) < 20 and se < 20
    with np.errstate(over="ignore", invalid="ignore"):
        est = (np.exp(b), np.exp(b - z * se), np.exp(b + z * se), float(2 * stats.norm.sf(abs(b) / se))) \
            if ok else (np.nan,) * 4
    return {"dimension": d, "segment": lev, "reference": ref, "rate_ratio": est[0],
            "ci_low": est[1], "ci_high": est[2], "p_value": est[3],
            "successes": float(data.loc[sel, successes].sum()), "exposure": float(data.loc[sel, exposure].sum())}


# ---------------------------------------------------------------------------
# Incrementality and power
# ---------------------------------------------------------------------------


def _check_study(name, size, outcomes):
    size, outcomes = np.asarray(size, float), np.asarray(outcomes, float)
    if np.any(np.isnan(size)) or np.any(np.isnan(outcomes)):
        raise ValueError(f"{name}: sizes and outcomes must not be missing.")
    if np.any(np.isinf(size)) or np.any(np.isinf(outcomes)):
        raise ValueError(f"{name}: sizes and outcomes must be finite counts of people.")
    if np.any(size <= 0):
        raise ValueError(f"{name}: group sizes must be > 0 (got {size.tolist()}).")
    if np.any(outcomes < 0):
        raise ValueError(f"{name}: outcomes must be >= 0 (got {outcomes.tolist()}).")
    if np.any(outcomes > size):
        raise ValueError(f"{name}: more outcomes than people in a group (successes above trials); "
                         "check the test/control columns.")
    return size, outcomes


def conversion_lift(test_size, test_conversions, control_size, control_conversions, *, spend=None,
                    level: float = 0.95) -> dict:
    """Return a conversion-lift study's figures as a dict.

    ``relative_lift`` = test rate / control rate - 1 (log-method interval);
    ``incremental`` = test conversions - control conversions x test_size / control_size
    (conversions; interval = test_size x Newcombe interval of the rate difference);
    ``cost_per_incremental`` = spend / incremental (CAD; interval from the incremental
    interval, upper limit NaN when the incremental interval reaches 0 or below); p-value of
    the log-ratio Wald test.
    """
    nt, xt = _check_study("test group", test_size, test_conversions)
    nc, xc = _check_study("control group", control_size, control_conversions)
    z = _z(level)
    pt, pc = xt / nt, xc / nc
    se = _log_ratio_se(xt, nt, xc, nc, True)
    lr = np.log(np.where(xt == 0, 0.5, xt) / nt) - np.log(np.where(xc == 0, 0.5, xc) / nc)
    lt, ut = wilson_interval(xt, nt, level)
    lc, uc = wilson_interval(xc, nc, level)
    d = pt - pc
    dlo = d - np.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
    dhi = d + np.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "test_rate": pt, "control_rate": pc,
            "relative_lift": pt / pc - 1 if np.all(pc > 0) else np.where(pc > 0, pt / np.where(pc > 0, pc, 1) - 1, np.nan),
            "relative_lift_ci_low": np.exp(lr - z * se) - 1,
            "relative_lift_ci_high": np.exp(lr + z * se) - 1,
            "incremental": xt - xc * nt / nc,
            "incremental_ci_low": nt * dlo, "incremental_ci_high": nt * dhi,
            "p_value": 2 * stats.norm.sf(np.abs(lr) / se),
        }
        if spend is not None:
            sp = np.asarray(spend, float)
            if np.any(sp < 0) or np.any(np.isinf(sp)):
                raise ValueError("spend must be a finite amount >= 0 (CAD).")
            inc, ilo, ihi = out["incremental"], out["incremental_ci_low"], out["incremental_ci_high"]
            out["cost_per_incremental"] = np.where(inc > 0, sp / inc, np.nan)
            out["cost_per_incremental_ci_low"] = np.where(ihi > 0, sp / ihi, np.nan)
            out["cost_per_incremental_ci_high"] = np.where(ilo > 0, sp / ilo, np.nan)
    return {k: (float(v) if np.ndim(v) == 0 else v) for k, v in out.items()}


def brand_lift(exposed_size, exposed_recall, control_size, control_recall, *, level: float = 0.95) -> dict:
    """Return a brand-lift survey's absolute lift (share 0-1) with a Newcombe interval and p-value."""
    ne, xe = _check_study("exposed group", exposed_size, exposed_recall)
    nc, xc = _check_study("control group", control_size, control_recall)
    pe, pc = xe / ne, xc / nc
    le, ue = wilson_interval(xe, ne, level)
    lc, uc = wilson_interval(xc, nc, level)
    d = pe - pc
    pool = (xe + xc) / (ne + nc)
    se0 = np.sqrt(pool * (1 - pool) * (1 / ne + 1 / nc))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(se0 > 0, 2 * stats.norm.sf(np.abs(d) / se0), 1.0)
    out = {"test_rate": pe, "control_rate": pc, "absolute_lift": d,
           "absolute_lift_ci_low": d - np.sqrt((pe - le) ** 2 + (uc - pc) ** 2),
           "absolute_lift_ci_high": d + np.sqrt((ue - pe) ** 2 + (pc - lc) ** 2), "p_value": p}
    return {k: (float(v) if np.ndim(v) == 0 else v) for k, v in out.items()}


STUDY_FIGURES = ("test_rate", "control_rate", "relative_lift", "relative_lift_ci_low", "relative_lift_ci_high",
                 "incremental", "incremental_ci_low", "incremental_ci_high", "cost_per_incremental",
                 "cost_per_incremental_ci_low", "cost_per_incremental_ci_high", "absolute_lift",
                 "absolute_lift_ci_low", "absolute_lift_ci_high", "p_value")
STUDY_COUNTS = ("test_size", "test_outcomes", "control_size", "control_outcomes")


def _row_spend(lift_tests: pd.DataFrame, spend) -> list:
    """Return the spend (CAD) each row of ``lift_tests`` gets, or None (no cost computed).

    A campaign's spend buys the whole test, not each segment of it: a number goes to the
    single row whose segment is ``"all"`` when exactly one test has such a row (otherwise to
    no row); a mapping / Series ``{test_id: spend}`` goes to each test's ``"all"`` row, or
    to its only row when the test has a single row. Every other row gets no cost.
    """
    seg = (lift_tests["segment"].astype(str) if "segment" in lift_tests.columns
           else pd.Series("all", index=lift_tests.index))
    tid = lift_tests["test_id"]
    n_rows = tid.map(tid.value_counts())
    whole = ((seg == "all") | (n_rows == 1)).to_numpy()
    if spend is None:
        return [None] * len(lift_tests)
    if isinstance(spend, (dict, pd.Series)):
        return [spend.get(t) if w else None for t, w in zip(tid, whole)]
    if np.ndim(spend) != 0:
        raise ValueError("spend must be a number (CAD, for a single test on the whole campaign) or a mapping "
                         "{test_id: spend}.")
    alls = (seg == "all").to_numpy()
    if tid[alls].nunique() != 1:
        return [None] * len(lift_tests)
    return [spend if a else None for a in alls]


def _withheld_studies(lift_tests: pd.DataFrame, threshold: int) -> tuple[np.ndarray, list]:
    """Return which rows of ``lift_tests`` are withheld and by which rule (primary/complementary).

    Primary: an outcome count (test or control) below ``threshold``. The segment rows of one
    test add up to its ``"all"`` row, which counts as a public total: complementary rows
    are withheld by :func:`privacy.suppress` so that a withheld segment cannot be recovered
    by difference (and the ``"all"`` row too when all the segments together are small).
    """
    t = lift_tests.reset_index(drop=True)
    cnt = t[["test_outcomes", "control_outcomes"]].apply(pd.to_numeric, errors="coerce").astype(float)
    withheld = (cnt < threshold).any(axis=1).to_numpy().copy()
    rule = ["primary" if w else None for w in withheld]
    seg = t["segment"].astype(str) if "segment" in t.columns else pd.Series("all", index=t.index)
    for _, idx in t.groupby(["test_id", "kind"], sort=False).indices.items():
        parts = [i for i in idx if seg[i] != "all"]
        if not parts:
            continue
        sub = pd.DataFrame({"segment": seg[parts].to_numpy(), "test_outcomes": cnt.loc[parts, "test_outcomes"],
                            "control_outcomes": cnt.loc[parts, "control_outcomes"]})
        if sub["segment"].duplicated().any():
            # Not a partition we can reason about: publish no segment row of this test.
            extra = parts
        else:
            sup = privacy.suppress(sub, ["test_outcomes", "control_outcomes"], threshold, dims=["segment"])
            extra = [p for p, w in zip(parts, sup.table["withheld"]) if w]
            if sup.withheld_margins:
                extra += [i for i in idx if seg[i] == "all"]
        for i in extra:
            if not withheld[i]:
                withheld[i] = True
                rule[i] = "complementary"
    return withheld, rule


def incrementality(lift_tests: pd.DataFrame, *, spend=None, level: float = 0.95,
                   threshold: int = 10) -> Incrementality:
    """Return the results of every lift study in a ``lift_tests`` table.

    ``lift_tests`` has the canonical columns (campaign_id, test_id, kind in
    {conversion_lift, brand_lift}, segment, test_size, test_outcomes, control_size,
    control_outcomes). ``spend`` (CAD) gives the cost per incremental conversion: a number
    is the spend of one test on the whole campaign and goes only to the row whose segment
    is ``"all"``, and only when exactly one test has such a row; otherwise pass a mapping
    or Series ``{test_id: spend}`` (it goes to each test's ``"all"`` row, or to its only
    row). Other rows get NaN cost (the campaign's spend is not a segment's spend).

    Small-cell rule: a row with an outcome count (test or control) below ``threshold``
    (5-20) is withheld, and so are the segment rows needed so that it cannot be recovered
    from the test's ``"all"`` row; withheld rows have every figure and count NaN,
    ``withheld`` True and ``withheld_rule`` ``"primary"`` / ``"complementary"`` (relative
    lift and incremental conversions together give the counts back exactly).
    """
    threshold = privacy.check_threshold(threshold)
    need = ["test_id", "kind", "test_size", "test_outcomes", "control_size", "control_outcomes"]
    missing = [c for c in need if c not in lift_tests.columns]
    if missing:
        raise KeyError(f"lift_tests lacks columns {missing}; see schema.SCHEMAS['lift_tests'].")
    if lift_tests.empty:
        raise ValueError("lift_tests is empty: there is no study to analyse.")
    bad = sorted(set(lift_tests["kind"]) - {"conversion_lift", "brand_lift"})
    if bad:
        raise ValueError(f"Unknown lift-test kind(s) {bad}; use 'conversion_lift' or 'brand_lift'.")
    spends = _row_spend(lift_tests, spend)
    rows = []
    for (_, r), sp in zip(lift_tests.iterrows(), spends):
        base = {"campaign_id": r.get("campaign_id"), "test_id": r["test_id"], "kind": r["kind"],
                "segment": r.get("segment", "all"), "test_size": r["test_size"], "test_outcomes": r["test_outcomes"],
                "control_size": r["control_size"], "control_outcomes": r["control_outcomes"]}
        args = (r["test_size"], r["test_outcomes"], r["control_size"], r["control_outcomes"])
        if r["kind"] == "conversion_lift":
            base.update(conversion_lift(*args, spend=sp if sp is not None else np.nan, level=level)
                        if spend is not None else conversion_lift(*args, level=level))
        else:
            base.update(brand_lift(*args, level=level))
        rows.append(base)
    tab = pd.DataFrame(rows)
    withheld, rule = _withheld_studies(lift_tests, threshold)
    for c in STUDY_COUNTS + STUDY_FIGURES:  # every column present (NaN where not applicable)
        col = tab[c] if c in tab.columns else pd.Series(np.nan, index=tab.index)
        tab[c] = pd.to_numeric(col, errors="coerce").astype(float).mask(withheld)
    tab["withheld"] = withheld
    tab["withheld_rule"] = rule
    return Incrementality(tab, method=("Lift studies: conversion lift (log-method relative lift, Newcombe "
                                       "incremental conversions) and brand lift (Newcombe absolute lift); "
                                       f"studies with an outcome count below {threshold} withheld"),
                          params={"level": level, "threshold": threshold}, estimate_col="relative_lift",
                          label_col="test_id")


def incrementality_sentence(row, lang: str = "fr") -> str:
    """Return one plain sentence describing a row of an :class:`Incrementality` table.

    A withheld row (``withheld`` True) gets a sentence saying that the study is too small
    to be published, with no figure.
    """
    from .report import fmt

    schema.check_lang(lang)
    seg = row.get("segment", "all")
    seg = "all" if pd.isna(seg) else str(seg)
    tag = str(row["test_id"]) if seg == "all" else f"{row['test_id']}, segment {seg}"
    brand = row["kind"] == "brand_lift"
    if bool(row.get("withheld", False)):
        na = fmt.na(lang)
        if row.get("withheld_rule") == "complementary":
            why = ("withheld so that a smaller segment of the same study cannot be recomputed" if lang == "en"
                   else "retenue pour qu'un segment trop petit de la même étude ne puisse être recalculé")
        else:
            why = ("the study is too small to publish (too few outcomes in a group to protect confidentiality)"
                   if lang == "en" else
                   "l'étude est trop petite pour être publiée (trop peu de résultats dans un groupe pour "
                   "protéger la confidentialité)")
        if lang == "en":
            name = "Brand lift" if brand else "Conversion lift"
            return f"{name} ({tag}): {na}, {why}."
        name = "Étude de notoriété" if brand else "Étude d'incrémentalité"
        return f"{name} ({tag}) : {na}, {why}."
    if brand:
        pts = [fmt.number(100 * row[c], lang, 1) for c in ("absolute_lift", "absolute_lift_ci_low",
                                                           "absolute_lift_ci_high")]
        if lang == "en":
            return f"Brand lift ({tag}): recall +{pts[0]} points (95% CI {pts[1]} to {pts[2]})."
        return (f"Étude de notoriété ({tag}) : mémorisation +{pts[0]} points "
                f"(IC à 95 % {pts[1]} à {pts[2]}).")
    rel = [fmt.percent(row[c], lang) for c in ("relative_lift", "relative_lift_ci_low", "relative_lift_ci_high")]
    inc = [fmt.number(row[c], lang) for c in ("incremental", "incremental_ci_low", "incremental_ci_high")]
    cost = ""
    if "cost_per_incremental" in row and pd.notna(row.get("cost_per_incremental")):
        c = fmt.money(row["cost_per_incremental"], lang)
        cost = (f" Cost per incremental conversion: {c}." if lang == "en" else
                f" Coût par conversion additionnelle : {c}.")
    if lang == "en":
        return (f"Conversion lift ({tag}): {rel[0]} more conversions than the control group "
                f"(95% CI {rel[1]} to {rel[2]}), i.e. {inc[0]} incremental conversions "
                f"({inc[1]} to {inc[2]}).{cost}")
    return (f"Étude d'incrémentalité ({tag}) : {rel[0]} de conversions de plus que le groupe témoin "
            f"(IC à 95 % {rel[1]} à {rel[2]}), soit {inc[0]} conversions additionnelles "
            f"({inc[1]} à {inc[2]}).{cost}")


def lift_power(baseline_rate: float, relative_lift: float, test_size: float, control_size: float | None = None,
               *, alpha: float = 0.05) -> float:
    """Return the power (0-1) of a two-sided test to detect ``relative_lift`` over ``baseline_rate``.

    Uses Cohen's h and statsmodels' ``NormalIndPower``; ``control_size`` defaults to ``test_size``.
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    p1 = baseline_rate * (1 + relative_lift)
    _check_rates(baseline_rate, p1, test_size, alpha)
    ratio = (control_size or test_size) / test_size
    h = proportion_effectsize(p1, baseline_rate)
    return float(NormalIndPower().power(effect_size=abs(h), nobs1=test_size, alpha=alpha, ratio=ratio))


def minimum_detectable_effect(baseline_rate: float, test_size: float, control_size: float | None = None, *,
                              alpha: float = 0.05, power: float = 0.8) -> dict:
    """Return the minimum detectable effect of a lift study (increase over the baseline).

    Keys: ``cohens_h``, ``test_rate`` (share 0-1), ``absolute`` (share 0-1, test - baseline)
    and ``relative`` (share of the baseline). statsmodels' ``NormalIndPower`` solves for h.
    """
    from statsmodels.stats.power import NormalIndPower

    _check_rates(baseline_rate, baseline_rate, test_size, alpha)
    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1 (e.g. 0.8), not {power!r}.")
    ratio = (control_size or test_size) / test_size
    h = float(NormalIndPower().solve_power(effect_size=None, nobs1=test_size, alpha=alpha, power=power,
                                           ratio=ratio))
    phi = np.arcsin(np.sqrt(baseline_rate)) + h / 2
    pt = float(np.sin(min(phi, np.pi / 2)) ** 2)
    return {"cohens_h": h, "test_rate": pt, "absolute": pt - baseline_rate,
            "relative": (pt - baseline_rate) / baseline_rate}


def _check_rates(p0, p1, n, alpha):
    if not 0 < p0 < 1 or not 0 < p1 < 1:
        raise ValueError(f"Rates must be strictly between 0 and 1 (baseline {p0!r}, test {p1!r}).")
    if not n or n <= 0:
        raise ValueError(f"test_size must be > 0, not {n!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, not {alpha!r}.")


# ---------------------------------------------------------------------------
# Recommendations across campaigns
# ---------------------------------------------------------------------------


def recommend_segments(history: pd.DataFrame, objective: str, *, campaigns: pd.DataFrame, dims=None,
                       kpi: str | None = None, threshold: int = 10, controls=("channel", "campaign_id"),
                       level: float = 0.95) -> Recommendation:
    """Rank segments for ``objective`` using every past campaign of that objective.

    ``history``: delivery rows of many campaigns; ``campaigns``: a table with
    ``campaign_id`` and ``objective``. The KPI is the objective's primary rate KPI
    (:data:`PRIMARY_RATE_KPI`) unless given. Each segment is compared with the rest of its
    dimension by a Poisson GLM (Pearson scale) adjusted for channel, campaign and the other
    segment dimensions; segments are ranked by the conservative end of their 95 % interval
    (lower bound when higher is better). Segments
    whose outcome count is below ``threshold`` are left out (counted in
    ``params['left_out']``, per dimension). Table columns: rank, dimension, segment,
    rate_ratio, ci_low, ci_high, q_value, n_campaigns, exposure, successes, rationale_fr,
    rationale_en.
    """
    if objective not in schema.OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; use one of {', '.join(schema.OBJECTIVES)}.")
    threshold = privacy.check_threshold(threshold)
    for c in ("campaign_id", "objective"):
        if c not in campaigns.columns:
            raise KeyError(f"campaigns lacks column {c!r}; it needs campaign_id and objective.")
    kpi = kpi or PRIMARY_RATE_KPI[objective]
    spec = _kpi_spec(kpi, history)
    ids = set(campaigns.loc[campaigns["objective"] == objective, "campaign_id"])
    hist = history[history["campaign_id"].isin(ids)]
    if hist.empty:
        raise ValueError(f"No delivery in the history for campaigns of objective {objective!r}.")
    dims = [d for d in (dims or DIMENSIONS) if d in hist.columns and hist[d].nunique() >= 2]
    if not dims:
        raise ValueError("No segment dimension with at least two levels in the history.")
    _check_counts(hist, spec.numerator, spec.denominator, kpi in PROPORTION_KPIS)
    # One model per dimension, adjusted for channel, campaign AND the other dimensions: segments are
    # bought as combinations (a region's cells may be mostly young or mobile), so without the other
    # dimensions a segment would be credited with its neighbours' effects.
    eff = pd.concat([adjusted_effects(hist, kpi, [d], controls=list(controls) + [o for o in dims if o != d],
                                      reference="rest", level=level).table for d in dims], ignore_index=True)
    counts = []
    for d in dims:
        g = hist.groupby(d, observed=True).agg(successes=(spec.numerator, "sum"),
                                               n_campaigns=("campaign_id", "nunique")).reset_index()
        g = g.rename(columns={d: "segment"}).assign(dimension=d, segment=lambda t: t["segment"].astype(str))
        counts.append(g[["dimension", "segment", "n_campaigns"]])
    eff = eff.merge(pd.concat(counts), on=["dimension", "segment"], how="left")
    small = eff["successes"] < threshold
    left_out = {d: int(small[eff["dimension"] == d].sum()) for d in dims}
    eff = eff[~small].copy()
    # Rank on the conservative end of the interval, so that a large but uncertain ratio does not
    # outrank a solid one ("most promising" = best with confidence).
    bound = "ci_low" if spec.higher_is_better else "ci_high"
    eff = eff.sort_values([bound, "rate_ratio"], ascending=not spec.higher_is_better,
                          na_position="last").reset_index(drop=True)
    eff.insert(0, "rank", np.arange(1, len(eff) + 1))
    eff["rationale_fr"] = [_rationale(r, kpi, "fr") for _, r in eff.iterrows()]
    eff["rationale_en"] = [_rationale(r, kpi, "en") for _, r in eff.iterrows()]
    eff = eff.drop(columns=["reference", "p_value"])
    return Recommendation(
        eff, method=(f"Segments ranked by {kpi} rate ratio vs the rest of their dimension, Poisson GLM "
                     f"adjusted for {', '.join(controls)} and the other dimensions, ranked by the conservative interval "
                     f"bound, over {len(ids & set(hist['campaign_id']))} "
                     f"past {objective} campaigns (Pearson scale)"),
        params={"objective": objective, "kpi": kpi, "threshold": threshold, "left_out": left_out,
                "n_campaigns": int(hist["campaign_id"].nunique())},
        estimate_col="rate_ratio", label_col="segment")


def _rationale(r, kpi: str, lang: str) -> str:
    lab = _seg_label(r["dimension"], r["segment"], lang)
    rr, lo, hi = (_fmt_num(r[c], lang) for c in ("rate_ratio", "ci_low", "ci_high"))
    k = _kpi_label(kpi, lang).lower() if lang == "fr" else _kpi_label(kpi, lang)
    n = int(r["n_campaigns"])
    if lang == "en":
        strength = ("clearly" if r["q_value"] < 0.05 else "not clearly")
        return (f"{lab}: {k} {rr} times the rest of its dimension at equal channel, campaign and other segment mix (95% CI {lo} to {hi}; "
                f"{strength} different), over {n} campaign(s).")
    strength = "écart net" if r["q_value"] < 0.05 else "écart non concluant"
    return (f"{lab} : {k} {rr} fois celui du reste de sa dimension, à canaux, campagnes et autres caractéristiques égaux "
            f"(IC à 95 % {lo} à {hi} ; {strength}), sur {n} campagne(s).")


# ---------------------------------------------------------------------------
# Report section (for campaign_report.ipynb)
# ---------------------------------------------------------------------------


@dataclass
class ReportSection:
    """What the notebook lays out for segment lift.

    ``table``: formatted strings (labels in the language, numbers via report.fmt,
    withheld cells "n.d."/"n/a"); ``data``: the same rows as numbers with withheld values as
    NA; ``plot(ax=None)``: forest plot of the published rows; ``top_segments``: sentence;
    ``incrementality``: sentence or None; ``view``: ``"adjusted"`` or ``"raw"`` and
    ``view_note`` saying so in words; ``audit``: the suppression audit.
    """

    kpi: str
    view: str
    view_note: str
    table: pd.DataFrame
    data: pd.DataFrame
    top_segments: str
    incrementality: str | None
    audit: pd.DataFrame
    plot: Callable = field(repr=False, default=None)
    params: dict[str, Any] = field(default_factory=dict)


def report_section(delivery: pd.DataFrame, objective: str, *, lift_tests: pd.DataFrame | None = None,
                   spend=None, lang: str = "fr", threshold: int = 10, dims=None) -> ReportSection:
    """Build the segment-lift report section for one campaign's delivery.

    Uses the objective's primary rate KPI. When the delivery has at least two channels or
    campaigns the channel-adjusted view (GLM rate ratio vs the rest) is shown, otherwise
    the raw ratio vs the rest; ``view`` says which. Small cells (KPI numerator below
    ``threshold``) and their complements are withheld per dimension (see
    :func:`privacy.suppress`), so no count below the threshold appears in the output. Every
    dimension is a breakdown of the same campaign total, so that total is treated as public
    in each dimension's table (the withheld segments of a dimension always count at least
    ``threshold`` together). Dimensions with fewer than two levels with exposure are left
    out and listed in ``params['dropped_dims']``; when none is left a short ValueError is
    raised. Lift studies (``lift_tests``) are withheld under the same ``threshold`` (see
    :func:`incrementality`, which also says how ``spend`` is attributed).
    """
    from .report import fmt

    schema.check_lang(lang)
    if objective not in PRIMARY_RATE_KPI:
        raise ValueError(f"Unknown objective {objective!r}; use one of {', '.join(PRIMARY_RATE_KPI)}.")
    threshold = privacy.check_threshold(threshold)
    kpi = PRIMARY_RATE_KPI[objective]
    spec = _kpi_spec(kpi, delivery)
    if delivery.empty:
        raise ValueError("No delivery rows.")
    _check_counts(delivery, spec.numerator, spec.denominator, kpi in PROPORTION_KPIS)
    dims = [d for d in (dims or DIMENSIONS) if d in delivery.columns and delivery[d].nunique() >= 2]
    # A dimension is compared only when at least two of its levels had exposure (e.g. an
    # awareness campaign with no video start in one device has nothing to compare there).
    no_exposure = [d for d in dims if (delivery.groupby(d, observed=True)[spec.denominator].sum() > 0).sum() < 2]
    dims = [d for d in dims if d not in no_exposure]
    if not dims:
        raise ValueError("No segment dimension with two levels with exposure.")
    raw = segment_lift(delivery, kpi, dims, "rest", threshold=threshold).table
    controls = [c for c in ("channel", "campaign_id") if c in delivery.columns and delivery[c].nunique() >= 2]
    view = "adjusted" if controls else "raw"
    tab = raw.copy()
    if view == "adjusted":
        # Daily rows (aggregate=False) leave residual df to measure overdispersion even when a
        # segment was bought on a single line of the campaign. One model per level of each
        # dimension (reference "rest"); a dimension whose exposure falls in a single level once
        # dead strata are left out is dropped (listed in params) rather than failing the section.
        parts = []
        for d in list(dims):
            try:
                parts.append(adjusted_effects(delivery, kpi, [d], controls=controls, reference="rest",
                                              aggregate=False).table)
            except ValueError as err:
                if "fewer than two levels with exposure" not in str(err):
                    raise
                no_exposure.append(d)
                dims.remove(d)
        if not dims:
            raise ValueError("No segment dimension with two levels with exposure.")
        tab = tab[tab["dimension"].isin(dims)]
        adj = pd.concat(parts, ignore_index=True)
        tab = tab.drop(columns=["ratio", "ci_low", "ci_high", "q_value"]).merge(
            adj[["dimension", "segment", "rate_ratio", "ci_low", "ci_high", "q_value"]]
            .rename(columns={"rate_ratio": "ratio"}), on=["dimension", "segment"], how="left")
    keep = ["dimension", "segment", "successes", "exposure", "rate", "ratio", "ci_low", "ci_high", "q_value"]
    published, audits = [], []
    for d in dims:
        part = tab.loc[tab["dimension"] == d, keep].reset_index(drop=True)
        sup = privacy.suppress(part, "successes", threshold, dims=["segment"])
        pub = sup.table.copy()
        pub["dimension"] = d
        published.append(pub)
        if len(sup.audit):
            audits.append(sup.audit.assign(dimension=d))
    data = pd.concat(published, ignore_index=True)
    audit = pd.concat(audits, ignore_index=True) if audits else pd.DataFrame(
        columns=["segment", "rule", "count_col", "reason", "dimension"])
    na = fmt.na(lang)
    lab = {"fr": ["Dimension", "Segment", metrics.KPIS[spec.numerator].fr, _kpi_label(kpi, "fr"),
                  "Rapport au reste", "IC à 95 %", "Valeur q"],
           "en": ["Dimension", "Segment", metrics.KPIS[spec.numerator].en, _kpi_label(kpi, "en"),
                  "Ratio vs rest", "95% CI", "q-value"]}[lang]

    def ci(r):
        if pd.isna(r["ci_low"]) or pd.isna(r["ci_high"]):
            return na
        return f"{fmt.number(r['ci_low'], lang, 2)} – {fmt.number(r['ci_high'], lang, 2)}"

    table = pd.DataFrame({
        lab[0]: [schema.label("dimension", d, lang) for d in data["dimension"]],
        lab[1]: [_seg_label(d, s, lang) for d, s in zip(data["dimension"], data["segment"])],
        lab[2]: [fmt.number(v, lang, 0) if pd.notna(v) else na for v in data["successes"]],
        lab[3]: [fmt.kpi(v, spec.unit, lang) if pd.notna(v) else na for v in data["rate"]],
        lab[4]: [fmt.number(v, lang, 2) if pd.notna(v) else na for v in data["ratio"]],
        lab[5]: [ci(r) for _, r in data.iterrows()],
        lab[6]: [fmt.number(v, lang, 3) if pd.notna(v) else na for v in data["q_value"]],
    })
    shown = data[~data["withheld"] & data["ratio"].notna()].copy()
    shown["label"] = [f"{schema.label('dimension', d, lang)} : {_seg_label(d, s, lang)}" if lang == "fr"
                      else f"{schema.label('dimension', d, lang)}: {_seg_label(d, s, lang)}"
                      for d, s in zip(shown["dimension"], shown["segment"])]
    xlabel = (("Rapport de taux ajusté pour le canal, contre le reste" if view == "adjusted" else
               "Rapport de taux brut, contre le reste") if lang == "fr" else
              ("Channel-adjusted rate ratio vs rest" if view == "adjusted" else "Raw rate ratio vs rest"))

    def plot(ax=None):
        return forest_plot(shown, "ratio", "ci_low", "ci_high", labels=shown["label"].tolist(), ax=ax,
                           xlabel=xlabel, lang=lang)

    if view == "adjusted":
        note = ("Rapports de taux ajustés pour " + ", ".join("le canal" if c == "channel"
                                                            else "la campagne" for c in controls)
                + " (GLM de Poisson) : ils corrigent l'effet des canaux où chaque segment a été acheté."
                if lang == "fr" else
                "Rate ratios adjusted for " + ", ".join("channel" if c == "channel" else "campaign"
                                                        for c in controls)
                + " (Poisson GLM): they correct for the channels each segment was bought on.")
    else:
        note = ("Rapports de taux bruts (un seul canal et une seule campagne : aucun ajustement nécessaire)."
                if lang == "fr" else "Raw rate ratios (one channel and one campaign: no adjustment needed).")
    top = _top_sentence(shown, kpi, lang, spec.higher_is_better)
    inc = None
    if lift_tests is not None and len(lift_tests):
        res = incrementality(lift_tests, spend=spend, threshold=threshold)
        inc = " ".join(incrementality_sentence(r, lang) for _, r in res.table.iterrows())
    return ReportSection(kpi=kpi, view=view, view_note=note, table=table,
                         data=data.drop(columns=["withheld"]).assign(withheld=data["withheld"]),
                         top_segments=top, incrementality=inc, audit=audit, plot=plot,
                         params={"threshold": threshold, "dims": dims, "controls": controls, "lang": lang,
                                 "dropped_dims": no_exposure})


def _top_sentence(shown: pd.DataFrame, kpi: str, lang: str, higher_is_better: bool) -> str:
    from .report import fmt

    sig = shown[(shown["q_value"] < 0.05) & ((shown["ci_low"] > 1) if higher_is_better else (shown["ci_high"] < 1))]
    sig = sig.sort_values("ratio", ascending=not higher_is_better).head(3)
    k = _kpi_label(kpi, lang)
    if sig.empty:
        return (f"Aucun segment ne se démarque nettement pour l'indicateur « {k} »." if lang == "fr" else
                f"No segment clearly stands out on {k}.")
    items = []
    for _, r in sig.iterrows():
        seg = _seg_label(r["dimension"], r["segment"], lang)
        pct = fmt.percent(r["ratio"] - 1, lang, 0)
        items.append(f"{seg} ({'+' if r['ratio'] >= 1 else ''}{pct})")
    if lang == "en":
        return f"Most promising segments on {k}: " + ", ".join(items) + ", compared with the rest of their dimension."
    return (f"Segments les plus prometteurs pour l'indicateur « {k} » : " + ", ".join(items)
            + ", par rapport au reste de leur dimension.")
