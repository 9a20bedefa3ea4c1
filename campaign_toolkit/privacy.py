"""Small-cell suppression with complementary suppression and an audit trail.

A *cell* is one row of a tidy table, identified by one or two key columns (``dims``).
A cell is withheld (primary suppression) when any of its counts of people
(``count_cols``: clicks, conversions, respondents, reach...) is below the threshold;
zero counts are withheld too (conservative: "nobody in this group" is also a
disclosure). Every numeric column of a withheld cell (counts and rates derived from
them) is published as NA ("n.d." in French reports).

Complementary suppression: the totals of each margin (the whole table for one key;
each row and each column for two keys) are assumed public. Further cells are withheld,
smallest first, until no withheld cell can be recomputed exactly from the published
cells and margins (a withheld cell is recoverable when its unit vector lies in the row
space of the margin equations restricted to the withheld cells). When a margin holds a
single cell, that margin is reported as withheld too (``withheld_margins``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .results import Result
from .schema import check_lang

THRESHOLD_RANGE = (5, 20)


@dataclass(repr=False)
class SuppressionResult(Result):
    """The published table (withheld cells as NA), the audit and withheld margins.

    ``table``: the input rows with every numeric column of withheld cells set to NA and
    a boolean ``withheld`` column. ``audit``: one row per withheld cell with its keys,
    ``rule`` (``primary`` or ``complementary``), ``count_col`` (for primary: the first
    count below the threshold) and ``reason`` (in English). ``withheld_margins``: the
    margins that must not be published either (each a dict of key -> value; ``{}`` is the
    grand total).
    """

    audit: pd.DataFrame = field(default_factory=pd.DataFrame)
    withheld_margins: list = field(default_factory=list)

    def summary(self, lang: str = "fr") -> str:
        """Return one sentence: how many cells were withheld, and why."""
        check_lang(lang)
        n_p = int((self.audit["rule"] == "primary").sum()) if len(self.audit) else 0
        n_c = int((self.audit["rule"] == "complementary").sum()) if len(self.audit) else 0
        thr = self.params.get("threshold")
        if lang == "en":
            return (f"{n_p + n_c} of {len(self.table)} cells withheld ({n_p} below the threshold of {thr}, "
                    f"{n_c} complementary so that they cannot be recomputed from totals).")
        return (f"{n_p + n_c} cellules sur {len(self.table)} retenues ({n_p} sous le seuil de {thr}, "
                f"{n_c} par suppression complémentaire pour qu'elles ne puissent être recalculées à partir des totaux).")


def check_threshold(threshold) -> int:
    """Return ``threshold`` as an int if it lies in 5-20; raise a ValueError otherwise."""
    lo, hi = THRESHOLD_RANGE
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)) or not lo <= threshold <= hi:
        raise ValueError(f"threshold must be an integer between {lo} and {hi} (got {threshold!r}); "
                         "10 is the default used in published reports.")
    return int(threshold)


def _margins(keys: pd.DataFrame) -> list[tuple[dict, np.ndarray]]:
    """Return the published margins as (description, boolean membership over cells)."""
    n = len(keys)
    if keys.shape[1] == 1:
        return [({}, np.ones(n, dtype=bool))]
    out = []
    for col in keys.columns:
        for val, idx in keys.groupby(col, sort=False).indices.items():
            m = np.zeros(n, dtype=bool)
            m[idx] = True
            out.append(({col: val}, m))
    return out


def recoverable(withheld: np.ndarray, margins: list[np.ndarray], tol: float = 1e-9) -> np.ndarray:
    """Return a boolean array: which withheld cells are determined by the published margins.

    ``withheld`` is a boolean mask over cells, ``margins`` a list of boolean membership
    masks of published totals. A withheld cell is determined when its unit vector lies in
    the row space of the margin equations restricted to withheld cells.
    """
    w = np.flatnonzero(withheld)
    out = np.zeros(len(withheld), dtype=bool)
    if len(w) == 0:
        return out
    rows = [m[w].astype(float) for m in margins if m[w].any()]
    if not rows:
        return out
    a = np.vstack(rows)
    # Null space of a: cells whose coordinate vanishes on the whole null space are determined.
    _, s, vt = np.linalg.svd(a)
    rank = int((s > tol * max(1.0, s.max())).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        out[w] = True
        return out
    out[w] = np.all(np.abs(null) < 1e-8, axis=0)
    return out


def suppress(table: pd.DataFrame, count_cols, threshold: int = 10, *, dims=None) -> SuppressionResult:
    """Withhold small cells and their complements; return a :class:`SuppressionResult`.

    ``table``: one row per cell. ``count_cols``: the column(s) of counts of people that
    must reach ``threshold`` (an integer in 5-20). ``dims``: one or two key columns
    identifying cells (default: the non-numeric columns; they must be unique keys).
    """
    threshold = check_threshold(threshold)
    count_cols = [count_cols] if isinstance(count_cols, str) else list(count_cols)
    if not count_cols:
        raise ValueError("count_cols is empty: name the column(s) of counts of people to protect.")
    missing = [c for c in count_cols if c not in table.columns]
    if missing:
        raise KeyError(f"Count columns not in the table: {missing}. Available: {list(table.columns)}.")
    if dims is None:
        dims = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])
                and not pd.api.types.is_bool_dtype(table[c])]
    dims = [dims] if isinstance(dims, str) else list(dims)
    if not 1 <= len(dims) <= 2:
        raise ValueError(f"suppress handles tables keyed by one or two columns (dims); got {dims}. "
                         "Pass dims= explicitly, e.g. dims=['age_band'] or dims=['age_band', 'region'].")
    if table.duplicated(dims).any():
        raise ValueError(f"The key columns {dims} do not identify cells uniquely; aggregate the table first.")
    counts = table[count_cols].apply(pd.to_numeric, errors="coerce")
    if counts.isna().any().any():
        raise ValueError(f"Count columns {count_cols} contain missing or non-numeric values; "
                         "fill or drop them before suppression (a missing count cannot be protected).")
    if (counts < 0).any().any():
        raise ValueError(f"Count columns {count_cols} contain negative values; counts of people are >= 0.")
    cnt = counts.to_numpy(float)
    keys = table[dims].reset_index(drop=True)
    margins = _margins(keys)
    masks = [m for _, m in margins]
    primary = (cnt < threshold).any(axis=1)
    withheld = primary.copy()
    complementary = np.zeros(len(table), dtype=bool)
    dropped_margins: list[int] = []
    size = cnt[:, 0]
    while True:
        live = [m for i, m in enumerate(masks) if i not in dropped_margins]
        rec = recoverable(withheld, live)
        if not rec.any():
            break
        j = int(np.flatnonzero(rec)[0])
        share = np.zeros(len(table), dtype=bool)
        for m in live:
            if m[j]:
                share |= m
        cands = np.flatnonzero(share & ~withheld)
        if len(cands) == 0:
            # Every cell of its margins is withheld and it is still determined: the margin
            # holds only this cell, so the margin itself must be withheld.
            for i, m in enumerate(masks):
                if m[j] and i not in dropped_margins:
                    dropped_margins.append(i)
            continue
        cands = cands[np.argsort(size[cands], kind="stable")]
        chosen = None
        for c in cands:
            trial = withheld.copy()
            trial[c] = True
            if not recoverable(trial, live)[j]:
                chosen = [c]
                break
        if chosen is None and len(dims) == 2:
            chosen = _cheapest_rectangle(j, keys, withheld, size, live)
        if not chosen:
            chosen = [cands[0]]
        withheld[chosen] = True
        complementary[chosen] = True
    published = table.reset_index(drop=True).copy()
    num_cols = [c for c in published.columns if c not in dims and pd.api.types.is_numeric_dtype(published[c])
                and not pd.api.types.is_bool_dtype(published[c])]
    for c in num_cols:
        col = published[c]
        if pd.api.types.is_integer_dtype(col):
            col = col.astype("Int64")
        else:
            col = col.astype("Float64")
        published[c] = col.mask(withheld)
    published["withheld"] = withheld
    audit = _audit(keys, cnt, count_cols, primary, complementary, threshold)
    return SuppressionResult(
        table=published,
        method=(f"Small-cell suppression: counts of people below {threshold} withheld (primary), "
                "plus complementary cells so that none can be recomputed from row/column totals"),
        params={"threshold": threshold, "count_cols": count_cols, "dims": dims},
        audit=audit,
        withheld_margins=[margins[i][0] for i in sorted(dropped_margins)],
    )


def _cheapest_rectangle(j, keys, withheld, size, live) -> list[int] | None:
    """Return the cells to add so that cell ``j`` lies on a rectangle of withheld cells.

    Picks the other row and column minimising the total count of the cells that must be
    added and that leave ``j`` unrecoverable; None when no rectangle exists.
    """
    r, c = keys.columns
    pos = {(a, b): i for i, (a, b) in enumerate(zip(keys[r], keys[c]))}
    rj, cj = keys.iloc[j][r], keys.iloc[j][c]
    best, best_cost = None, np.inf
    for r2 in keys[r].unique():
        for c2 in keys[c].unique():
            if r2 == rj or c2 == cj:
                continue
            cells = [pos.get((rj, c2)), pos.get((r2, cj)), pos.get((r2, c2))]
            if any(x is None for x in cells):
                continue
            add = [x for x in cells if not withheld[x]]
            cost = float(size[add].sum()) if add else 0.0
            if cost < best_cost:
                trial = withheld.copy()
                trial[add] = True
                if not recoverable(trial, live)[j]:
                    best, best_cost = add, cost
    return best


def _audit(keys, cnt, count_cols, primary, complementary, threshold) -> pd.DataFrame:
    """Return one row per withheld cell with its keys, rule, count column and reason."""
    rows = []
    for i in np.flatnonzero(primary | complementary):
        key = {k: keys.iloc[i][k] for k in keys.columns}
        if primary[i]:
            col = count_cols[int(np.flatnonzero(cnt[i] < threshold)[0])]
            rows.append({**key, "rule": "primary", "count_col": col,
                         "reason": f"{col} below the threshold of {threshold}"})
        else:
            rows.append({**key, "rule": "complementary", "count_col": count_cols[0],
                         "reason": "withheld so that a withheld cell cannot be recomputed from the totals"})
    return pd.DataFrame(rows, columns=[*keys.columns, "rule", "count_col", "reason"])
