"""Tests of campaign_toolkit.privacy: small cells withheld, complements, no recovery from totals."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
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


def test_one_dimension_single_small_cell_gets_a_complement():
    t = pd.DataFrame({"age_band": ["18-24", "25-34", "35-44", "45-54"], "conversions": [3, 40, 25, 60],
                      "rate": [0.1, 0.2, 0.3, 0.4]})
    res = privacy.suppress(t, "conversions", 10)
    pub = res.table.set_index("age_band")
    assert pub["withheld"].tolist() == [True, False, True, False]  # 3 (primary) + 25 (smallest other)
    assert pd.isna(pub.loc["18-24", "rate"]) and pd.isna(pub.loc["35-44", "conversions"])
    assert res.audit.set_index("age_band")["rule"].to_dict() == {"18-24": "primary", "35-44": "complementary"}
    assert "2 cellules sur 4" in res.summary() and "2 of 4" in res.summary("en")


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
    # a margin is withheld only when it holds a single (withheld) cell
    for m in res.withheld_margins:
        members = np.ones(len(keys), bool) if not m else (keys[list(m)[0]] == list(m.values())[0]).to_numpy()
        assert members.sum() == 1 and w[members].all()
    assert len(res.audit) == int(w.sum())
