"""Tests of campaign_toolkit.planning: optimizer vs brute force, feasibility, comparison, plan files.

Known answers: the optimizer's outcome is compared with an exhaustive search over a
fine grid (3 channels: steps of 1/400 of the budget; 4 channels: steps of 1/100) on
given S-shaped Hill curves, with and without each kind of constraint.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from campaign_toolkit import ingest, planning
from campaign_toolkit.budget import MediaMix, _saturate

WEEKS = 8


def _model(n=3):
    curves = pd.DataFrame({
        "channel": ["search", "social_meta", "radio", "print"][:n],
        "half_saturation": [4_000.0, 9_000.0, 6_000.0, 3_000.0][:n],
        "shape": [1.0, 2.2, 1.6, 2.5][:n],
        "beta": [500.0, 1_400.0, 900.0, 400.0][:n],
    })
    return MediaMix.from_curves(curves, objective="awareness")


FLAGS = pd.DataFrame({"channel": ["search", "social_meta", "radio", "print"],
                      "community": [0.0, 0.0, 0.3, 0.6], "web_giant": [1.0, 1.0, 0.0, 0.0],
                      "language_fr": [0.7, 0.8, 1.0, 0.9], "language_en": [0.3, 0.2, 0.0, 0.1]})


def _grid(n, steps):
    pts = [c for c in itertools.product(range(steps + 1), repeat=n - 1) if sum(c) <= steps]
    g = np.array([list(c) + [steps - sum(c)] for c in pts], float) / steps
    return g


def _brute(model, budget, ok, steps):
    n = len(model.channels)
    x = _grid(n, steps) * budget
    p = model._point
    val = (WEEKS * p[:, 3] * _saturate(x / WEEKS, p[:, 1], p[:, 2], model.saturation)).sum(axis=1)
    mask = ok(x)
    assert mask.any()
    return val[mask].max()


B = 100_000.0
CASES = {
    "none": ({}, lambda x: np.ones(len(x), bool)),
    "exclude": ({"exclude": ["social_meta"]}, lambda x: x[:, 1] == 0),
    "fixed": ({"fixed": {"radio": 20_000}}, lambda x: np.isclose(x[:, 2], 20_000)),
    "min_abs": ({"min_spend": {"search": 40_000}}, lambda x: x[:, 0] >= 40_000 - 1e-6),
    "max_share": ({"max_share": {"social_meta": 0.3}}, lambda x: x[:, 1] <= 0.3 * B + 1e-6),
    "group_min": ({"min_share": {"community": 0.12}, "flags": FLAGS},
                  lambda x: x @ FLAGS["community"].to_numpy()[:x.shape[1]] >= 0.12 * B - 1e-6),
    "group_max": ({"max_share": {"web_giant": 0.4}, "flags": FLAGS},
                  lambda x: x @ FLAGS["web_giant"].to_numpy()[:x.shape[1]] <= 0.4 * B + 1e-6),
    "language": ({"min_share": {"en": 0.2}, "flags": FLAGS},
                 lambda x: x @ FLAGS["language_en"].to_numpy()[:x.shape[1]] >= 0.2 * B - 1e-6),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("n,steps", [(3, 400), (4, 100)])
def test_optimizer_matches_brute_force(case, n, steps):
    model = _model(n)
    spec, ok = CASES[case]
    res = planning.optimize(model, B, "awareness", spec, weeks=WEEKS)
    brute = _brute(model, B, ok, steps)
    got = res.total["outcome"]
    assert got >= brute * (1 - 0.005), (got, brute)
    x = res.table["amount"].to_numpy()[None, :]
    assert ok(np.round(x, 3))[0]  # the plan respects the constraint
    assert np.isclose(x.sum(), B)
    # the reported outcome is the model's outcome of the plan, not a figure of the solver
    assert np.isclose(got, model.response(x[0], WEEKS).sum(), rtol=1e-9)


def test_binding_constraint_cost_is_outcome_lost():
    model = _model(3)
    un = planning.optimize(model, B, "awareness", {}, weeks=WEEKS)
    res = planning.optimize(model, B, "awareness", {"exclude": ["social_meta"]}, weeks=WEEKS)
    assert un.table.set_index("channel").loc["social_meta", "amount"] > 0  # exclusion does bind
    assert list(res.binding["constraint"]) == ["exclude social_meta"]
    assert np.isclose(res.binding["cost"].iloc[0], un.total["outcome"] - res.total["outcome"], rtol=1e-4)
    assert np.isclose(res.unconstrained_total["outcome"], un.total["outcome"], rtol=1e-6)
    assert "social" in res.summary("en").lower() and "Réseaux sociaux" in res.summary("fr")


def test_infeasible_minimum_share_above_budget():
    model = _model(3)
    with pytest.raises(planning.InfeasiblePlan) as e:
        planning.optimize(model, B, None, {"fixed": {"search": 80_000}, "min_share": {"radio": 0.3}})
    assert set(e.value.conflicts) == {"total budget = $100,000", "fixed search = $80,000", "min share radio >= 30.0%"}
    assert "Recherche payante" in e.value.message_fr


def test_infeasible_when_every_channel_excluded():
    model = _model(3)
    with pytest.raises(planning.InfeasiblePlan) as e:
        planning.optimize(model, B, None, {"exclude": ["search", "social_meta", "radio"]})
    assert {"exclude search", "exclude social_meta", "exclude radio"} <= set(e.value.conflicts)


def test_infeasible_group_minimums_over_100_percent():
    model = _model(4)
    with pytest.raises(planning.InfeasiblePlan) as e:
        planning.optimize(model, B, None, {"min_share": {"web_giant": 0.7, "community": 0.4}, "flags": FLAGS})
    names = " ".join(e.value.conflicts)
    assert "web_giant" in names and "community" in names


def test_bad_constraint_inputs_are_explained():
    model = _model(3)
    with pytest.raises(KeyError, match="Unknown constraint keys"):
        planning.optimize(model, B, None, {"minimum": {"search": 1}})
    with pytest.raises(KeyError, match="flag group"):
        planning.optimize(model, B, None, {"min_share": {"comunity": 0.04}})
    with pytest.raises(KeyError, match="flags="):
        planning.optimize(model, B, None, {"min_share": {"community": 0.04}})
    with pytest.raises(ValueError, match="between 0 and 1"):
        planning.optimize(model, B, None, {"min_share": {"search": 4}})
    with pytest.raises(ValueError, match="positive"):
        planning.optimize(model, -5, None, {})
    with pytest.raises(ValueError, match="fitted for objective"):
        planning.optimize(model, B, "action", {})


def test_exclude_outlet_with_outlet_level_flags():
    model = _model(3)
    outlets = pd.DataFrame({"channel": ["search", "social_meta", "radio", "radio"],
                            "outlet": ["google", "meta", "radio_a", "cfxx_communautaire"],
                            "planned_spend": [1, 1, 1, 1], "community": [False, False, False, True],
                            "web_giant": [True, True, False, False]})
    # excluding the only community outlet makes a community minimum impossible
    with pytest.raises(planning.InfeasiblePlan) as e:
        planning.optimize(model, B, None, {"exclude": ["cfxx_communautaire"], "min_share": {"community": 0.04},
                                           "flags": outlets})
    assert any("community" in c for c in e.value.conflicts)
    # excluding meta's only outlet excludes the channel
    res = planning.optimize(model, B, None, {"exclude": ["meta"], "flags": outlets})
    assert res.table.set_index("channel").loc["social_meta", "amount"] == pytest.approx(0.0, abs=1e-6)


def test_compare_scores_saturation_and_violations():
    model = _model(3)
    K, s = 4_000.0, 1.0  # search: 90 % of the maximum at K * 9^(1/s) per week
    sat_budget = WEEKS * K * 9.0
    agency = pd.DataFrame({"channel": ["search", "radio"], "spend": [sat_budget + 10_000, 20_000]})
    best = planning.optimize(model, float(agency["spend"].sum()), None, {}, weeks=WEEKS)
    comp = planning.compare(model, {"ours": best, "agency": agency}, constraints={"min_spend": {"radio": 30_000}},
                            weeks=WEEKS)
    t = comp.table.set_index("plan")
    assert t.loc["agency", "past_saturation"] == pytest.approx(10_000, rel=1e-6)
    assert "minimum radio" in t.loc["agency", "violations"]
    exp = model.response(np.array([sat_budget + 10_000, 0, 20_000]), WEEKS).sum()
    assert t.loc["agency", "outcome"] == pytest.approx(exp)
    assert t.loc["agency", "cost_per_outcome"] == pytest.approx(agency["spend"].sum() / exp)
    assert t.loc["ours", "outcome"] > t.loc["agency", "outcome"]
    assert "ours" in t.loc["agency", "verdict_en"] and "saturation" in t.loc["agency", "verdict_fr"]


def test_read_plan_csv_french_formats(tmp_path):
    p = tmp_path / "agence.csv"
    p.write_text("Canal;Montant\nRecherche payante;12 500,50 $\nradio;7500\nRecherche payante;1000\n",
                 encoding="utf-8")
    df = ingest.read_plan(p)
    assert list(df["channel"]) == ["search", "radio", "search"]
    assert df["spend"].tolist() == [12500.5, 7500.0, 1000.0]
    bad = tmp_path / "bad.csv"
    bad.write_text("channel,spend\nsocial_mta,100\n", encoding="utf-8")
    with pytest.raises(ValueError, match="social_meta"):
        ingest.read_plan(bad)
    with pytest.raises(FileNotFoundError):
        ingest.read_plan(tmp_path / "missing.csv")


def test_read_plan_excel(tmp_path):
    """An agency's Excel proposal (openpyxl is a dependency) reads like its CSV twin."""
    x = tmp_path / "agence.xlsx"
    pd.DataFrame({"Canal": ["Télévision", "search"], "Montant": ["50 000,00 $", 25000.5]}).to_excel(x, index=False)
    df = ingest.read_plan(x)
    assert list(df["channel"]) == ["tv", "search"] and df["spend"].tolist() == [50000.0, 25000.5]


def test_plan_report_and_cli_on_simulated_series(tmp_path):
    from campaign_toolkit.synthetic.media_mix import simulate_media_mix

    # 4 channels x 104 weeks, 10 bootstrap resamples: enough to exercise the whole path
    df, _ = simulate_media_mix(4, 104, seed=3)
    agency = tmp_path / "a.csv"
    agency.write_text("channel,spend\nsearch,100000\nsocial_meta,100000\n", encoding="utf-8")
    flags = pd.DataFrame({"channel": ["search", "social_meta", "online_video", "programmatic_display"],
                          "community": [0.0, 0.0, 0.0, 0.2]})
    rep = planning.plan_report("awareness", 200_000.0, exclude=["online_video"], min_share={"community": 0.02},
                               compare_path=str(agency), data=df, flags=flags, n_boot=10)
    assert rep.plan.table.set_index("channel").loc["online_video", "amount"] == pytest.approx(0, abs=1e-6)
    assert rep.comparison is not None and len(rep.comparison.table) == 2
    txt = planning.render_text(rep.plan, rep.comparison)
    assert "Recherche payante" in txt and "agence" in txt
    assert rep.plan_table().iloc[0, 1].endswith("\u00a0$")  # fr-CA money
    community = rep.plan.table.set_index("channel")["amount"].reindex(flags["channel"]) @ flags["community"].to_numpy()
    assert community >= 0.02 * 200_000 - 1e-3


def test_plan_from_cli_defaults_on_shipped_synthetic_series():
    # default data: simulate_media_mix() (8 channels x 156 weeks), 50 bootstrap resamples
    plan, comp = planning.plan_from_cli("awareness", 250_000.0, ["social_meta"], {"community": 0.04}, {}, "", 0)
    t = plan.table.set_index("channel")
    assert t.loc["social_meta", "amount"] == pytest.approx(0, abs=1e-6)
    flags = planning.DEFAULT_CHANNEL_FLAGS.set_index("channel").reindex(t.index)
    assert t["amount"] @ flags["community"] >= 0.04 * 250_000 - 1e-3
    assert comp is None
    assert "250\u00a0000" in planning.render_text(plan)


def test_constraint_broken_by_unconstrained_optimum_is_costed():
    model = _model(4)
    spec = {"min_share": {"community": 0.12}, "flags": FLAGS}
    res = planning.optimize(model, B, None, spec, weeks=WEEKS)
    un = res.table["unconstrained_amount"].to_numpy() @ FLAGS["community"].to_numpy()
    assert un < 0.12 * B  # the unconstrained optimum breaks the community minimum
    row = res.binding.set_index("constraint").loc["min share community >= 12.0%"]
    assert row["cost"] == pytest.approx(res.unconstrained_total["outcome"] - res.total["outcome"], rel=1e-4)
    assert row["cost"] > 0


@pytest.mark.parametrize("plan", [{"search": -5000.0, "social_meta": 10000.0}, {"search": float("nan")},
                                  pd.DataFrame({"channel": ["search", "tv"], "spend": [1000.0, float("nan")]})])
def test_compare_refuses_negative_or_missing_amounts(plan):
    with pytest.raises(ValueError, match="missing, negative or infinite"):
        planning._plan_amounts(plan)


@pytest.mark.parametrize("spec, message", [({"fixed": {"search": float("nan")}}, "fixed"),
                                           ({"min_share": {"community": 1.5}}, "between 0 and 1"),
                                           ({"max_spend": {"tv": -1}}, "max_spend")])
def test_invalid_constraints_are_refused(spec, message):
    with pytest.raises(ValueError, match=message):
        planning.Constraints.from_dict(spec)


def test_a_single_excluded_medium_is_one_item():
    assert planning.Constraints.from_dict({"exclude": "tv"}).exclude == ["tv"]
