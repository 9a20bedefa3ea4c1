"""Vocabularies, campaign-id safety and validation that lists every problem."""

import pandas as pd
import pytest

from campaign_toolkit import schema


@pytest.mark.parametrize("bad", ["../x", "a b", "", "a/b", ".hidden", "x" * 65, None, 12, "é-accent"])
def test_unsafe_campaign_ids_are_refused(bad):
    with pytest.raises(schema.InvalidCampaignId, match="safe as a file name"):
        schema.validate_campaign_id(bad)


@pytest.mark.parametrize("good", ["2627-MESS-008", "a", "A.b_c-1", "x" * 64])
def test_safe_campaign_ids_pass(good):
    assert schema.validate_campaign_id(good) == good


def test_vocabularies_have_french_and_english_labels():
    assert len(schema.REGIONS) == 17
    assert schema.label("region", "montreal") == "Montréal"
    assert schema.label("channel", "search", "fr") == "Recherche payante"
    assert schema.label("channel", "search", "en") == "Paid search"
    assert schema.label("objective", "awareness", "fr") == "Notoriété"
    assert set(schema.OBJECTIVE_KPIS) == set(schema.OBJECTIVES)
    with pytest.raises(ValueError, match="'fr'"):
        schema.label("channel", "search", "de")


def test_validation_lists_every_problem_at_once():
    bad = pd.DataFrame({
        "campaign_id": ["ok-1", "../x"],
        "name": ["A", "B"],
        "advertiser": ["X", "Y"],
        "objective": ["awareness", "fame"],
        "start_date": ["2026-01-10", "2026-02-01"],
        "end_date": ["2026-01-01", "2026-03-01"],
        "budget": [1000.0, -5.0],
        "language": ["fr", "fr"],
    })
    with pytest.raises(schema.ValidationError) as info:
        schema.validate("campaigns", bad)
    msg = str(info.value)
    for expected in ("'campaign_id'", "'objective'", "'budget'", "end_date is before start_date", "fame", "../x"):
        assert expected in msg, expected


def test_missing_column_is_reported():
    with pytest.raises(schema.ValidationError, match="missing columns: .*budget"):
        schema.validate("campaigns", pd.DataFrame({"campaign_id": ["a"]}))


def test_close_matches_for_unknown_campaign():
    err = schema.unknown_campaign_error("2627-MESS-08", ["2627-MESS-008", "2425-RQ-001"])
    assert "2627-MESS-008" in str(err) and "2425-RQ-001" not in str(err)
