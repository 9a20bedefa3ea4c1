"""The generator is deterministic, the shipped data equal its output, and the planted truths hold."""

import json

import numpy as np
import pandas as pd
import pytest

from campaign_toolkit import metrics, schema, synthetic

SMALL = synthetic.Config(fiscal_years=(2025,), campaigns_per_year=6, journeys_per_campaign=2000, cells_per_line=4)


def _assert_same(a, b):
    assert sorted(a) == sorted(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name].reset_index(drop=True), b[name].reset_index(drop=True),
                                      check_dtype=False, obj=name)


def test_same_seed_same_data_other_seed_other_data():
    d1, t1 = synthetic.generate(seed=7, config=SMALL)
    d2, t2 = synthetic.generate(seed=7, config=SMALL)
    d3, _ = synthetic.generate(seed=8, config=SMALL)
    _assert_same(d1, d2)
    assert json.dumps(t1, sort_keys=True, default=str) == json.dumps(t2, sort_keys=True, default=str)
    assert not d1["delivery"]["impressions"].equals(d3["delivery"]["impressions"])


def test_shipped_data_equal_generator_output(shipped):
    data, truth = shipped
    fresh, fresh_truth = synthetic.generate(seed=truth["seed"])
    _assert_same(fresh, data)
    assert json.loads(json.dumps(fresh_truth, default=str)) == truth


def test_every_table_is_valid_and_realistic(shipped):
    data, _ = shipped
    for name in schema.TABLES:
        if name in data:
            schema.validate(name, data[name])
    camps = data["campaigns"]
    per_year = camps.groupby(camps["campaign_id"].str[:4]).size()
    assert per_year.max() >= 35  # ~40 campaigns per complete fiscal year
    assert set(camps["objective"]) == set(schema.OBJECTIVES)
    lines = data["plan_lines"]
    assert lines["community"].any() and lines["web_giant"].any() and lines["quebec_owned"].any()
    k = metrics.kpis(data["delivery"], by="channel").set_index("channel")
    assert 3 < k.loc["programmatic_display", "cpm"] < 10  # plausible Canadian CPMs (CAD)
    assert 0.02 < k.loc["search", "ctr"] < 0.08


def test_planted_simpson_case_shows_in_raw_rates(shipped):
    """18-24 convert less on every channel (truth) yet look better overall (raw rates)."""
    data, truth = shipped
    s = truth["simpson"]
    assert s["true_rate_ratio_vs_rest"] < 1
    dl = data["delivery"]
    young = dl[dl["age_band"] == s["segment"]]
    rest = dl[dl["age_band"] != s["segment"]]
    raw_ratio = metrics.kpi_value(young, "conversions_per_1000") / metrics.kpi_value(rest, "conversions_per_1000")
    assert raw_ratio > 1.1
    # within the channel that drives the paradox, the planted ratio shows through
    within = [metrics.kpi_value(young[young.channel == "search"], "conversions_per_1000")
              / metrics.kpi_value(rest[rest.channel == "search"], "conversions_per_1000")]
    assert within[0] == pytest.approx(s["true_rate_ratio_vs_rest"], rel=0.15)


def test_lift_tests_carry_their_true_uplift(shipped):
    data, truth = shipped
    lt = data["lift_tests"]
    conv = lt[lt["kind"] == "conversion_lift"]
    observed = (conv["test_outcomes"].sum() / conv["test_size"].sum()) / (
        conv["control_outcomes"].sum() / conv["control_size"].sum()) - 1
    true = np.average([truth["lift_tests"][t]["relative_lift"] for t in conv["test_id"]],
                      weights=conv["test_size"].astype(float))
    assert observed == pytest.approx(true, abs=0.06)


def test_shipped_journeys_recover_each_campaigns_planted_removal_effects(shipped):
    """Exact Markov on the generator's journeys finds the planted chain's removal effects.

    Each campaign has 5 000 journeys, so estimates carry sampling error: we standardise
    each difference by its bootstrap standard error (95 % interval width / 3.92) and add
    the chain's known truncation probability (journeys cut at 20 touches count as nulls).
    With ~300 channel estimates, |z| < 4.5 everywhere has a false-alarm probability near
    0.2 %, and the share within 2 SE must be near the nominal 95 % (at least 88 %).
    """
    from campaign_toolkit import attribution

    data, truth = shipped
    zs = []
    for cid, grp in data["journeys"].groupby("campaign_id"):
        tr = truth["journeys"][cid]
        res = attribution.markov(grp, n_boot=100, seed=1).table.set_index("channel")
        for ch, true_re in tr["removal_effects"].items():
            est = res.loc[ch, "removal_effect"]
            se = (res.loc[ch, "removal_effect_ci_high"] - res.loc[ch, "removal_effect_ci_low"]) / 3.92
            gap = max(abs(est - true_re) - tr["truncation_probability"], 0.0)
            zs.append(gap / max(se, 1e-9))
    zs = np.array(zs)
    assert len(zs) > 150
    assert zs.max() < 4.5
    assert (zs < 2).mean() >= 0.88
