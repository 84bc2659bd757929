"""Credit notes (docs/rules.md, Money: Credit notes): staff credit a whole invoice or some of
its lines; the cashback credited on them is taken back with a new ledger entry, and an invoice
paid from the prepaid balance is refunded there. Past entries never change."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.access import Action, StaffResource, require
from portal.audit.services import record
from portal.audit.services import who_of as _who
from portal.billing import queries, rules
from portal.billing.rules import CreditedLine, EntryKind
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.money import money
from portal.piccolo_conf import DB
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType


def _staff(current: Current) -> None:
    require(current.actor, Action.CREDIT_INVOICES, StaffResource())


async def invoice_for_staff(current: Current, invoice_id: int) -> dict:
    """An invoice with its lines, each saying whether it was credited already."""
    _staff(current)
    invoice = await queries.invoice_by_id(invoice_id)
    if invoice is None:
        raise NotFound()
    return {
        "invoice": invoice,
        "lines": await queries.lines_with_credits(invoice_id),
        "credit_notes": await queries.credit_notes_of(invoice_id),
    }


async def issue_credit_note(
    current: Current, invoice_id: int, line_ids: list[int], reason: str
) -> int:
    """The one place an invoice is credited: a credit note for LINE_IDS (all lines not yet
    credited when empty) with negative amounts and the VAT rule and rate of the original;
    returns its id."""
    _staff(current)
    if not reason:
        raise FormErrors({"reason": "Say why the invoice is credited."})
    async with DB.transaction():
        invoice = await queries.lock_invoice(invoice_id)
        if invoice is None:
            raise NotFound()
        if invoice["kind"] != "invoice":
            raise Conflict("A credit note cannot be credited.")
        open_lines = [
            line for line in await queries.lines_with_credits(invoice_id) if not line["credited"]
        ]
        chosen = [line for line in open_lines if not line_ids or line["id"] in line_ids]
        if not open_lines:
            raise Conflict("Every line of this invoice is credited already.")
        if not chosen or len(chosen) != len(set(line_ids or [line["id"] for line in chosen])):
            raise FormErrors({"lines": "Choose lines of this invoice that are not credited yet."})
        note_id, number, gross = await _write_credit_note(invoice, chosen, reason)
        await _reverse_money(current, invoice, chosen, number, gross, reason)
        await emit(
            EventType.INVOICE_CREDITED,
            invoice["payer"],
            {
                "invoice_id": invoice["id"],
                "credit_note_id": note_id,
                "number": number,
                "currency": invoice["currency"],
                "gross": gross,
                "reason": reason,
            },
        )
        for organisation_id in {invoice["payer"], invoice["partner"]} - {None}:
            await record(
                organisation_id,
                _who(current),
                "billing.credited",
                number,
                after={"invoice": invoice["number"], "reason": reason, "gross": str(gross)},
            )
    return note_id


async def _write_credit_note(invoice: dict, chosen: list[dict], reason: str):
    negated = rules.credit_note_lines(
        [
            CreditedLine(
                line["id"], line["amount"], line["cashback"], line["discount"], line["public_price"]
            )
            for line in chosen
        ]
    )
    totals = rules.invoice_totals([line.amount for line in negated], invoice["vat_rate"])
    today = datetime.now(UTC).date()
    number = await queries.next_invoice_number(today.year, prefix="CN")
    rows = []
    for position, (line, credit) in enumerate(zip(chosen, negated, strict=True), start=1):
        rows.append(
            {
                "product": line["product"],
                "products": line["products"],
                "description": line["description"],
                "family": line["family"],
                "service_from": line["service_from"],
                "service_to": line["service_to"],
                "ordered_by": line["ordered_by"],
                "unit_price": line["unit_price"],
                "quantity": line["quantity"],
                "public_price": credit.public_price,
                "volume_rate": line["volume_rate"],
                "partner_rate": line["partner_rate"],
                "tier": line["tier"],
                "amount": credit.amount,
                "cashback": credit.cashback,
                "discount": credit.discount,
                "position": position,
                "credits_line": line["id"],
            }
        )
    note_id = await queries.insert_invoice(
        {
            "number": number,
            "kind": "credit_note",
            "credits": invoice["id"],
            "reason": reason,
            "payer": invoice["payer"],
            "client": invoice["client"],
            "partner": invoice["partner"],
            "currency": invoice["currency"],
            "issued_on": today,
            "vat_rule": invoice["vat_rule"],
            "vat_rate": invoice["vat_rate"],
            "net": totals.net,
            "vat": totals.vat,
            "gross": totals.gross,
            "paid_at": datetime.now(UTC),
            "paid_with": "credit_note",
        },
        rows,
    )
    return note_id, number, totals.gross


async def _reverse_money(current, invoice, chosen, number: str, gross, reason: str) -> None:
    """Cashback credited on the credited lines is taken back from the partner; a payment from
    the balance comes back to the payer."""
    currency = invoice["currency"]
    clawback = sum((line["cashback"] for line in chosen), rules.ZERO)
    if clawback > 0 and invoice["partner"] is not None:
        await queries.insert_ledger_entry(
            {
                "organisation": invoice["partner"],
                "currency": currency,
                "kind": EntryKind.CLAWBACK,
                "amount": -clawback,
                "invoice": invoice["id"],
                "created_by": current.user_id,
                "reference": f"Cashback reversed by credit note {number}: {reason}",
                "details": {"credit_note": number, "reason": reason},
            }
        )
    if invoice["paid_with"] == "prepaid":
        await queries.insert_ledger_entry(
            {
                "organisation": invoice["payer"],
                "currency": currency,
                "kind": EntryKind.REFUND,
                "amount": -gross,
                "invoice": invoice["id"],
                "created_by": current.user_id,
                "reference": f"Refund by credit note {number} ({money(-gross, currency)})",
                "details": {"credit_note": number},
            }
        )
