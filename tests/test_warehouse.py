"""Warehouse: building, idempotent upserts, transactions, and clear errors on bad files or ids."""

import pandas as pd
import pytest

from campaign_toolkit import schema, synthetic
from campaign_toolkit.warehouse import Warehouse, WarehouseError, build


def test_campaigns_and_bundle_match_the_shipped_data(warehouse_path, shipped):
    data, truth = shipped
    with Warehouse.open(warehouse_path) as wh:
        camps = wh.campaigns()
        assert len(camps) == len(data["campaigns"])
        cid = "2627-MESS-008"
        b = wh.campaign(cid)
        meta = wh.meta()
    assert b.info["objective"] == data["campaigns"].set_index("campaign_id").loc[cid, "objective"]
    expected = data["delivery"][data["delivery"]["campaign_id"] == cid]
    assert len(b.delivery) == len(expected)
    assert b.delivery["spend"].sum() == pytest.approx(expected["spend"].sum())
    assert b.delivery["impressions"].dtype == "Int64"
    assert meta["seed"] == truth["seed"] and len(meta["source_fingerprint"]) == 16


def test_unknown_campaign_lists_close_matches(warehouse_path):
    with Warehouse.open(warehouse_path) as wh, pytest.raises(schema.UnknownCampaign) as info:
        wh.campaign("2627-MESS-08")
    assert "2627-MESS-008" in str(info.value)


@pytest.mark.parametrize("bad", ["../x", "a b", ""])
def test_unsafe_id_refused_before_any_query(warehouse_path, bad):
    with Warehouse.open(warehouse_path) as wh, pytest.raises(schema.InvalidCampaignId):
        wh.campaign(bad)


def test_missing_file_names_file_and_rebuild_command(tmp_path):
    path = tmp_path / "nope.duckdb"
    with pytest.raises(WarehouseError, match=r"nope\.duckdb does not exist.*campaign-toolkit warehouse build"):
        Warehouse.open(path)


def test_corrupt_file_names_file_and_rebuild_command(tmp_path):
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WarehouseError, match=r"corrupt\.duckdb.*campaign-toolkit warehouse build"):
        Warehouse.open(path)


def test_loads_are_idempotent_upserts(tmp_path):
    data, _ = synthetic.generate(seed=3, config=synthetic.Config(fiscal_years=(2025,), campaigns_per_year=4,
                                                                 cells_per_line=3))
    wh = Warehouse.create(tmp_path / "w.duckdb")
    first = wh.load_dataset(data)
    snapshot = {t: wh.table(t) for t in ("campaigns", "delivery")}
    second = wh.load_dataset(data)  # same data again: nothing changes
    assert first == second
    for t, df in snapshot.items():
        pd.testing.assert_frame_equal(
            wh.table(t).sort_values(list(schema.NATURAL_KEYS[t])).reset_index(drop=True),
            df.sort_values(list(schema.NATURAL_KEYS[t])).reset_index(drop=True))
    # an update on a natural key replaces the row, it does not duplicate it
    changed = data["campaigns"].head(1).assign(budget=123.0)
    wh.upsert("campaigns", changed)
    out = wh.table("campaigns")
    assert len(out) == len(data["campaigns"])
    assert out.set_index("campaign_id").loc[changed["campaign_id"].iloc[0], "budget"] == 123.0
    wh.close()


def test_invalid_load_changes_nothing(tmp_path):
    data, _ = synthetic.generate(seed=3, config=synthetic.Config(fiscal_years=(2025,), campaigns_per_year=3,
                                                                 cells_per_line=2))
    wh = Warehouse.create(tmp_path / "w.duckdb")
    wh.load_dataset(data)
    before = wh.table("campaigns")
    bad = data["campaigns"].copy()
    bad.loc[0, "budget"] = -1.0
    with pytest.raises(schema.ValidationError, match="budget"):
        wh.upsert("campaigns", bad)
    pd.testing.assert_frame_equal(wh.table("campaigns"), before)
    wh.close()


def test_build_replaces_atomically(tmp_path, shipped):
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"garbage")
    from campaign_toolkit.warehouse import SYNTHETIC_DIR

    build(path, SYNTHETIC_DIR)  # a corrupt file is replaced by a good one
    with Warehouse.open(path) as wh:
        assert len(wh.campaign_ids()) == len(shipped[0]["campaigns"])
