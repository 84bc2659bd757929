"""The eligibility criteria, each ticked or not with its reason (docs/rules.md, The partner
programme)."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from portal.partners.rules import (
    COMMITMENTS,
    Verdict,
    WebsiteCheck,
    affiliate_criterion,
    commitments_criterion,
    outcome,
    registration_criterion,
    volume_criterion,
    volume_progress,
    website_criterion,
)


@pytest.mark.parametrize(
    ("country", "number", "verdict"),
    [
        ("CH", "CHE-116.281.710", Verdict.MET),
        ("CH", "CHE-116.281.711", Verdict.NOT_MET),  # wrong check digit
        ("CH", "CHE-123.456.789", Verdict.NOT_MET),
        ("FR", "732829320", Verdict.MET),  # SIREN
        ("FR", "73282932000074", Verdict.MET),  # SIRET
        ("FR", "732829321", Verdict.NOT_MET),
        ("DE", "Berlin (Charlottenburg) HRB 98814", Verdict.MET),  # court + number
        ("DE", "HRB 98814", Verdict.NOT_MET),  # without the register court
        ("BE", "0403.170.701", Verdict.MET),
        ("US", "12-3456789", Verdict.REVIEW),  # unknown scheme: a person decides
    ],
)
def test_registration_numbers_with_real_check_digits(country, number, verdict):
    assert registration_criterion(country, number, "").verdict is verdict


def test_an_eu_vat_number_is_an_equivalent():
    assert registration_criterion("DE", "", "DE136695976").verdict is Verdict.MET
    assert registration_criterion("DE", "", "DE136695977").verdict is Verdict.NOT_MET


@pytest.mark.parametrize(
    ("currency", "volume", "met"),
    [
        ("CHF", D("1999.99"), False),
        ("CHF", D("2000.00"), True),
        ("EUR", D("1799.99"), False),
        ("EUR", D("1800.00"), True),
    ],
)
def test_volume_thresholds(currency, volume, met):
    assert volume_criterion(currency, volume).met is met


def test_the_progress_shows_what_is_missing():
    criterion = volume_criterion("CHF", D("1500"))
    assert "500.00 more" in criterion.reason
    assert volume_progress("CHF", D("1500")) == 75
    assert volume_progress("CHF", D("5000")) == 100


def test_website_needs_a_recent_successful_check_of_that_address():
    now = datetime.now(UTC)
    assert not website_criterion("https://a.ch", None).met
    assert website_criterion("https://a.ch", WebsiteCheck("https://a.ch", True, "200", now)).met
    assert not website_criterion("https://a.ch", WebsiteCheck("https://b.ch", True, "200", now)).met


def test_all_four_commitments():
    assert not commitments_criterion(set(list(COMMITMENTS)[:3])).met
    assert commitments_criterion(set(COMMITMENTS)).met


def test_partner_and_affiliate_exclude_each_other():
    assert not affiliate_criterion(True).met


def test_outcome():
    met = volume_criterion("CHF", D("2000"))
    review = registration_criterion("US", "1", "")
    assert outcome([met, met]) is Verdict.MET
    assert outcome([met, review]) is Verdict.REVIEW
    assert outcome([review, volume_criterion("CHF", D("1"))]) is Verdict.NOT_MET
