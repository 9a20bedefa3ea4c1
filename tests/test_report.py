"""Report formatting, parameter validation, escaping, isolation of failures, and the CLI."""

import re

import papermill as pm
import pytest

from campaign_toolkit import cli, synthetic
from campaign_toolkit.report import fmt, runner
from campaign_toolkit.warehouse import Warehouse

NBSP = "\u00a0"
EVIL = "<script>alert(1)</script>"


def test_french_and_english_number_formats():
    assert fmt.money(1234.56) == f"1{NBSP}234,56{NBSP}$"
    assert fmt.percent(0.125) == f"12,5{NBSP}%"
    assert fmt.number(1234567) == f"1{NBSP}234{NBSP}567"
    assert fmt.money(1234.56, "en") == "$1,234.56"
    assert fmt.percent(0.125, "en") == "12.5%"
    assert fmt.date("2026-12-03") == "3 décembre 2026"
    assert fmt.money(float("nan")) == "n.d." and fmt.money(None, "en") == "n/a"


def test_notebook_parameters_match_the_runner_spec():
    for name, spec in runner.PARAMETERS.items():
        found = pm.inspect_notebook(str(runner.notebook_path(name)))
        assert set(found) == set(spec), name
        for p in found.values():  # every default is a literal of the declared type
            assert isinstance(eval(p["default"]), spec[p["name"]].type)  # noqa: S307 - our own notebook


@pytest.mark.parametrize("params, message", [
    ({"campaign_id": "x", "colour": "red"}, "unknown parameter 'colour'"),
    ({"campaign_id": 12}, "must be str"),
    ({"campaign_id": "../x"}, "safe as a file name"),
    ({"campaign_id": "x", "lang": "de"}, "'fr' or 'en'"),
    ({"campaign_id": "x", "as_of": "yesterday"}, "ISO date"),
])
def test_bad_parameters_are_refused_before_execution(params, message):
    with pytest.raises(runner.ParameterError, match=message):
        runner.validate_parameters("campaign_report", params)


@pytest.fixture(scope="module")
def evil_warehouse(tmp_path_factory):
    """A small warehouse whose first campaign has a name and advertiser made of HTML."""
    data, _ = synthetic.generate(seed=11, config=synthetic.Config(fiscal_years=(2025,), campaigns_per_year=3,
                                                                  cells_per_line=3))
    data["campaigns"].loc[0, "name"] = EVIL
    data["campaigns"].loc[0, "advertiser"] = "<b>Ministère & Cie</b>"
    path = tmp_path_factory.mktemp("evil") / "w.duckdb"
    with Warehouse.create(path) as wh:
        wh.load_dataset(data, meta={"source": "test", "seed": 11})
    return path, data["campaigns"].loc[0, "campaign_id"]


def test_reports_escape_data_are_offline_and_one_failure_does_not_stop_others(evil_warehouse, tmp_path):
    path, cid = evil_warehouse
    out = tmp_path / "reports"
    outcomes = runner.run_many([cid, "zz-unknown"], langs=("fr", "en"), warehouse=str(path), out_dir=out,
                               workers=2, progress=False)
    by = {(o.campaign_id, o.lang): o for o in outcomes}
    assert by[(cid, "fr")].ok and by[(cid, "en")].ok, [o.error for o in outcomes]
    assert not by[("zz-unknown", "fr")].ok and "not in the warehouse" in by[("zz-unknown", "fr")].error
    fr = (out / cid / f"{cid}_fr.html").read_text(encoding="utf-8")
    en = (out / cid / f"{cid}_en.html").read_text(encoding="utf-8")
    for page in (fr, en):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert EVIL not in page and "<b>Ministère" not in page
        assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched when the page opens
        assert "def " not in page and "import " not in page  # no code cells
    assert '<html lang="fr">' in fr and "Sommaire" in fr and f"{NBSP}$" in fr
    assert '<html lang="en">' in en and "Executive summary" in en
    assert (out / cid / f"{cid}_fr.ipynb").exists() and (out / cid / f"{cid}_fr.json").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;" in index and EVIL not in index and f"{cid}/{cid}_fr.html" in index


def test_cli_refuses_unsafe_and_unknown_ids(warehouse_path, capsys):
    assert cli.main(["report", "--campaign", "../x", "--warehouse", str(warehouse_path)]) == 2
    assert "safe as a file name" in capsys.readouterr().err
    assert cli.main(["report", "--campaign", "2627-MESS-08", "--warehouse", str(warehouse_path)]) == 2
    assert "2627-MESS-008" in capsys.readouterr().err


def test_cli_missing_warehouse_says_how_to_rebuild(tmp_path, capsys):
    assert cli.main(["list", "--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "campaign-toolkit warehouse build" in capsys.readouterr().err


def test_portfolio_tables_agree_with_the_raw_tables(warehouse_path, shipped):
    from campaign_toolkit.report import portfolio as pf

    data, _ = shipped
    p = pf.load(warehouse=str(warehouse_path))
    ov = pf.overview_table(p)
    assert ov["campaigns"].sum() == len(data["campaigns"])
    assert ov["spend"].sum() == pytest.approx(data["delivery"]["spend"].sum())
    # fiscal years run April to March: a campaign starting 2025-03-31 belongs to 2024-2025
    assert list(pf.schema.fiscal_year(["2025-03-31", "2025-04-01"])) == ["2024-2025", "2025-2026"]
    lines = data["plan_lines"].assign(fy=data["plan_lines"]["campaign_id"].map(
        p.campaigns.set_index("campaign_id")["fiscal_year"]))
    sh = pf.outlet_shares_table(p).set_index("fiscal_year")
    for fy, grp in lines.groupby("fy"):
        expected = grp.loc[grp["community"], "planned_spend"].sum() / grp["planned_spend"].sum()
        assert sh.loc[fy, "community"] == pytest.approx(expected)


def test_plan_command_prints_a_plan_that_respects_the_constraints(warehouse_path, tmp_path, capsys):
    agency = tmp_path / "agence.csv"
    agency.write_text("canal;montant\nsocial_meta;150 000,00 $\nsearch;100 000,00 $\n", encoding="utf-8")
    code = cli.main(["plan", "--objective", "awareness", "--budget", "250000", "--exclude", "social_meta",
                     "--min-share", "community=0.04", "--compare", str(agency), "--warehouse", str(warehouse_path),
                     "--no-report"])
    out = capsys.readouterr().out
    assert code == 0, out
    meta_line = next(line for line in out.splitlines() if line.startswith("Réseaux sociaux (Meta)"))
    assert re.split(" {2,}", meta_line)[1] == "0\u00a0$"  # the excluded medium gets nothing
    assert "agence" in out
    from campaign_toolkit import planning
    from campaign_toolkit.warehouse import Warehouse

    with Warehouse.open(warehouse_path) as wh:
        data = wh.planning_inputs()
    plan, comparison = planning.plan_from_cli("awareness", 250000.0, ["social_meta"], {"community": 0.04}, {},
                                              str(agency), 0, "fr", data=data)
    t = plan.table.set_index("channel")
    assert t["amount"].sum() == pytest.approx(250000.0, rel=1e-6)
    assert t.loc["social_meta", "amount"] == pytest.approx(0.0, abs=1e-6)  # the model knows it; nothing bought
    flags = planning.channel_flags(data["plan_lines"])
    community = float((t["amount"] * flags.set_index("channel")["community"].reindex(t.index).fillna(0)).sum())
    assert community >= 0.04 * 250000.0 * (1 - 1e-6)
    assert len(comparison.table) == 2


def test_plan_parameters_are_checked(warehouse_path, capsys):
    assert cli.main(["plan", "--objective", "awareness", "--budget", "-5", "--no-report",
                     "--warehouse", str(warehouse_path)]) == 2
    assert "budget must be a positive amount" in capsys.readouterr().err
    assert cli.main(["plan", "--objective", "awareness", "--budget", "1000", "--min-share", "community",
                     "--no-report", "--warehouse", str(warehouse_path)]) == 2
    assert "NAME=SHARE" in capsys.readouterr().err


def test_media_plan_report_is_written(warehouse_path, tmp_path):
    res = runner.run_plan_report({"objective": "action", "budget": 100000.0, "warehouse": str(warehouse_path),
                                  "min_share": {"community": 0.04}}, out_dir=tmp_path)
    assert res.ok, res.error
    page = (tmp_path / "plans" / "plan_action_fr.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "$" in page


def test_withheld_values_print_as_not_available():
    import pandas as pd

    assert fmt.number(pd.NA) == "n.d." and fmt.percent(pd.NA, "en") == "n/a" and fmt.kpi(pd.NA, "money") == "n.d."


def test_dollar_signs_in_labels_do_not_break_charts():
    import matplotlib.pyplot as plt

    from campaign_toolkit.report.campaign import figure_html
    from campaign_toolkit.report.theme import apply_theme

    apply_theme()
    fig, ax = plt.subplots()
    ax.bar(["$x^{2$ > b", "a$b$c"], [1, 2])
    assert "<figure>" in figure_html(fig, "caption", "alt")  # renders as text instead of failing as math


def test_same_data_and_parameters_give_the_same_report(warehouse_path):
    """Reproducibility: every section (tables, sentences, charts) is identical on a second build."""
    from campaign_toolkit.report import campaign as rc

    def build():
        ctx = rc.load("2627-MESS-008", warehouse=str(warehouse_path))
        return [rc.section_header(ctx), rc.section_key_figures(ctx), rc.section_channel_kpis(ctx),
                rc.section_budget(ctx), rc.section_segments(ctx), rc.section_attribution(ctx)]

    first, second = build(), build()
    for a, b in zip(first, second, strict=True):
        assert a == b


def test_reports_run_on_a_dask_cluster(evil_warehouse, tmp_path):
    """A batch run given a Dask scheduler address runs there, with the same isolation of failures."""
    from dask.distributed import LocalCluster

    path, cid = evil_warehouse
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        outcomes = runner.run_many([cid, "zz-unknown"], warehouse=str(path), out_dir=tmp_path, progress=False,
                                   scheduler=cluster.scheduler_address)
    by = {o.campaign_id: o for o in outcomes}
    assert by[cid].ok, by[cid].error
    assert not by["zz-unknown"].ok and "not in the warehouse" in by["zz-unknown"].error
    assert (tmp_path / cid / f"{cid}_fr.html").exists()
