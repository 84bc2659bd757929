"""How the entries of billing read in the audit log (portal/audit/sentences.py): orders,
renewals and credit notes (in the client's log and its partner's), the prepaid account's
deposits, payments and payouts, the affiliate programme.
Each constant is one whole sentence."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from portal.audit.sentences import PORTAL, THEM, Reading
from portal.formatting import money

ORDERED = "{subject} was ordered for {amount}, paid by {payer} — by {actor}."
ORDERED_WITH_CASHBACK = (
    "{subject} was ordered for {amount}, paid by {payer}; the partner earned {cashback} of "
    "cashback — by {actor}."
)
ORDERED_WITH_DISCOUNT = (
    "{subject} was ordered for {amount}, paid by the partner at its reseller price "
    "({discount} off) — by {actor}."
)
ORDERED_BY_OTHER = (
    "{subject} was ordered for {amount}, paid by {payer} — by {actor} of {organisation}."
)
RENEWED = "{subject} was renewed for {amount}, paid by {payer} — by {actor}."
RENEWED_WITH_CASHBACK = (
    "{subject} was renewed for {amount}, paid by {payer}; the partner earned {cashback} of "
    "cashback — by {actor}."
)
RENEWED_WITH_DISCOUNT = (
    "{subject} was renewed for {amount}, paid by the partner at its reseller price "
    "({discount} off) — by {actor}."
)
RENEWED_BY_OTHER = (
    "{subject} was renewed for {amount}, paid by {payer} — by {actor} of {organisation}."
)
PAYERS = {"client": "the client", "partner": "the partner"}
AFFILIATE_JOINED = "Your organisation joined the affiliate programme — by {actor}."
CREDITED = "Credit note {subject} credits {gross} of invoice {invoice}: “{reason}” — by {actor}."
DEPOSIT_REQUESTED = (
    "A deposit of {subject} to the prepaid account was asked for, with the payment reference "
    "{reference} — by {actor}."
)
DEPOSIT_CREDITED = "A deposit of {subject} was credited to the prepaid account — by {actor}."
DEPOSIT_ARRIVED = "A deposit of {subject} arrived and was credited to the prepaid account."
PAYMENT = "Invoice {subject} was paid from the prepaid account ({amount}) — by {actor}."
PAYOUT_REQUESTED = (
    "A payout of {subject} to {destination} was asked for from the prepaid account — by {actor}."
)
PAYOUT_APPROVED = "The payout of {subject} was approved — by {actor}."
PAYOUT_REJECTED = "The payout of {subject} was refused: “{note}” — by {actor}."
PAYOUT_EXPORTED = "The payout of {subject} was sent to the bank — by {actor}."
NOBODY_PREFIX = "Partner Portal"  # a bank statement read by the portal itself
METHODS = {"iban": "the IBAN {destination}", "paypal": "the PayPal address {destination}"}


def _money(snapshot: Mapping, key: str) -> str:
    try:
        return money(Decimal(str(snapshot.get(key))), snapshot.get("currency") or "")
    except (InvalidOperation, ValueError):
        return str(snapshot.get(key) or "")


def _positive(snapshot: Mapping, key: str) -> bool:
    try:
        return Decimal(str(snapshot.get(key) or 0)) > 0
    except InvalidOperation:
        return False


def _order(plain: str, cashback: str, discount: str, by_other: str):
    def write(read: Reading) -> str:
        after = read.after
        values = {
            "amount": _money(after, "amount"),
            "payer": PAYERS.get(after.get("payer"), PAYERS["client"]),
            "cashback": _money(after, "cashback"),
            "discount": _money(after, "discount"),
        }
        if read.by == THEM:  # the other side of the link ordered
            return read.fill(by_other, **values)
        if _positive(after, "discount"):
            return read.fill(discount, **values)
        if _positive(after, "cashback"):
            return read.fill(cashback, **values)
        return read.fill(plain, **values)

    return write


def _payment(read: Reading) -> str:
    return read.fill(PAYMENT, amount=read.after.get("amount", ""))


def _payout_requested(read: Reading) -> str:
    method = METHODS.get(read.after.get("method"), "{destination}")
    return read.fill(
        PAYOUT_REQUESTED, destination=method.format(destination=read.after.get("destination", ""))
    )


def _credited(read: Reading) -> str:
    after = read.after
    return read.fill(
        CREDITED,
        gross=after.get("gross", ""),
        invoice=after.get("invoice", ""),
        reason=after.get("reason", ""),
    )


def _deposit_credited(read: Reading) -> str:
    """Staff credit a payment they matched by hand; a bank statement credits the others."""
    if read.by == PORTAL or read.actor.startswith(NOBODY_PREFIX):
        return read.fill(DEPOSIT_ARRIVED)
    return read.fill(DEPOSIT_CREDITED)


WRITERS = {
    "billing.ordered": _order(
        ORDERED, ORDERED_WITH_CASHBACK, ORDERED_WITH_DISCOUNT, ORDERED_BY_OTHER
    ),
    "billing.renewed": _order(
        RENEWED, RENEWED_WITH_CASHBACK, RENEWED_WITH_DISCOUNT, RENEWED_BY_OTHER
    ),
    "affiliate.joined": lambda read: read.fill(AFFILIATE_JOINED),
    "billing.credited": _credited,
    "prepaid.deposit_requested": lambda read: read.fill(
        DEPOSIT_REQUESTED, reference=read.after.get("reference", "")
    ),
    "prepaid.deposit_credited": _deposit_credited,
    "prepaid.payment": _payment,
    "prepaid.payout_requested": _payout_requested,
    "prepaid.payout_approved": lambda read: read.fill(PAYOUT_APPROVED),
    "prepaid.payout_rejected": lambda read: read.fill(
        PAYOUT_REJECTED, note=read.after.get("note", "")
    ),
    "prepaid.payout_exported": lambda read: read.fill(PAYOUT_EXPORTED),
}
