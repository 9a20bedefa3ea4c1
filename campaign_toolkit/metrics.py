"""KPI arithmetic from sums.

Every rate is a ratio of sums over the group (never a mean of per-row ratios), and a
zero denominator gives NaN, never ``inf``, without a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class KPI:
    """A KPI defined as ``scale * sum(numerator) / sum(denominator)``.

    ``unit`` tells reports how to format it: ``money`` (CAD), ``percent`` (a share
    0-1), ``count`` or ``rate`` (a plain number). ``higher_is_better`` orders rankings.
    """

    code: str
    numerator: str
    denominator: str | None
    scale: float
    unit: str
    higher_is_better: bool
    fr: str
    en: str


KPIS: dict[str, KPI] = {
    k.code: k
    for k in [
        KPI("spend", "spend", None, 1.0, "money", False, "Dépenses", "Spend"),
        KPI("impressions", "impressions", None, 1.0, "count", True, "Impressions", "Impressions"),
        KPI("clicks", "clicks", None, 1.0, "count", True, "Clics", "Clicks"),
        KPI("video_completions", "video_completions", None, 1.0, "count", True,
            "Visionnements complets", "Completed views"),
        KPI("landing_sessions", "landing_sessions", None, 1.0, "count", True,
            "Sessions sur la page d'atterrissage", "Landing-page sessions"),
        KPI("conversions", "conversions", None, 1.0, "count", True, "Conversions", "Conversions"),
        KPI("cpm", "spend", "impressions", 1000.0, "money", False,
            "Coût par mille impressions (CPM)", "Cost per thousand impressions (CPM)"),
        KPI("ctr", "clicks", "impressions", 1.0, "percent", True, "Taux de clics", "Click-through rate"),
        KPI("cpc", "spend", "clicks", 1.0, "money", False, "Coût par clic", "Cost per click"),
        KPI("vcr", "video_completions", "video_starts", 1.0, "percent", True,
            "Taux de visionnement complet", "Video completion rate"),
        KPI("cpcv", "spend", "video_completions", 1.0, "money", False,
            "Coût par visionnement complet", "Cost per completed view"),
        KPI("cost_per_landing_session", "spend", "landing_sessions", 1.0, "money", False,
            "Coût par session d'atterrissage", "Cost per landing session"),
        KPI("conversion_rate", "conversions", "clicks", 1.0, "percent", True,
            "Taux de conversion (par clic)", "Conversion rate (per click)"),
        KPI("conversions_per_1000", "conversions", "impressions", 1000.0, "rate", True,
            "Conversions par mille impressions", "Conversions per thousand impressions"),
        KPI("cpa", "spend", "conversions", 1.0, "money", False,
            "Coût par acquisition", "Cost per acquisition"),
    ]
}

RATE_KPIS = tuple(k for k, v in KPIS.items() if v.denominator is not None)
SUM_COLUMNS = ("impressions", "clicks", "video_starts", "video_completions", "landing_sessions",
               "conversions", "spend")


def safe_ratio(numerator, denominator, scale: float = 1.0):
    """Return ``scale * numerator / denominator`` with NaN where the denominator is 0 or NaN.

    Works on scalars, numpy arrays and pandas Series (returns the same kind, as float).
    """
    index = next((x.index for x in (numerator, denominator) if isinstance(x, pd.Series)), None)
    if index is not None:  # compute positionally, then give back the Series' index
        values = safe_ratio(_as_float_array(numerator), _as_float_array(denominator), scale)
        return pd.Series(np.broadcast_to(values, (len(index),)), index=index, dtype="float64")
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=(den != 0) & ~np.isnan(den))
    out = scale * out
    return float(out) if out.ndim == 0 else out


def _as_float_array(x) -> np.ndarray:
    if isinstance(x, pd.Series):
        return x.astype("float64").to_numpy(na_value=np.nan)
    return np.asarray(x, dtype=float)


def unknown_kpi_error(kpi: str, available=None) -> ValueError:
    """Return the error for a KPI name that does not exist, listing the valid ones."""
    valid = sorted(available if available is not None else KPIS)
    return ValueError(f"Unknown KPI {kpi!r}. Valid KPIs: {', '.join(valid)}.")


def kpis(df: pd.DataFrame, by=None, kpis=None) -> pd.DataFrame:
    """Return sums and KPIs per group of ``by`` (or one row for the whole table).

    ``df`` has delivery columns (any of impressions, clicks, video_starts,
    video_completions, landing_sessions, conversions, spend). ``kpis`` is a list of
    KPI codes from :data:`KPIS` (default: every KPI whose columns are present).
    Money KPIs are in CAD; ``percent`` KPIs are shares between 0 and 1. The result
    has the ``by`` columns, the summed columns, then one column per KPI.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    missing_by = [c for c in by if c not in df.columns]
    if missing_by:
        raise KeyError(f"Grouping columns not in the table: {missing_by}. Available: {list(df.columns)}.")
    present = [c for c in SUM_COLUMNS if c in df.columns]
    if kpis is None:
        codes = [k for k, v in KPIS.items() if v.denominator is not None
                 and v.numerator in present and v.denominator in present]
    else:
        codes = list(kpis)
        for k in codes:
            if k not in KPIS:
                raise unknown_kpi_error(k)
            need = [c for c in (KPIS[k].numerator, KPIS[k].denominator) if c and c not in df.columns]
            if need:
                raise KeyError(f"KPI {k!r} needs columns {need}, which the table does not have.")
    _check_sum_columns(df, present)
    if by:
        sums = df.groupby(by, observed=True, sort=True, dropna=False)[present].sum().reset_index()
    else:
        sums = df[present].sum().to_frame().T
    for k in codes:
        spec = KPIS[k]
        if spec.denominator is None:
            sums[k] = sums[spec.numerator].astype("float64")
        else:
            sums[k] = safe_ratio(sums[spec.numerator], sums[spec.denominator], spec.scale)
    return sums


def _check_sum_columns(df: pd.DataFrame, cols: list[str]) -> None:
    """Refuse missing or negative counts and spend: a sum that skipped them would be silently wrong."""
    problems = []
    for c in cols:
        v = pd.to_numeric(df[c], errors="coerce").astype("float64")
        bad_na, bad_neg = v.isna(), v < 0
        if bad_na.any():
            problems.append(f"{c} is missing or not numeric in {int(bad_na.sum())} rows "
                            f"(e.g. rows {df.index[bad_na][:5].tolist()})")
        if bad_neg.any():
            problems.append(f"{c} is negative in {int(bad_neg.sum())} rows (e.g. rows {df.index[bad_neg][:5].tolist()})")
    if problems:
        raise ValueError("Cannot compute KPIs: " + "; ".join(problems)
                         + ". Fix or remove these rows (campaign_toolkit.schema.validate lists them all).")


def kpi_value(df: pd.DataFrame, kpi: str) -> float:
    """Return one KPI over the whole table as a float (NaN on a zero denominator)."""
    return float(kpis(df, kpis=[kpi])[kpi].iloc[0])
