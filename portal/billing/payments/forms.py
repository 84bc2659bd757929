"""Input of the prepaid account (deposits, payouts) and of the staff's payments (bank
statements, unmatched payments, payout exports). Each parser reads a Form into typed values;
the problems stay in the form's errors (check it before using the result)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from litestar.datastructures import UploadFile

from portal.billing import rules
from portal.billing.payments.services import PayoutRequest
from portal.forms import Form

METHODS = {"iban": "Bank account (IBAN)", "paypal": "PayPal"}
SUBMISSION_MAX = 40  # a form's key: the same form sent twice asks once
NOTE_MAX = 300


@dataclass(frozen=True)
class Deposit:
    amount: Decimal
    currency: str
    submission: str


def deposit_from(form: Form) -> Deposit:
    """Whether the amount is within the limits is the service's business."""
    return Deposit(
        amount=form.amount("amount"),
        currency=form.choice("currency", rules.CURRENCIES, label="CHF or EUR"),
        submission=form.text("submission", max_length=SUBMISSION_MAX),
    )


@dataclass(frozen=True)
class Payout:
    request: PayoutRequest
    password: str
    code: str  # the second factor's, when the person has it on
    submission: str


def payout_from(form: Form) -> Payout:
    request = PayoutRequest(
        amount=form.amount("payout_amount"),
        currency=form.choice("payout_currency", rules.CURRENCIES, label="CHF or EUR"),
        method=form.choice("method", METHODS, label="IBAN or PayPal"),
        destination=form.text(
            "destination", required=True, max_length=100, label="The destination"
        ),
        holder=form.name("holder", required=False, max_length=140),
    )
    return Payout(
        request,
        password=form.password("password"),
        code=form.text("code", max_length=20),
        submission=form.text("submission", max_length=SUBMISSION_MAX),
    )


def statement_from(form: Form) -> UploadFile | None:
    """The uploaded bank statement; None, with a field error, when no file came."""
    upload = form.value("file")
    if isinstance(upload, UploadFile):
        return upload
    form.add("file", "Choose a camt.053 or camt.054 file.")
    return None


@dataclass(frozen=True)
class Assignment:
    organisation_id: int | None
    note: str


def assignment_from(form: Form) -> Assignment:
    """The organisation an unmatched payment is credited to."""
    return Assignment(form.integer("organisation"), note_from(form))


def note_from(form: Form) -> str:
    """The staff's note that goes with a decision into the audit log."""
    return form.text("note", max_length=NOTE_MAX)


@dataclass(frozen=True)
class PayoutExport:
    method: str
    currency: str


def payout_export_from(form: Form) -> PayoutExport:
    return PayoutExport(
        method=form.choice("method", METHODS, label="a bank or PayPal export"),
        currency=form.choice("currency", rules.CURRENCIES, label="CHF or EUR"),
    )
