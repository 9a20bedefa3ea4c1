"""Shared fixtures: the shipped synthetic data and a warehouse built from it in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign_toolkit import synthetic, warehouse

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DATA = ROOT.parent / "shared" / "reference-data"


@pytest.fixture(scope="session")
def shipped():
    """The committed synthetic portfolio: (data, truth)."""
    return synthetic.read(ROOT / "data" / "synthetic")


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory):
    """A warehouse built from data/synthetic in a temporary folder (never the user's file)."""
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    return warehouse.build(path, ROOT / "data" / "synthetic")


def reference_file(name: str) -> Path:
    """Path of a file of ../shared/reference-data, or skip the test saying why."""
    path = REFERENCE_DATA / name
    if not path.exists():
        pytest.skip(f"reference data {path} is absent (it ships with the project's shared/ folder, "
                    "not with the package); this test needs it")
    return path
