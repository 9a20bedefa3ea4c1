"""Ingestion of platform exports: French formats, encodings, and no row ever lost."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign_toolkit import ingest

HEADER = ("Jour;Campagne;Ligne;Canal;Tranche d'âge;Genre;Région;Langue;Appareil;Impressions;Clics;"
          "Lectures vidéo;Lectures vidéo complètes;Sessions;Conversions;Montant dépensé (CAD)")
GOOD = "2026-05-04;2627-MESS-008;L01;search;25-34;female;montreal;fr;mobile;1 234;56;0;0;40;3;1 234,56 $"
BAD_ROWS = {
    "spend": "2026-05-04;2627-MESS-008;L01;search;25-34;male;montreal;fr;mobile;100;5;0;0;4;1;abc",
    "more clicks than impressions": "2026-05-04;2627-MESS-008;L01;search;35-44;male;laval;fr;mobile;10;50;0;0;4;1;3,00",
    "channel": "2026-05-04;2627-MESS-008;L02;myspace;35-44;female;laval;fr;mobile;10;1;0;0;1;0;3,00",
    "greater_than_or_equal_to(0)": "2026-05-04;2627-MESS-008;L01;search;45-54;male;laval;fr;mobile;10;1;0;0;1;0;-3,00",
}


def _write(tmp_path, lines, encoding="cp1252"):
    path = tmp_path / "export.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("text, expected", [
    ("1 234,56", 1234.56), ("1\u202f234,56 $", 1234.56), ("1,234.56", 1234.56), ("12,5 %", 0.125),
    ("(12,00)", -12.0), ("1,234,567", 1234567.0), ("7", 7.0), ("abc", None), ("", None),
])
def test_french_and_english_numbers(text, expected):
    assert ingest.parse_number(text) == (pytest.approx(expected) if expected is not None else None)


def test_export_with_bad_rows_is_loaded_and_quarantined_with_reasons(tmp_path):
    path = _write(tmp_path, [HEADER, GOOD, *BAD_ROWS.values()])
    res = ingest.read_export(path, "delivery")
    assert res.rows_in == 5 and len(res.loaded) == 1 and len(res.quarantine) == 4
    row = res.loaded.iloc[0]
    assert row["spend"] == pytest.approx(1234.56) and row["impressions"] == 1234 and row["clicks"] == 56
    assert row["date"] == pd.Timestamp("2026-05-04")
    for reason, (_key, original) in zip(res.quarantine["reason"], BAD_ROWS.items(), strict=True):
        assert _key in reason
    assert list(res.quarantine["source_row"]) == [3, 4, 5, 6]  # line numbers in the file
    out = ingest.write_quarantine(res, tmp_path / "q")
    assert pd.read_csv(out)["reason"].notna().all()


def test_missing_columns_are_named_with_the_fix(tmp_path):
    path = _write(tmp_path, ["Jour;Impressions", "2026-05-04;10"], "utf-8")
    with pytest.raises(ingest.IngestError, match="missing for table 'delivery'.*mapping="):
        ingest.read_export(path, "delivery")


def test_defaults_fill_a_missing_campaign_column(tmp_path):
    head = HEADER.replace("Campagne;", "")
    good = GOOD.replace("2627-MESS-008;", "")
    res = ingest.read_export(_write(tmp_path, [head, good], "utf-8-sig"), "delivery",
                             defaults={"campaign_id": "2627-MESS-008"})
    assert len(res.loaded) == 1 and res.loaded["campaign_id"].iloc[0] == "2627-MESS-008"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([GOOD, *BAD_ROWS.values()]), min_size=1, max_size=28))
def test_rows_in_equal_loaded_plus_quarantined(tmp_path, rows):
    # copies of a row differ by date so that natural keys stay unique (28 distinct days)
    rows = [r.replace("2026-05-04", f"2026-05-{i % 28 + 1:02d}") for i, r in enumerate(rows)]
    res = ingest.read_export(_write(tmp_path, [HEADER, *rows]), "delivery")
    assert res.rows_in == len(rows) == len(res.loaded) + len(res.quarantine)
    assert len(res.loaded) == sum(r.split(";")[3] == "search" and "abc" not in r and ";10;50;" not in r
                                  and ";-3,00" not in r for r in rows)


def test_cli_ingest_loads_good_rows_and_writes_the_quarantine(tmp_path, capsys):
    from campaign_toolkit import cli, synthetic
    from campaign_toolkit.warehouse import Warehouse

    data, _ = synthetic.generate(seed=5, config=synthetic.Config(fiscal_years=(2025,), campaigns_per_year=2,
                                                                 cells_per_line=2))
    wpath = tmp_path / "w.duckdb"
    with Warehouse.create(wpath) as wh:
        wh.load_dataset(data)
        before = len(wh.table("delivery"))
    path = _write(tmp_path, [HEADER, GOOD, *BAD_ROWS.values()])
    assert cli.main(["ingest", "delivery", str(path), "--warehouse", str(wpath),
                     "--quarantine-dir", str(tmp_path / "q")]) == 0
    out = capsys.readouterr().out
    assert "5 lignes lues, 1 chargées, 4 mises en quarantaine" in out
    with Warehouse.open(wpath) as wh:
        assert len(wh.table("delivery")) == before + 1
    assert len(pd.read_csv(tmp_path / "q" / "export.delivery.quarantine.csv")) == 4


def test_fractional_counts_and_ragged_rows_are_quarantined_not_fatal(tmp_path):
    frac = GOOD.replace(";56;", ";12,5;").replace("2026-05-04", "2026-05-05")
    ragged = GOOD.replace("2026-05-04", "2026-05-06") + ";extra"
    path = _write(tmp_path, [HEADER, GOOD, frac, ragged])
    res = ingest.read_export(path, "delivery")
    assert res.rows_in == 3 and len(res.loaded) == 1 and len(res.quarantine) == 2
    reasons = dict(zip(res.quarantine["source_row"], res.quarantine["reason"], strict=True))
    assert "clicks" in reasons[3] and "whole number" in reasons[3]
    assert "17 fields where the header has 16" in reasons[4]


def test_decimal_mark_can_be_fixed_where_the_file_is_ambiguous(tmp_path):
    amb = GOOD.replace("1 234,56 $", "1,234")  # English thousands, or French 1.234?
    path = _write(tmp_path, [HEADER, amb])
    assert ingest.read_export(path, "delivery").loaded["spend"].iloc[0] == pytest.approx(1.234)  # French first
    assert ingest.read_export(path, "delivery", decimal={"spend": "."}).loaded["spend"].iloc[0] == 1234.0
    with pytest.raises(ingest.IngestError, match="decimal must be"):
        ingest.read_export(path, "delivery", decimal=";")
