"""Invoice records built from the rows of invoices_paid_by."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from portal.billing.records import Invoice
from portal.billing.rules import VatRule
from portal.paging import Kind, Order

ROW = {
    "id": 7,
    "number": "INV-2026-0000007",
    "kind": "credit_note",
    "issued_on": date(2026, 12, 3),
    "client": 42,
    "client_name": "Bäckerei Huber AG",
    "currency": "CHF",
    "net": Decimal("-0.10"),
    "vat": Decimal("-0.01"),
    "gross": Decimal("-0.11"),
    "vat_rule": "swiss_vat",
    "paid_at": None,
}


def test_an_invoice_row_becomes_a_typed_record_with_exact_amounts():
    invoice = Invoice.from_row(ROW)

    assert invoice.vat_rule is VatRule.SWISS
    assert invoice.client_id == 42 and invoice.client_name == "Bäckerei Huber AG"
    assert invoice.issued_on == date(2026, 12, 3) and invoice.paid_at is None
    assert (invoice.net, invoice.vat, invoice.gross) == (
        Decimal("-0.10"),
        Decimal("-0.01"),
        Decimal("-0.11"),
    )
    assert all(isinstance(amount, Decimal) for amount in (invoice.net, invoice.vat, invoice.gross))
    assert str(invoice.gross) == "-0.11"  # the database's scale, kept


def test_a_paid_invoice_keeps_its_payment_time():
    paid = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    assert Invoice.from_row({**ROW, "paid_at": paid}).paid_at == paid


def test_an_unknown_vat_rule_is_refused_not_carried():
    with pytest.raises(KeyError):
        Invoice.from_row({**ROW, "vat_rule": "no_vat"})


def test_an_invoice_record_is_immutable_and_slotted():
    invoice = Invoice.from_row(ROW)
    with pytest.raises(AttributeError):
        invoice.gross = Decimal("0")  # type: ignore[misc]
    assert not hasattr(invoice, "__dict__")


def test_a_keyset_token_reads_a_record_as_it_reads_its_row():
    order = Order(("i.issued_on", "i.id"), ("issued_on", "id"), (Kind.DAY, Kind.ID), True)
    assert order.token(Invoice.from_row(ROW)) == order.token(ROW)
