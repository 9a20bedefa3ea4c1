"""KPIs are ratios of sums, checked against values computed by hand."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from campaign_toolkit import metrics

TABLE = pd.DataFrame({
    "channel": ["search", "search", "tv", "ctv"],
    "impressions": [1000, 3000, 0, 2000],
    "clicks": [40, 20, 0, 0],
    "video_starts": [0, 0, 0, 1000],
    "video_completions": [0, 0, 0, 900],
    "landing_sessions": [30, 10, 0, 0],
    "conversions": [4, 0, 0, 0],
    "spend": [50.0, 30.0, 10.0, 70.0],
})


def test_kpis_by_channel_are_ratios_of_sums_computed_by_hand():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zero denominator must not warn
        k = metrics.kpis(TABLE, by="channel").set_index("channel")
    s = k.loc["search"]
    assert s["impressions"] == 4000 and s["spend"] == 80.0
    assert s["cpm"] == pytest.approx(80.0 / 4000 * 1000)  # 20.0, not the mean of 50 and 10
    assert s["ctr"] == pytest.approx(60 / 4000)  # 0.015, not mean(0.04, 0.00667)
    assert s["cpc"] == pytest.approx(80 / 60)
    assert s["cost_per_landing_session"] == pytest.approx(2.0)
    assert s["cpa"] == pytest.approx(20.0)
    assert s["conversion_rate"] == pytest.approx(4 / 60)
    assert s["conversions_per_1000"] == pytest.approx(1.0)
    c = k.loc["ctv"]
    assert c["vcr"] == pytest.approx(0.9) and c["cpcv"] == pytest.approx(70 / 900)
    t = k.loc["tv"]
    for col in ("cpm", "ctr", "cpc", "vcr", "cpcv", "cpa"):
        assert math.isnan(t[col]), col  # 0/0 and x/0 are NaN, never inf
    assert not np.isinf(k.select_dtypes("number").to_numpy(dtype=float)).any()


def test_nonzero_over_zero_is_nan_not_inf():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k = metrics.kpis(TABLE[TABLE.channel == "ctv"], kpis=["cpc", "cpa"])
    assert math.isnan(k["cpc"].iloc[0]) and math.isnan(k["cpa"].iloc[0])  # spend 70 / 0 clicks


def test_whole_table_and_scalar_ratio():
    assert metrics.kpi_value(TABLE, "cpm") == pytest.approx(160.0 / 6000 * 1000)
    assert math.isnan(metrics.safe_ratio(1.0, 0.0))
    assert metrics.safe_ratio(3.0, 4.0, 100) == pytest.approx(75.0)


def test_unknown_kpi_lists_valid_ones():
    with pytest.raises(ValueError, match="Valid KPIs: .*cpm"):
        metrics.kpis(TABLE, kpis=["cpx"])


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="video_starts"):
        metrics.kpis(TABLE.drop(columns="video_starts"), kpis=["vcr"])


def test_missing_or_negative_counts_are_refused_not_skipped():
    bad = TABLE.copy()
    bad["impressions"] = bad["impressions"].astype("float64")
    bad.loc[1, "impressions"] = np.nan
    bad.loc[2, "spend"] = -1.0
    with pytest.raises(ValueError, match=r"impressions is missing.*rows \[1\].*spend is negative.*rows \[2\]"):
        metrics.kpis(bad, by="channel")


def test_safe_ratio_keeps_the_series_index_and_aligns_by_position():
    s = pd.Series([1.0, 2.0, 0.0], index=[7, 8, 9])
    out = metrics.safe_ratio(5.0, s)
    assert list(out.index) == [7, 8, 9]
    assert out.iloc[:2].tolist() == [5.0, 2.5] and math.isnan(out.iloc[2])
    assert metrics.safe_ratio(np.array([1.0, 2.0]), pd.Series([2.0, 4.0], index=[5, 6])).tolist() == [0.5, 0.5]
