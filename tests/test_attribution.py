"""Attribution models against known answers.

Known answers used here: the classic toy case (Markov 0.2 / 0.4 / 0.4), hand-computed
chains, heuristic and Shapley cases worked out by hand, a planted chain simulated by
campaign_toolkit.synthetic.journeys (whose truth is solved independently of the
attribution code), an independent brute-force Shapley over orderings, and the exact
identity "order >= path length => removal effect = share of conversions on paths
containing the channel".
"""

from __future__ import annotations

import itertools
import math
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from campaign_toolkit import attribution as A
from campaign_toolkit.synthetic.journeys import chain_truth, simulate_journeys


def frame(rows, cols=("path", "conversions", "nulls")):
    return pd.DataFrame(rows, columns=list(cols))


def credit(res, col="conversions"):
    return res.table.set_index("channel")[col].to_dict()


TOY = frame([("c1 > c2 > c3", 1.0, 0.0), ("c1", 0.0, 1.0), ("c2 > c3", 0.0, 1.0)])


# ---------------------------------------------------------------------------
# Markov: hand-computed cases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("allocation", ["path", "global"])
def test_markov_toy_case_is_02_04_04(allocation):
    res = A.markov(TOY, allocation=allocation, n_boot=0)
    c = credit(res)
    assert c == pytest.approx({"c1": 0.2, "c2": 0.4, "c3": 0.4}, abs=1e-12)
    # P(convert) = 2/3*1/2*1*1/2 + 1/3*1*1/2 = 1/3; without c1: 1/6 -> RE 0.5; c2, c3: RE 1.
    assert res.conversion_probability == pytest.approx(1 / 3)
    assert credit(res, "removal_effect") == pytest.approx({"c1": 0.5, "c2": 1.0, "c3": 1.0})
    assert res.transition.loc["(start)", "c1"] == pytest.approx(2 / 3)
    assert res.transition.loc["c3", "(conversion)"] == pytest.approx(1 / 2)
    assert res.transition.loc["c1", "(null)"] == pytest.approx(1 / 2)


def test_simulator_truth_on_toy_chain_matches_hand_computation():
    chain = pd.DataFrame(
        {"c1": [2 / 3, 0, 0, 0], "c2": [1 / 3, 0.5, 0, 0], "c3": [0, 0, 1, 0],
         "(conversion)": [0, 0, 0, 0.5], "(null)": [0, 0.5, 0, 0.5]},
        index=["(start)", "c1", "c2", "c3"])
    truth = chain_truth(chain, ["c1", "c2", "c3"])
    assert truth["conversion_probability"] == pytest.approx(1 / 3)
    assert truth["removal_effects"] == pytest.approx({"c1": 0.5, "c2": 1.0, "c3": 1.0})
    assert truth["conversion_shares"] == pytest.approx({"c1": 0.2, "c2": 0.4, "c3": 0.4})


def test_path_and_global_allocation_differ_as_documented():
    # start -> x (1/2) or a (1/2); x -> b, a -> b; b -> conv 1/2, null 1/2. P = 1/2.
    # Without x (or a): 1/4 -> RE 0.5; without b: 0 -> RE 1.
    df = frame([("x > b", 0.0, 1.0), ("a > b", 1.0, 0.0)])
    g = credit(A.markov(df, allocation="global", n_boot=0))
    assert g == pytest.approx({"a": 0.25, "b": 0.5, "x": 0.25})
    p = credit(A.markov(df, allocation="path", n_boot=0))
    assert p == pytest.approx({"a": 1 / 3, "b": 2 / 3, "x": 0.0})


def test_markov_order2_hand_case():
    # order 2 states: (a), (a,b), (c), (c,b). a>b always converts, c>b never.
    # Order 1 would mix them at b (b -> conv 1/2); order 2 keeps them apart.
    df = frame([("a > b", 1.0, 0.0), ("c > b", 0.0, 1.0)])
    r2 = A.markov(df, order=2, n_boot=0)
    assert r2.conversion_probability == pytest.approx(0.5)
    assert credit(r2, "removal_effect") == pytest.approx({"a": 1.0, "b": 1.0, "c": 0.0})
    assert r2.transition.loc["a > b", "(conversion)"] == pytest.approx(1.0)
    assert r2.transition.loc["c > b", "(null)"] == pytest.approx(1.0)
    r1 = A.markov(df, order=1, n_boot=0)
    assert r1.transition.loc["b", "(conversion)"] == pytest.approx(0.5)


def test_repeats_collapsed_by_default_and_kept_on_request():
    df = frame([("a > a > b", 1.0, 0.0), ("a", 0.0, 1.0)])
    collapsed = A.markov(df, n_boot=0)
    assert "a" not in collapsed.transition.loc["a"][lambda s: s > 0].index
    kept = A.markov(df, collapse=False, n_boot=0)
    # a -> a once, a -> b once, a -> null once out of the 3 moves out of a
    assert kept.transition.loc["a", "a"] == pytest.approx(1 / 3)
    # at order 1 absorption probabilities ignore self-loops: same removal effects
    assert credit(kept, "removal_effect") == pytest.approx(credit(collapsed, "removal_effect"))


def test_markov_value_split_like_conversions_and_sums_to_total():
    df = TOY.assign(value=[50.0, 0.0, 0.0])
    res = A.markov(df, value_col="value", n_boot=0)
    assert credit(res, "value") == pytest.approx({"c1": 10.0, "c2": 20.0, "c3": 20.0})


# ---------------------------------------------------------------------------
# Markov: planted chain recovery
# ---------------------------------------------------------------------------


def test_markov_recovers_planted_removal_effects():
    channels = ["search", "social_meta", "online_video", "programmatic_display", "ctv"]
    paths, truth = simulate_journeys(channels, 200_000, seed=20261203)
    res = A.markov(paths, n_boot=200, seed=1, allocation="global")
    t = res.table.set_index("channel")
    # Tolerance: the estimate differs from the truth by sampling error only (plus the
    # journeys cut at max_len, of exactly known probability). Its standard error is
    # taken from the bootstrap: SE ~ (95 % interval width) / 3.92. Allowing 4 SE keeps
    # the chance of a false failure per channel near 6e-5 under normality; the width
    # itself is checked to be small so that the test cannot pass by a huge interval.
    se = (t["removal_effect_ci_high"] - t["removal_effect_ci_low"]) / 3.92
    assert (se < 0.01).all() and (se > 0).all()
    bias = truth["truncation_probability"]
    for ch in channels:
        err = abs(t.loc[ch, "removal_effect"] - truth["removal_effects"][ch])
        assert err <= 4 * se[ch] + bias, (ch, err, se[ch])
        share = t.loc[ch, "conversions"] / t["conversions"].sum()
        assert share == pytest.approx(truth["conversion_shares"][ch], abs=0.015)
    # the transition probabilities too, each within 5 binomial standard errors
    trans = res.transition
    n_from = (paths["conversions"] + paths["nulls"]).sum()
    for frm, row in truth["transition"].items():
        for to, p in row.items():
            visits = n_from if frm == "(start)" else None
            if visits is None:
                continue
            assert abs(trans.loc[frm, to] - p) <= 5 * math.sqrt(p * (1 - p) / visits)


def test_simulator_is_seeded_and_json_serialisable():
    import json

    a, ta = simulate_journeys(["a", "b", "c"], 5_000, seed=7)
    b, tb = simulate_journeys(["a", "b", "c"], 5_000, seed=7)
    pd.testing.assert_frame_equal(a, b)
    json.dumps(ta)
    assert sum(ta["conversion_shares"].values()) == pytest.approx(1.0)
    assert (a["conversions"] + a["nulls"]).sum() == 5_000
    c, _ = simulate_journeys(["a", "b", "c"], 5_000, seed=8)
    assert not a.equals(c)


# ---------------------------------------------------------------------------
# Exact identity at high order: the chain reproduces the empirical paths
# ---------------------------------------------------------------------------


CHANNELS = ["a", "b", "c", "d"]
row_strategy = st.tuples(
    st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=4),
    st.floats(0, 5, allow_nan=False).map(lambda x: round(x, 2)),
    st.floats(0, 5, allow_nan=False).map(lambda x: round(x, 2)),
    st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2)),
)
tables = st.lists(row_strategy, min_size=1, max_size=8).map(
    lambda rows: pd.DataFrame({"path": [" > ".join(r[0]) for r in rows],
                               "conversions": [r[1] for r in rows],
                               "nulls": [r[2] for r in rows],
                               "value": [r[3] if r[1] > 0 else 0.0 for r in rows]}))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(tables)
def test_high_order_removal_effect_is_conversion_share_of_paths_with_channel(df):
    assume(df["conversions"].sum() > 0)
    res = A.markov(df, order=4, collapse=False, n_boot=0)
    total = df["conversions"].sum()
    for ch, re in credit(res, "removal_effect").items():
        with_ch = df["path"].str.split(" > ").map(lambda p, ch=ch: ch in p)
        assert re == pytest.approx(df.loc[with_ch, "conversions"].sum() / total, abs=1e-9)


# ---------------------------------------------------------------------------
# Properties of every model
# ---------------------------------------------------------------------------


def run_models(df):
    return {
        "first": A.heuristic(df, "first", value_col="value"),
        "last": A.heuristic(df, "last", value_col="value"),
        "linear": A.heuristic(df, "linear", value_col="value"),
        "position": A.heuristic(df, "position", value_col="value"),
        "position_j": A.heuristic(df, "position", weights="j", value_col="value"),
        "markov": A.markov(df, value_col="value", n_boot=0),
        "markov_global": A.markov(df, value_col="value", n_boot=0, allocation="global"),
        "markov2": A.markov(df, value_col="value", n_boot=0, order=2),
        "shapley": A.shapley(df, value_col="value"),
        "shapley_rate": A.shapley(df, value_col="value", value_function="rate"),
        "shapley_simplified": A.shapley(df, value_col="value", variant="simplified"),
    }


@FAST
@given(tables, st.permutations(["w", "x", "y", "z"]), st.randoms(use_true_random=False))
def test_properties_of_every_model(df, new_names, rnd):
    assume(df["conversions"].sum() > 0)
    base = run_models(df)
    rename = dict(zip(CHANNELS, new_names))
    renamed = df.assign(path=df["path"].map(lambda p: " > ".join(rename[c] for c in p.split(" > "))))
    order = list(range(len(df)))
    rnd.shuffle(order)
    shuffled = df.iloc[order].reset_index(drop=True)
    res_renamed, res_shuffled = run_models(renamed), run_models(shuffled)
    converting = set(itertools.chain.from_iterable(
        p.split(" > ") for p, c in zip(df["path"], df["conversions"]) if c > 0))
    for name, res in base.items():
        c, v = credit(res), credit(res, "value")
        # totals preserved (conversions and value)
        assert sum(c.values()) == pytest.approx(df["conversions"].sum(), rel=1e-9, abs=1e-9), name
        assert sum(v.values()) == pytest.approx(df["value"].sum(), rel=1e-9, abs=1e-9), name
        # renaming channels permutes the result
        cr = credit(res_renamed[name])
        assert {k: cr[rename[k]] for k in c} == pytest.approx(c, abs=1e-9), name
        # row order changes nothing
        assert credit(res_shuffled[name]) == pytest.approx(c, abs=1e-9), name
        # channels never on a converting path get zero (documented exceptions: the
        # "global" Markov allocation and the conversion-rate Shapley function)
        if name not in ("markov_global", "shapley_rate"):
            for ch in set(c) - converting:
                assert c[ch] == pytest.approx(0.0, abs=1e-12), (name, ch)
                assert v[ch] == pytest.approx(0.0, abs=1e-12), (name, ch)
    for name in ("first", "last", "linear", "position", "markov", "shapley"):
        assert min(credit(base[name]).values()) >= -1e-12


# ---------------------------------------------------------------------------
# Heuristics: hand-computed
# ---------------------------------------------------------------------------

HEUR = frame([("a > b > c > d", 10.0, 0.0), ("b", 2.0, 0.0), ("c > a", 1.0, 0.0), ("d > c", 0.0, 5.0)])


@pytest.mark.parametrize("model, kw, expected", [
    ("first", {}, {"a": 10, "b": 2, "c": 1, "d": 0}),
    ("last", {}, {"a": 1, "b": 2, "c": 0, "d": 10}),
    ("linear", {}, {"a": 3, "b": 4.5, "c": 3, "d": 2.5}),
    ("position", {}, {"a": 4.5, "b": 3, "c": 1.5, "d": 4}),
    ("position", {"weights": "j"}, {"a": 2.75, "b": 3, "c": 1.25, "d": 6}),
    ("position", {"weights": "inverse_j"}, {"a": 6.25, "b": 3, "c": 1.75, "d": 2}),
    ("position", {"weights": (0.5, 0.0, 0.5)}, {"a": 5.5, "b": 2, "c": 0.5, "d": 5}),
])
def test_heuristics_hand_computed(model, kw, expected):
    assert credit(A.heuristic(HEUR, model, **kw)) == pytest.approx(expected)


def test_time_decay_hand_computed():
    # weights 2**(-14/7) = 1/4 and 2**0 = 1 -> a 0.2, b 0.8 of 5 conversions
    df = pd.DataFrame({"path": ["a > b", "b"], "conversions": [5.0, 1.0], "days": ["14 > 0", "3"]})
    res = A.heuristic(df, "time_decay", half_life=7, days_col="days")
    assert credit(res) == pytest.approx({"a": 1.0, "b": 5.0})
    with pytest.raises(ValueError, match="days"):
        A.heuristic(df, "time_decay")


def test_linear_counts_each_touch_unless_collapsed():
    df = frame([("a > a > b", 3.0, 0.0)])
    assert credit(A.heuristic(df, "linear")) == pytest.approx({"a": 2.0, "b": 1.0})
    assert credit(A.heuristic(df, "linear", collapse=True)) == pytest.approx({"a": 1.5, "b": 1.5})


def test_fractional_conversions_kept():
    df = frame([("a > b", 0.5, 0.0), ("b", 0.25, 1.0)])
    assert credit(A.heuristic(df, "last")) == pytest.approx({"a": 0.0, "b": 0.75})
    assert sum(credit(A.markov(df, n_boot=0)).values()) == pytest.approx(0.75)


# ---------------------------------------------------------------------------
# Shapley: hand-computed and an independent brute force
# ---------------------------------------------------------------------------


def brute_force_shapley(df, rate=False):
    """Shapley by averaging marginal contributions over all orderings (independent code)."""
    sets = [frozenset(p.split(" > ")) for p in df["path"]]
    players = sorted(set().union(*sets))

    def v(coal):
        inside = [s <= coal for s in sets]
        c = sum(x for x, ok in zip(df["conversions"], inside) if ok)
        if not rate:
            return c
        n = c + sum(x for x, ok in zip(df["nulls"], inside) if ok)
        return c / n if n > 0 else 0.0

    phi = dict.fromkeys(players, 0.0)
    perms = list(itertools.permutations(players))
    for perm in perms:
        coal = frozenset()
        for p in perm:
            phi[p] += v(coal | {p}) - v(coal)
            coal = coal | {p}
    return {p: x / len(perms) for p, x in phi.items()}


SHAP = frame([("a", 2.0, 1.0), ("a > b", 3.0, 0.0), ("b > c", 1.0, 4.0), ("c > d > c", 0.0, 2.0)])


def test_shapley_conversions_equals_simplified_and_brute_force():
    # simplified by hand: a = 2 + 3/2, b = 3/2 + 1/2, c = 1/2, d = 0
    hand = {"a": 3.5, "b": 2.0, "c": 0.5, "d": 0.0}
    assert credit(A.shapley(SHAP)) == pytest.approx(hand)
    assert credit(A.shapley(SHAP, variant="simplified")) == pytest.approx(hand)
    assert credit(A.shapley(SHAP)) == pytest.approx(brute_force_shapley(SHAP))


def test_shapley_rate_hand_computed_and_brute_force():
    # v(a) = 1/2, v(b) = 0, v(ab) = 3/6 -> phi_a = (1/2 + 1/2)/2 = 1/2, phi_b = 0
    df = frame([("a", 1.0, 1.0), ("b", 0.0, 2.0), ("a > b", 2.0, 0.0)])
    res = A.shapley(df, value_function="rate")
    assert credit(res, "shapley_value") == pytest.approx({"a": 0.5, "b": 0.0})
    assert credit(res) == pytest.approx({"a": 3.0, "b": 0.0})
    assert credit(A.shapley(SHAP, value_function="rate"), "shapley_value") == pytest.approx(
        brute_force_shapley(SHAP, rate=True))


def test_shapley_refuses_too_many_channels_for_exact():
    df = frame([(" > ".join(f"ch{i}" for i in range(21)), 1.0, 0.0)])
    with pytest.raises(ValueError, match="simplified"):
        A.shapley(df)
    assert sum(credit(A.shapley(df, variant="simplified")).values()) == pytest.approx(1.0)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "   ", ">", " > > ", "a > > b", "a >"])
@pytest.mark.parametrize("fn", [A.markov, A.heuristic, A.shapley])
def test_empty_paths_and_empty_channels_are_refused(path, fn):
    df = frame([("a > b", 1.0, 0.0), (path, 1.0, 0.0)])
    with pytest.raises(ValueError, match="empty channel"):
        fn(df)


@pytest.mark.parametrize("col, bad, match", [
    ("conversions", -1.0, "negative"), ("conversions", np.nan, "NaN"),
    ("nulls", np.nan, "NaN"), ("nulls", -2.0, "negative"), ("conversions", np.inf, "infinite"),
])
def test_bad_counts_are_refused(col, bad, match):
    df = frame([("a > b", 1.0, 0.0), ("b", 1.0, 1.0)])
    df.loc[1, col] = bad
    for fn in (A.markov, A.shapley):
        with pytest.raises(ValueError, match=match):
            fn(df)


def test_no_conversions_at_all_is_refused():
    df = frame([("a > b", 0.0, 3.0), ("b", 0.0, 1.0)])
    for fn in (A.markov, A.heuristic, A.shapley, A.compare):
        with pytest.raises(ValueError, match="no conversions"):
            fn(df)


def test_channel_containing_separator_is_refused():
    with pytest.raises(ValueError, match="separator"):
        A.EncodedPaths.from_sequences([["search", "display>mobile"]], [1.0])
    tp = pd.DataFrame({"user_key": ["u"], "timestamp": [pd.Timestamp("2026-01-01")], "channel": ["a > b"]})
    cv = pd.DataFrame({"user_key": ["u"], "timestamp": [pd.Timestamp("2026-01-02")], "value": [1.0]})
    with pytest.raises(ValueError, match="separator"):
        A.paths_from_touchpoints(tp, cv)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="reserved"):
        A.markov(frame([("(start) > a", 1.0, 0.0)]))
    with pytest.raises(KeyError, match="conv"):
        A.markov(frame([("a", 1.0, 0.0)]).rename(columns={"conversions": "conv"}))
    with pytest.raises(KeyError, match="n_nulls"):
        A.markov(frame([("a", 1.0, 0.0)]), null_col="n_nulls")
    with pytest.raises(TypeError, match="numeric"):
        A.markov(frame([("a", "1", 0.0)]))
    with pytest.raises(ValueError, match="missing paths"):
        A.markov(frame([(None, 1.0, 0.0), ("a", 1.0, 0.0)]))
    with pytest.raises(ValueError, match="empty"):
        A.markov(frame([]))
    with pytest.raises(ValueError, match="order"):
        A.markov(TOY, order=0)


def test_zero_conversion_rows_are_nulls_when_null_column_absent():
    no_nulls = frame([("c1 > c2 > c3", 1.0), ("c1", 0.0), ("c2 > c3", 0.0)], cols=("path", "conversions"))
    res = A.markov(no_nulls, n_boot=0)
    assert res.params["nulls_from_zero_rows"] is True
    assert credit(res) == pytest.approx({"c1": 0.2, "c2": 0.4, "c3": 0.4})
    assert credit(A.markov(no_nulls, null_col=None, n_boot=0)) == pytest.approx(credit(res))


def test_rows_credit_only_their_own_channels():
    # two campaigns' rows: conversions on "a" must not leak to "z" (only on null paths)
    df = frame([("a", 5.0, 5.0), ("z > a", 0.0, 10.0), ("z", 0.0, 3.0)])
    for res in (A.markov(df, n_boot=0), A.shapley(df), A.heuristic(df, "linear")):
        assert credit(res)["z"] == 0.0
        assert credit(res)["a"] == pytest.approx(5.0)


def test_spaces_around_separator_and_custom_separator():
    a = credit(A.markov(TOY, n_boot=0))
    tight = TOY.assign(path=TOY["path"].str.replace(" > ", ">"))
    assert credit(A.markov(tight, n_boot=0)) == pytest.approx(a)
    piped = TOY.assign(path=TOY["path"].str.replace(" > ", " | "))
    assert credit(A.markov(piped, sep="|", n_boot=0)) == pytest.approx(a)


# ---------------------------------------------------------------------------
# Bootstrap, compare, report
# ---------------------------------------------------------------------------


def test_bootstrap_is_seeded_and_brackets_estimate():
    paths, _ = simulate_journeys(["a", "b", "c"], 20_000, seed=3)
    r1 = A.markov(paths, n_boot=100, seed=5)
    r2 = A.markov(paths, n_boot=100, seed=5)
    r3 = A.markov(paths, n_boot=100, seed=6)
    pd.testing.assert_frame_equal(r1.table, r2.table)
    assert not np.allclose(r1.table["ci_low"], r3.table["ci_low"])
    t = r1.table
    assert (t["ci_low"] <= t["conversions"]).all() and (t["conversions"] <= t["ci_high"]).all()
    assert (t["removal_effect_ci_low"] <= t["removal_effect"]).all()


def test_encoded_paths_give_same_result_as_strings():
    ep = A.encode_paths(TOY)
    assert credit(A.markov(ep, n_boot=0)) == pytest.approx(credit(A.markov(TOY, n_boot=0)))
    seq = A.EncodedPaths.from_sequences([["c1", "c2", "c3"], ["c1"], ["c2", "c3"]], [1, 0, 0], [0, 1, 1])
    assert credit(A.markov(seq, n_boot=0)) == pytest.approx({"c1": 0.2, "c2": 0.4, "c3": 0.4})


def test_compare_table_and_plot():
    df = frame([("search > social_meta", 3.0, 2.0), ("social_meta", 1.0, 4.0), ("ctv > search", 2.0, 1.0)])
    res = A.compare(df, n_boot=50)
    t = res.table
    assert list(t.columns) == ["channel", "first", "last", "linear", "position", "markov",
                               "markov_ci_low", "markov_ci_high", "markov_share_ci_low", "markov_share_ci_high",
                               "shapley"]
    assert set(t["channel"]) == {"search", "social_meta", "ctv"}
    for m in res.models:
        assert t[m].sum() == pytest.approx(6.0)
    assert t.set_index("channel").loc["ctv", "last"] == 0.0
    ax = res.plot()
    assert len(ax.patches) >= 3 * len(res.models)
    assert "Markov" in res.summary() and "Markov" in res.summary("en")


def test_report_table_french_and_english():
    df = frame([("search > social_meta", 30.0, 20.0), ("social_meta", 10.0, 40.0),
                ("ctv > search", 20.0, 10.0)]).assign(value=[300.0, 100.0, 200.0])
    table, text = A.report_table(df, value_col="value", n_boot=50)
    assert table.columns[0] == "Canal"
    assert "Recherche payante" in set(table["Canal"])
    assert "Markov, IC 95 %" in table.columns and "Valeur (Markov)" in table.columns
    assert text.startswith("Selon le modèle de Markov, le canal « ")
    res = A.markov(df, n_boot=0)
    top = res.table.sort_values("conversions").iloc[-1]
    from campaign_toolkit.report import fmt
    from campaign_toolkit.schema import label

    assert f"« {label('channel', top['channel'], 'fr')} » obtient {fmt.percent(top['share'], 'fr')}" in text
    t_en, text_en = A.report_table(df, lang="en", n_boot=0)
    assert t_en.columns[0] == "Channel" and "Paid search" in set(t_en["Channel"])
    assert text_en.startswith("According to the Markov model")


def test_result_summary_and_plot():
    res = A.markov(TOY, n_boot=20)
    s = res.summary()
    assert "Markov" in s and "40,0\u00a0%" in s and "IC 95 %" in s
    assert "40.0%" in res.summary("en")
    assert res.plot() is not None
    assert "Dernier contact" in A.heuristic(TOY, "last").summary()
    assert "<table" in res._repr_html_()


# ---------------------------------------------------------------------------
# Touchpoints -> paths in DuckDB
# ---------------------------------------------------------------------------

D0 = pd.Timestamp("2026-01-01")


def day(d):
    return D0 + pd.Timedelta(days=d)


def touch_data():
    tp = pd.DataFrame([
        ("u1", day(0), "search"), ("u1", day(20), "social_meta"), ("u1", day(40), "ctv"),
        ("u1", day(50), "search"), ("u1", day(60), "tv"),
        ("u2", day(0), "search"), ("u2", day(1), "search"),
        ("u3", day(0), "ctv"),
        ("u6", day(0), "search"), ("u6", day(1), "ctv"), ("u6", day(2), "tv"), ("u6", day(3), "radio"),
        ("u7", day(0), "radio"),
    ], columns=["user_key", "timestamp", "channel"])
    cv = pd.DataFrame([
        ("u1", day(45), 100.0), ("u1", day(52), 50.0), ("u2", day(2), 10.0), ("u4", day(5), 20.0),
        ("u6", day(4), 7.0), ("u7", day(1), 1.0), ("u7", day(1), 2.0),
    ], columns=["user_key", "timestamp", "value"])
    return tp, cv


def test_paths_from_touchpoints_lookback_cap_and_nulls():
    tp, cv = touch_data()
    with pytest.warns(UserWarning, match="1 conversions"):
        out = A.paths_from_touchpoints(tp, cv, lookback_days=30, max_path_length=3)
    got = {r.path: (r.conversions, r.nulls, r.value) for r in out.itertuples()}
    assert got == {
        "social_meta > ctv": (1.0, 0.0, 100.0),  # search at day 0 is outside the 30-day lookback
        "search": (1.0, 0.0, 50.0),               # ctv (day 40) already served the first conversion
        "tv": (0.0, 1.0, 0.0),                    # after u1's last conversion: a null journey
        "search > search": (1.0, 0.0, 10.0),
        "ctv": (0.0, 1.0, 0.0),                   # u3 never converts
        "ctv > tv > radio": (1.0, 0.0, 7.0),      # capped at the last 3 touches
        "radio": (2.0, 0.0, 3.0),                 # two conversions at the same instant
    }
    assert out.attrs["unmatched_conversions"] == 1.0 and out.attrs["unmatched_value"] == 20.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        longer = A.paths_from_touchpoints(tp, cv, lookback_days=60)
    assert "search > social_meta > ctv" in set(longer["path"])
    assert "search > ctv > tv > radio" in set(longer["path"])
    # the result feeds the models directly
    assert sum(credit(A.markov(out, n_boot=0)).values()) == pytest.approx(6.0)


def test_paths_from_touchpoints_days_and_unmatched_options():
    tp, cv = touch_data()
    with pytest.raises(ValueError, match="no touchpoint"):
        A.paths_from_touchpoints(tp, cv, unmatched="error")
    direct = A.paths_from_touchpoints(tp, cv, unmatched="direct")
    assert direct.set_index("path").loc["direct", "conversions"] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = A.paths_from_touchpoints(tp, cv, aggregate=False)
    r = rows.set_index("path").loc["social_meta > ctv"]
    assert [float(x) for x in r["days"].split(" > ")] == [25.0, 5.0]
    td = A.heuristic(rows, "time_decay", half_life=20, days_col="days")
    # u1's first conversion: weights 2**(-25/20), 2**(-5/20)
    w = np.array([2 ** (-25 / 20), 2 ** (-5 / 20)])
    assert credit(td)["social_meta"] == pytest.approx(w[0] / w.sum() + 0.0)


def test_aggregate_paths_merges_identical_integer_paths():
    seqs = [["a", "b"], ["b"], ["a", "b"], ["a", "b", "a"], ["b"]]
    ep = A.EncodedPaths.from_sequences(seqs, [1, 0, 2, 1, 0.5], [0, 1, 1, 0, 0], [10, 0, 5, 1, 2])
    agg = A.aggregate_paths(ep)
    got = {tuple(agg.channels[c] for c in agg.codes[agg.offsets[i]:agg.offsets[i + 1]]):
           (agg.conversions[i], agg.nulls[i], agg.value[i]) for i in range(agg.n_paths)}
    assert got == {("a", "b"): (3, 1, 15), ("b",): (0.5, 1, 2), ("a", "b", "a"): (1, 0, 1)}
    # long paths (40 touches) need several uint64 key blocks
    names = [f"c{i:02d}" for i in range(20)]  # 21**14 < 2**64 < 21**15: 14 touches a block
    tail_differs = names * 2
    tail_differs[-1] = "c00"  # same first block, different last block
    long = [names * 2, names * 2, names[::-1] * 2, tail_differs]
    agg2 = A.aggregate_paths(A.EncodedPaths.from_sequences(long, [1, 1, 1, 1]))
    assert agg2.n_paths == 3 and sorted(agg2.conversions) == [1, 1, 2]


def test_touchpoint_key_mode_matches_string_mode():
    tp, cv = touch_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keyed = A.paths_from_touchpoints(tp, cv, max_path_length=3)
        rows = A.paths_from_touchpoints(tp, cv, max_path_length=3, aggregate=False)
    by_str = rows.groupby("path", as_index=False)[["conversions", "nulls", "value"]].sum()
    pd.testing.assert_frame_equal(keyed.reset_index(drop=True), by_str, check_dtype=False)


def test_sparse_solver_agrees_with_hand_answers(monkeypatch):
    monkeypatch.setattr(A, "_DENSE_MAX_STATES", 0)
    assert credit(A.markov(TOY, n_boot=0)) == pytest.approx({"c1": 0.2, "c2": 0.4, "c3": 0.4})
    df = frame([("a > b", 1.0, 0.0), ("c > b", 0.0, 1.0)])
    assert credit(A.markov(df, order=2, n_boot=0), "removal_effect") == pytest.approx(
        {"a": 1.0, "b": 1.0, "c": 0.0})


def test_position_weights_are_checked():
    with pytest.raises(ValueError, match="preset"):
        A.heuristic(HEUR, "position", weights="w")
    with pytest.raises(ValueError, match="summing to 1"):
        A.heuristic(HEUR, "position", weights=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="unknown heuristic"):
        A.heuristic(HEUR, "middle")


def test_markov_share_interval_stays_between_0_and_1_on_tiny_data():
    """Share intervals come from each resample's own total, so they can never pass 100 %."""
    p = pd.DataFrame({"path": ["c1 > c2 > c3", "c1", "c2 > c3"], "conversions": [1.0, 0, 0], "nulls": [0.0, 1, 1]})
    t = A.markov(p, n_boot=200, seed=0).table
    assert (t["share_ci_low"] >= 0).all() and (t["share_ci_high"] <= 1).all()
    assert ((t["share_ci_low"] <= t["share"]) & (t["share"] <= t["share_ci_high"])).all()
    _, text = A.report_table(p, seed=0)
    assert all(float(x.replace(",", ".")) <= 100 for x in re.findall(r"(\d+,\d) %", text))
