"""RoutedTender records built from the rows of a partner's inbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portal.tenders.records import RoutedTender
from portal.tenders.rules import QuoteStatus, TenderStatus, location

DEADLINE = datetime(2026, 12, 10, 23, 0, tzinfo=UTC)
ROW = {
    "id": 3,
    "title": "A shop for our bakery",
    "description": "Twelve products, card payments.",
    "category": "web_development",
    "budget_min": Decimal("1000.00"),
    "budget_max": Decimal("2500.05"),
    "currency": "CHF",
    "language": "de",
    "country": "CH",
    "region": "LU",
    "deadline": DEADLINE,
    "status": "open",
    "read_at": None,
    "quote_status": None,
    "quote_price": None,
    "quote_currency": None,
    "quote_id": None,
    "created_at": DEADLINE - timedelta(days=10),
}
BEFORE = DEADLINE - timedelta(hours=1)


def test_an_inbox_row_becomes_a_typed_record_with_exact_budgets():
    tender = RoutedTender.from_row(ROW, BEFORE)

    assert tender.status_now is TenderStatus.OPEN and tender.quote_status is None
    assert (tender.budget_min, tender.budget_max) == (Decimal("1000.00"), Decimal("2500.05"))
    assert str(tender.budget_max) == "2500.05"
    assert tender.new


def test_an_open_tender_past_its_deadline_reads_as_expired():
    assert RoutedTender.from_row(ROW, DEADLINE).status_now is TenderStatus.EXPIRED
    decided = RoutedTender.from_row({**ROW, "status": "decided"}, DEADLINE)
    assert decided.status_now is TenderStatus.DECIDED


def test_a_quoted_or_opened_tender_is_no_longer_new():
    quoted = RoutedTender.from_row(
        {**ROW, "quote_status": "submitted", "quote_price": Decimal("1800.00")}, BEFORE
    )
    assert quoted.quote_status is QuoteStatus.SUBMITTED and not quoted.new
    assert quoted.quote_price == Decimal("1800.00")
    assert not RoutedTender.from_row({**ROW, "read_at": BEFORE}, BEFORE).new


def test_a_tender_without_canton_has_an_empty_region():
    tender = RoutedTender.from_row({**ROW, "region": None, "country": "FR"}, BEFORE)
    assert tender.region == ""
    assert location(tender.country, tender.region) == location("FR", None)


def test_a_routed_tender_is_immutable_and_slotted():
    tender = RoutedTender.from_row(ROW, BEFORE)
    with pytest.raises(AttributeError):
        tender.title = "x"  # type: ignore[misc]
    assert not hasattr(tender, "__dict__")
