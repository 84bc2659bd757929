"""Input of money pages: the invoices paid at once, an order, and the staff's VAT rates and
credit notes. Each parser reads a Form into typed values; the problems stay in the form's
errors (check it before using the result)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.billing import rules
from portal.billing.services import OrderRequest
from portal.forms import Form

PERIODS = ("monthly", "yearly")
NOTE_MAX = 300
RATE_MAX_LENGTH = 20


def is_row_id(raw: str) -> bool:
    """ASCII digits ("²".isdigit() is true), few enough for an integer column."""
    return raw.isascii() and raw.isdigit() and len(raw) < 10


def invoice_ids_from(form: Form) -> list[int]:
    """The ticked invoices (`invoice` repeats); a value that is no id is a problem."""
    chosen = form.values("invoice")
    ids = [int(value) for value in chosen if is_row_id(value)]
    if len(ids) != len(chosen):
        form.add("invoices", "Choose the invoices to pay from the list.")
    return ids


def order_from(form: Form, client_id: int) -> OrderRequest:
    """New products of a catalogue item for CLIENT_ID: one unless a quantity is given."""
    item_id = form.integer("item")
    period = form.choice("period", PERIODS, label="monthly or yearly")
    name = form.name("name", required=False)
    quantity = form.integer("quantity", required=False)
    warranty = form.checkbox("warranty")
    quantity = 1 if quantity is None else quantity
    if not 1 <= quantity <= rules.ORDER_QUANTITY_MAX:
        form.add("quantity", f"Order from 1 to {rules.ORDER_QUANTITY_MAX} products at once.")
    return OrderRequest(client_id, item_id, None, period, name, quantity, warranty)


@dataclass(frozen=True)
class NewVatRate:
    country: str
    rate: Decimal  # a fraction: 0.081 for 8.1 %
    effective_from: date | None
    note: str

    def as_rule(self) -> rules.VatRate:
        return rules.VatRate(self.country, self.rate, self.effective_from)


def vat_rate_from(form: Form) -> NewVatRate:
    """A country's rate in percent (at most two decimals) from a day on."""
    country = form.choice("country", sorted(rules.EU_COUNTRIES), label="an EU country")
    raw_rate = form.text("rate", required=True, max_length=RATE_MAX_LENGTH, label="The rate")
    percent = form.checked_amount("rate", raw_rate, decimals=2) if raw_rate else Decimal(0)
    day = form.day("effective_from")
    if day is None:
        form.add("effective_from", "Enter the first day of the rate as YYYY-MM-DD.")
    note = form.text("note", max_length=NOTE_MAX)
    return NewVatRate(country, (percent / 100).quantize(Decimal("0.0001")), day, note)


@dataclass(frozen=True)
class Credit:
    line_ids: tuple[int, ...]  # empty: the whole invoice
    reason: str


def credit_from(form: Form) -> Credit:
    """Some lines of an invoice (`line` repeats), or the whole of it, with the reason."""
    chosen = form.values("line")
    line_ids = tuple(int(value) for value in chosen if is_row_id(value))
    if len(line_ids) != len(chosen):
        form.add("lines", "Choose lines of this invoice.")
    whole = form.checkbox("whole")
    if not whole and not line_ids:
        form.add("lines", "Choose the lines to credit, or the whole invoice.")
    reason = form.text("reason", required=True, max_length=NOTE_MAX, label="The reason")
    return Credit(() if whole else line_ids, reason)
