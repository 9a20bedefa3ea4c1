"""Small-cell suppression with complementary suppression and an audit trail.

A *cell* is one row of a tidy table, identified by one or two key columns (``dims``).
A cell is withheld (primary suppression) when any of its counts of people
(``count_cols``: clicks, conversions, respondents, reach...) is below the threshold;
zero counts are withheld too (conservative: "nobody in this group" is also a
disclosure). Every numeric column of a withheld cell (counts and rates derived from
them) is published as NA ("n.d." in French reports).

Complementary suppression: the totals of each margin (the whole table for one key;
each row and each column for two keys) are assumed public, and counts are known to be
>= 0. Further cells are withheld, smallest first, until both rules hold:

1. In every published margin that has withheld cells, the withheld cells together count
   at least ``threshold`` people (in every count column). Otherwise "total minus the
   published cells" tells that each withheld cell is below the threshold (or exactly 0
   when that difference is 0). When every cell of a margin is withheld and they still
   count fewer than ``threshold`` people, the margin itself is withheld
   (``withheld_margins``).
2. No withheld cell can be recomputed exactly from the published cells and margins,
   using the margin equations *and* non-negativity (a withheld 0 can be pinned by
   non-negativity, e.g. two withheld zeros in a margin whose withheld total is 0). A
   withheld margin must not be recomputable from the published margins either; a further
   margin is withheld when it would be.

Complements are published cells (never zero: zeros are always primary), chosen smallest
first, preferring the margins of the cell to protect, then any cell of the table.
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
    the row space of the margin equations restricted to withheld cells (linear algebra
    only; :func:`determined` adds non-negativity).
    """
    w, a = _withheld_system(withheld, margins)
    out = np.zeros(len(withheld), dtype=bool)
    if a is not None:
        out[w] = _linear_determined(a, tol)
    return out


def _withheld_system(withheld: np.ndarray, margins: list[np.ndarray]):
    """Return (indices of withheld cells, margin equations restricted to them or None if none apply)."""
    w = np.flatnonzero(withheld)
    rows = [m[w].astype(float) for m in margins if len(w) and m[w].any()]
    return w, (np.vstack(rows) if rows else None)


def _linear_determined(a: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Columns of ``a`` (unknowns) whose value is fixed by ``a x = b`` (vanish on the null space)."""
    if a.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    if a.shape[0] == 0:
        return np.zeros(a.shape[1], dtype=bool)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > tol * max(1.0, s.max())).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return np.ones(a.shape[1], dtype=bool)
    return np.all(np.abs(null) < 1e-8, axis=0)


def _pinned_zeros(a: np.ndarray, zero: np.ndarray) -> np.ndarray:
    """Zero-valued unknowns that stay 0 in every non-negative solution of ``a x = b``.

    One LP finds the largest set of zero cells that some feasible direction ``v``
    (``a v = 0``, ``v >= 0`` on zero cells) can raise; the others are pinned at 0.
    """
    from scipy.optimize import linprog

    n, z = a.shape[1], np.flatnonzero(zero)
    k = len(z)
    # variables: v (n), t (k); maximise sum t with t_i <= v_{z_i}, 0 <= t <= 1
    c = np.concatenate([np.zeros(n), -np.ones(k)])
    a_eq = np.hstack([a, np.zeros((a.shape[0], k))])
    a_ub = np.zeros((k, n + k))
    a_ub[np.arange(k), z] = -1.0
    a_ub[np.arange(k), n + np.arange(k)] = 1.0
    bounds = [(0, None) if zero[i] else (None, None) for i in range(n)] + [(0, 1)] * k
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(k), A_eq=a_eq, b_eq=np.zeros(a.shape[0]), bounds=bounds,
                  method="highs")
    if res.status != 0:  # cannot certify: treat every zero as pinned (conservative)
        return zero.copy()
    out = np.zeros(n, dtype=bool)
    out[z] = res.x[n:] < 0.5
    return out


def determined(withheld: np.ndarray, margins: list[np.ndarray], counts: np.ndarray) -> np.ndarray:
    """Return which withheld cells an attacker can recompute exactly.

    Uses the published margins (boolean masks), the published cells and the fact that
    counts are >= 0: in each count column (``counts``, cells x columns), withheld zeros
    that non-negativity pins at 0 are known, and the other withheld cells are then
    checked by linear algebra. A cell is determined when it is in any count column.
    """
    w, a = _withheld_system(withheld, margins)
    out = np.zeros(len(withheld), dtype=bool)
    if a is None:
        return out
    det = _linear_determined(a)
    counts = np.asarray(counts, float).reshape(len(withheld), -1)
    for k in range(counts.shape[1]):
        zero = counts[w, k] == 0
        if not zero.any():
            continue
        pinned = _pinned_zeros(a, zero)
        if not pinned.any():
            continue
        det_k = pinned.copy()
        det_k[~pinned] = _linear_determined(a[:, ~pinned])
        det |= det_k
    out[w] = det
    return out


def _short_margin(withheld, masks, live, cnt, threshold) -> int | None:
    """Index of the first published margin whose withheld cells count fewer than ``threshold``."""
    for i in live:
        mw = masks[i] & withheld
        if mw.any() and (cnt[mw].sum(axis=0) < threshold).any():
            return i
    return None


def _margin_recoverable(withheld, masks, live, dropped) -> list[int]:
    """Withheld margins whose total is a linear combination of the published margins and cells."""
    w = np.flatnonzero(withheld)
    rows = [masks[i][w].astype(float) for i in live if masks[i][w].any()]
    a = np.vstack(rows) if rows else np.zeros((0, len(w)))
    r = np.linalg.matrix_rank(a) if len(a) else 0
    out = []
    for i in dropped:
        t = masks[i][w].astype(float)
        if not t.any() or np.linalg.matrix_rank(np.vstack([a, t])) == r:
            out.append(i)
    return out


def suppress(table: pd.DataFrame, count_cols, threshold: int = 10, *, dims=None) -> SuppressionResult:
    """Withhold small cells and their complements; return a :class:`SuppressionResult`.

    ``table``: one row per cell. ``count_cols``: the column(s) of counts of people that
    must reach ``threshold`` (an integer in 5-20); they must be finite and >= 0. ``dims``:
    one or two key columns identifying cells (default: the non-numeric columns; they must
    be unique keys). See the module docstring for the rules; ``withheld_margins`` lists
    the margin totals that must not be published either.
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
    cnt = counts.to_numpy(float)
    if not np.isfinite(cnt).all():
        raise ValueError(f"Count columns {count_cols} contain infinite values; counts of people are finite. "
                         "Fix the source rows (an infinite count usually comes from a division by zero).")
    if (cnt < 0).any():
        raise ValueError(f"Count columns {count_cols} contain negative values; counts of people are >= 0.")
    keys = table[dims].reset_index(drop=True)
    margins = _margins(keys)
    masks = [m for _, m in margins]
    primary = (cnt < threshold).any(axis=1)
    withheld = primary.copy()
    complementary = np.zeros(len(table), dtype=bool)
    dropped_margins: list[int] = []
    size = cnt[:, 0] if cnt.shape[1] else np.zeros(len(table))

    def live():
        return [i for i in range(len(masks)) if i not in dropped_margins]

    def add(cells):
        withheld[cells] = True
        complementary[cells] = True

    while len(table):
        lv = live()
        # Rule 1: withheld cells of a published margin count at least `threshold` people.
        i = _short_margin(withheld, masks, lv, cnt, threshold)
        if i is not None:
            cands = np.flatnonzero(masks[i] & ~withheld)
            if len(cands):
                add([cands[np.argsort(size[cands], kind="stable")][0]])
            else:  # the whole margin is small: its total must not be published
                dropped_margins.append(i)
            continue
        lm = [masks[i] for i in lv]
        # Rule 2: no withheld cell recomputable (margins, published cells, non-negativity).
        rec = determined(withheld, lm, cnt)
        if rec.any():
            j = int(np.flatnonzero(rec)[0])
            chosen = _complement_for(j, withheld, lm, cnt, size, keys)
            if chosen:
                add(chosen)
            else:
                # Nothing published can hide it: the margins that pin it are withheld.
                dropped_margins.extend(i for i in lv if masks[i][j])
            continue
        # A withheld margin must not be recomputable from the published ones.
        bad = _margin_recoverable(withheld, masks, lv, dropped_margins)
        if bad:
            dropped_margins.append(_margin_complement(bad, withheld, masks, lv, dropped_margins, cnt))
            continue
        break
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


def _complement_for(j, withheld, lm, cnt, size, keys) -> list[int] | None:
    """Return the published cells to withhold so that cell ``j`` is no longer determined.

    Single cells are tried smallest first, those sharing a margin with ``j`` before the
    others; then (two keys) the cheapest rectangle through ``j``. None when nothing works.
    """
    free = ~withheld
    share = np.zeros(len(withheld), dtype=bool)
    for m in lm:
        if m[j]:
            share |= m
    order = []
    for group in (share & free, ~share & free):
        c = np.flatnonzero(group)
        order.extend(c[np.argsort(size[c], kind="stable")])
    for c in order:
        trial = withheld.copy()
        trial[c] = True
        if not determined(trial, lm, cnt)[j]:
            return [int(c)]
    if keys.shape[1] == 2:
        return _cheapest_rectangle(j, keys, withheld, size, lm, cnt)
    return None


def _margin_complement(bad, withheld, masks, lv, dropped, cnt) -> int:
    """Return the published margin to withhold so that the withheld margins ``bad`` cannot be
    recomputed (smallest total first; the first live margin if none suffices alone)."""
    order = sorted(lv, key=lambda i: float(cnt[masks[i], 0].sum()) if cnt.shape[1] else 0.0)
    for i in order:
        rest = [k for k in lv if k != i]
        if not _margin_recoverable(withheld, masks, rest, bad):
            return i
    return order[0]


def _cheapest_rectangle(j, keys, withheld, size, live, cnt) -> list[int] | None:
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
                if not determined(trial, live, cnt)[j]:
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
