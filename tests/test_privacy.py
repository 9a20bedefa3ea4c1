"""Tests of campaign_toolkit.privacy: small cells withheld, complements, no recovery from totals."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from campaign_toolkit import privacy


def _determined_cells(withheld: np.ndarray, keys: pd.DataFrame, withheld_margins=()) -> list[int]:
    """Independent check by matrix rank: cell j is recoverable iff adding e_j keeps the rank.

    Margins (the grand total for one key; each row/column total for two) are public
    unless listed in ``withheld_margins``.
    """
    w = np.flatnonzero(withheld)
    eqs = []
    if keys.shape[1] == 1:
        groups = [] if {} in list(withheld_margins) else [np.ones(len(keys), bool)]
    else:
        groups = [(keys[c] == v).to_numpy() for c in keys.columns for v in keys[c].unique()
                  if {c: v} not in list(withheld_margins)]
    for g in groups:
        if g[w].any():
            eqs.append(g[w].astype(float))
    if not eqs:
        return []
    a = np.vstack(eqs)
    r = np.linalg.matrix_rank(a)
    out = []
    for k, j in enumerate(w):
        e = np.zeros(len(w))
        e[k] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == r:
            out.append(int(j))
    return out


def _groups(keys: pd.DataFrame) -> list[tuple[dict, np.ndarray]]:
    """Every margin of the table (the grand total for one key; rows and columns for two)."""
    if keys.shape[1] == 1:
        return [({}, np.ones(len(keys), bool))]
    return [({c: v}, (keys[c] == v).to_numpy()) for c in keys.columns for v in keys[c].unique()]


def _lp_ranges(values: np.ndarray, withheld: np.ndarray, keys: pd.DataFrame, withheld_margins=()):
    """Independent attacker by linear programming: for each withheld cell and each withheld
    margin, the smallest and largest value compatible with the published cells, the
    published margin totals and counts >= 0. Returns ({cell: (lo, hi)}, [(margin, lo, hi)])."""
    from scipy.optimize import linprog

    w = np.flatnonzero(withheld)
    pub = [(d, g) for d, g in _groups(keys) if d not in list(withheld_margins)]
    a = np.array([g[w] for _, g in pub], float).reshape(len(pub), len(w))
    b = np.array([values[g].sum() - values[g & ~withheld].sum() for _, g in pub], float)

    def rng(obj):
        lo = linprog(obj, A_eq=a if len(pub) else None, b_eq=b if len(pub) else None,
                     bounds=[(0, None)] * len(w), method="highs")
        hi = linprog(-obj, A_eq=a if len(pub) else None, b_eq=b if len(pub) else None,
                     bounds=[(0, None)] * len(w), method="highs")
        assert lo.status == 0  # the true table is feasible
        return lo.fun, (-hi.fun if hi.status == 0 else np.inf)

    cells = {}
    for k, j in enumerate(w):
        e = np.zeros(len(w))
        e[k] = 1
        cells[int(j)] = rng(e)
    margins = []
    for d, g in _groups(keys):
        if d in list(withheld_margins):
            margins.append((d, *rng(g[w].astype(float))))
    return cells, margins


def _check_protected(t: pd.DataFrame, res, count_col: str, dims, thr: int) -> None:
    """The house rule, checked independently of the implementation."""
    keys = t[dims].reset_index(drop=True)
    values = t[count_col].to_numpy(float)
    w = res.table["withheld"].to_numpy()
    wm = list(res.withheld_margins)
    # 1. in every published margin, the withheld cells count at least `thr` people together
    for d, g in _groups(keys):
        if d not in wm and (g & w).any():
            assert values[g & w].sum() >= thr, (d, values[g & w])
    # a margin is withheld only when all its cells are withheld, or to protect such a margin
    own = [d for d, g in _groups(keys) if d in wm and w[g].all()]
    assert not wm or own
    # 2. no withheld cell (nor withheld margin) is determined, using non-negativity too
    cells, margins = _lp_ranges(values, w, keys, wm)
    for j, (lo, hi) in cells.items():
        assert hi - lo > 1e-6, f"cell {j} ({values[j]}) determined: [{lo}, {hi}]"
    for d, lo, hi in margins:
        assert hi - lo > 1e-6, f"margin {d} determined: [{lo}, {hi}]"


def test_one_dimension_single_small_cell_gets_a_complement():
    t = pd.DataFrame({"age_band": ["18-24", "25-34", "35-44", "45-54"], "conversions": [3, 40, 25, 60],
                      "rate": [0.1, 0.2, 0.3, 0.4]})
    res = privacy.suppress(t, "conversions", 10)
    pub = res.table.set_index("age_band")
    assert pub["withheld"].tolist() == [True, False, True, False]  # 3 (primary) + 25 (smallest other)
    assert pd.isna(pub.loc["18-24", "rate"]) and pd.isna(pub.loc["35-44", "conversions"])
    assert res.audit.set_index("age_band")["rule"].to_dict() == {"18-24": "primary", "35-44": "complementary"}
    assert "2 cellules sur 4" in res.summary() and "2 of 4" in res.summary("en")


@pytest.mark.parametrize("counts, thr, expected", [
    # two zeros: the withheld total (0) would tell that each is exactly 0 -> smallest other cell too
    ([0, 0, 50, 60], 10, [True, True, True, False]),
    # 3 + 4 = 7 < 10: each would be known to be small -> add the 50
    ([3, 4, 50, 60], 10, [True, True, True, False]),
    # 2 + 30 = 32 >= 10 and two cells: enough
    ([2, 30, 40], 10, [True, True, False]),
    # everything small: all withheld, and the total (7) too
    ([3, 4], 10, [True, True]),
])
def test_one_dimension_withheld_total_reaches_the_threshold(counts, thr, expected):
    t = pd.DataFrame({"seg": [f"s{i}" for i in range(len(counts))], "n": counts})
    res = privacy.suppress(t, "n", thr)
    assert res.table["withheld"].tolist() == expected
    withheld_total = sum(counts) - res.table["n"].fillna(0).sum()
    assert withheld_total >= thr or all(expected)
    assert res.withheld_margins == ([{}] if sum(counts) < thr else [])
    _check_protected(t, res, "n", ["seg"], thr)


def test_two_count_columns_each_protected():
    # clicks are large everywhere but conversions are 0 and 2: the second column drives it.
    t = pd.DataFrame({"seg": ["a", "b", "c", "d"], "clicks": [50, 60, 70, 80], "conversions": [0, 2, 30, 40]})
    res = privacy.suppress(t, ["clicks", "conversions"], 10)
    assert res.table["withheld"].tolist() == [True, True, True, False]
    for col in ("clicks", "conversions"):
        _check_protected(t, res, col, ["seg"], 10)


def test_infinite_or_missing_counts_refused():
    with pytest.raises(ValueError, match="infinite"):
        privacy.suppress(pd.DataFrame({"seg": ["a", "b"], "n": [np.inf, 50.0]}), "n")
    with pytest.raises(ValueError, match="missing"):
        privacy.suppress(pd.DataFrame({"seg": ["a", "b"], "n": [np.nan, 50.0]}), "n")


def test_two_dimension_zero_row_withheld_with_its_margin():
    # Hypothesis counterexample: a whole row and column of zeros (2x2 [0, 0, 0, 5], threshold 5).
    t = pd.DataFrame(list(itertools.product(["0", "1"], ["0", "1"])), columns=["r", "c"]).assign(n=[0, 0, 0, 5])
    res = privacy.suppress(t, "n", 5, dims=["r", "c"])
    assert res.table["withheld"].all()
    assert {"r": "0"} in res.withheld_margins and {"c": "0"} in res.withheld_margins
    _check_protected(t, res, "n", ["r", "c"], 5)


def test_no_suppression_when_all_large_and_threshold_range():
    t = pd.DataFrame({"g": ["a", "b"], "n": [10, 11]})
    assert not privacy.suppress(t, "n", 10).table["withheld"].any()
    assert privacy.suppress(t, "n", 11).table["withheld"].all()
    for bad in (4, 21, 10.5, "10"):
        with pytest.raises(ValueError, match="between 5 and 20"):
            privacy.suppress(t, "n", bad)
    with pytest.raises(ValueError, match="negative"):
        privacy.suppress(t.assign(n=[-1, 30]), "n")
    with pytest.raises(KeyError, match="not in the table"):
        privacy.suppress(t, "clicks")


def test_two_dimension_hand_case():
    keys = list(itertools.product(["r1", "r2", "r3"], ["c1", "c2", "c3"]))
    t = pd.DataFrame(keys, columns=["region", "age_band"])
    t["clicks"] = [5, 50, 60, 70, 80, 90, 100, 110, 120]
    res = privacy.suppress(t, "clicks", 10, dims=["region", "age_band"])
    w = res.table["withheld"].to_numpy()
    assert w[0]
    # r1/c1 needs a partner in its row and its column, closed into a rectangle: 4 cells.
    assert w.sum() == 4
    assert _determined_cells(w, t[["region", "age_band"]]) == []


@st.composite
def tables(draw):
    nr = draw(st.integers(1, 4))
    nc = draw(st.integers(1, 4))
    two = draw(st.booleans()) and nc > 1 and nr > 1
    if two:
        keys = pd.DataFrame(list(itertools.product(range(nr), range(nc))), columns=["r", "c"]).astype(str)
    else:
        keys = pd.DataFrame({"r": [str(i) for i in range(nr * nc)]})
    counts = draw(st.lists(st.integers(0, 40), min_size=len(keys), max_size=len(keys)))
    thr = draw(st.integers(5, 20))
    return keys.assign(n=counts), list(keys.columns), thr


@settings(max_examples=150, deadline=None)
@given(tables())
@example((pd.DataFrame({"r": ["0", "0", "1", "1"], "c": ["0", "1", "0", "1"], "n": [0, 0, 0, 5]}), ["r", "c"], 5))
@example((pd.DataFrame({"r": ["0", "1", "2"], "n": [0, 0, 40]}), ["r"], 10))
def test_property_no_withheld_cell_recoverable(case):
    t, dims, thr = case
    res = privacy.suppress(t, "n", thr, dims=dims)
    w = res.table["withheld"].to_numpy()
    # every cell below the threshold is withheld, and its values are NA
    assert w[(t["n"] < thr).to_numpy()].all()
    assert res.table.loc[w, "n"].isna().all() and res.table.loc[~w, "n"].notna().all()
    # no withheld cell is determined by the published margins (withheld margins are not published)
    keys = t[dims]
    assert _determined_cells(w, keys, res.withheld_margins) == []
    # withheld totals per published margin >= threshold, nothing determined even with
    # non-negativity (independent LP attacker), margins withheld only when needed
    _check_protected(t, res, "n", dims, thr)
    assert len(res.audit) == int(w.sum())
