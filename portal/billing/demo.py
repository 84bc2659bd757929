"""The demo's money that moves, for Alpine Web Studio (alice@…): a deposit awaiting payment
with its QR-bill, a bank statement imported (one deposit credited, one payment waiting for
staff), a payout awaiting approval, and a credit note that took cashback back. Written with
the same rules as the portal, after the demo's invoices and ledger are loaded."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from portal.billing import rules
from portal.settings import HostAccount

ALPINE = "Alpine Web Studio GmbH"


async def load_money(connection: asyncpg.Connection) -> None:
    alpine = await connection.fetchval("SELECT id FROM organisation WHERE name = $1", ALPINE)
    alice = await connection.fetchval("SELECT id FROM account WHERE email LIKE 'alice@%'")
    if alpine is None:
        return
    qr_iban = rules.is_qr_iban(HostAccount().qr_iban)
    await _request(connection, alpine, alice, Decimal("500.00"), qr_iban)  # awaiting payment
    paid = await _request(connection, alpine, alice, Decimal("1000.00"), qr_iban)
    await _statement(connection, alpine, paid)
    await _payout(connection, alpine, alice)
    await _credit_note(connection, alpine)


async def _request(connection, organisation, account, amount: Decimal, qr_iban: bool) -> dict:
    request_id = await connection.fetchval(
        "INSERT INTO payment_request (organisation, currency, amount, reference, status, "
        "created_by) VALUES ($1, 'CHF', $2, '', 'pending', $3) RETURNING id",
        organisation,
        amount,
        account,
    )
    reference = rules.payment_reference(request_id, qr_iban)
    await connection.execute(
        "UPDATE payment_request SET reference = $1 WHERE id = $2", reference, request_id
    )
    return {"id": request_id, "amount": amount, "reference": reference}


async def _statement(connection, organisation: int, paid: dict) -> None:
    """Yesterday's camt.054: Alpine's deposit, and a payment nobody asked for."""
    booked = datetime.now(UTC).date() - timedelta(days=1)
    statement = await connection.fetchval(
        "INSERT INTO bank_statement (file_name, message_id, digest, entries, credited, queued) "
        "VALUES ('camt054-demo.xml', 'DEMO-MSG-1', $1, 2, 1, 1) RETURNING id",
        "0" * 64,
    )
    await connection.execute(
        "INSERT INTO bank_entry (statement, bank_reference, amount, currency, reference, "
        "booked_on, debtor, status, reason, payment_request, note) VALUES "
        "($1, 'DEMO-ENTRY-1', $2, 'CHF', $3, $4, $5, 'credited', '', $6, ''), "
        "($1, 'DEMO-ENTRY-2', 75.00, 'CHF', '', $4, 'Unknown payer', 'queued', $7, NULL, '')",
        statement,
        paid["amount"],
        paid["reference"],
        booked,
        ALPINE,
        paid["id"],
        rules.Unmatched.UNKNOWN_REFERENCE.value,
    )
    await connection.execute(
        "UPDATE payment_request SET status = 'paid', paid_at = now() WHERE id = $1", paid["id"]
    )
    await connection.execute(
        "INSERT INTO ledger_entry (organisation, currency, kind, amount, reference, details) "
        "VALUES ($1, 'CHF', 'deposit', $2, $3, $4)",
        organisation,
        paid["amount"],
        f"Deposit {paid['reference']} paid by bank transfer",
        json.dumps({"bank_reference": "DEMO-ENTRY-1", "statement": "camt054-demo.xml"}),
    )


async def _payout(connection, organisation: int, account: int) -> None:
    amount = Decimal("200.00")
    payout = await connection.fetchval(
        "INSERT INTO payout (organisation, currency, amount, method, destination, holder, "
        "status, requested_by, note) VALUES ($1, 'CHF', $2, 'iban', "
        "'CH93 0076 2011 6238 5295 7', $3, 'requested', $4, '') RETURNING id",
        organisation,
        amount,
        ALPINE,
        account,
    )
    await connection.execute(
        "INSERT INTO ledger_entry (organisation, currency, kind, amount, reference, details, "
        "created_by) VALUES ($1, 'CHF', 'payout', $2, $3, $4, $5)",
        organisation,
        -amount,
        f"Payout {payout} to IBAN CH93 0076 2011 6238 5295 7",
        json.dumps({"payout": payout}),
        account,
    )


async def _credit_note(connection, partner: int) -> None:
    """The latest invoice on which Alpine earned cashback, credited whole: the client paid for
    a product it had cancelled."""
    invoice = await connection.fetchrow(
        "SELECT i.* FROM invoice i WHERE i.partner = $1 AND EXISTS (SELECT 1 FROM invoice_line "
        "l WHERE l.invoice = i.id AND l.cashback > 0) ORDER BY i.issued_on DESC, i.id DESC "
        "LIMIT 1",
        partner,
    )
    if invoice is None:
        return
    lines = await connection.fetch(
        "SELECT * FROM invoice_line WHERE invoice = $1 ORDER BY position", invoice["id"]
    )
    negated = rules.credit_note_lines(
        [
            rules.CreditedLine(
                line["id"], line["amount"], line["cashback"], line["discount"], line["public_price"]
            )
            for line in lines
        ]
    )
    totals = rules.invoice_totals([line.amount for line in negated], invoice["vat_rate"])
    today: date = datetime.now(UTC).date()
    reason = "The client had cancelled the product before its renewal."
    number = f"CN-DEMO-{invoice['id']:07d}"
    note_id = await connection.fetchval(
        "INSERT INTO invoice (number, payer, client, partner, currency, issued_on, vat_rule, "
        "vat_rate, net, vat, gross, paid_at, paid_with, kind, credits, reason) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), 'credit_note', 'credit_note', "
        "$12, $13) RETURNING id",
        number,
        invoice["payer"],
        invoice["client"],
        invoice["partner"],
        invoice["currency"],
        today,
        invoice["vat_rule"],
        invoice["vat_rate"],
        totals.net,
        totals.vat,
        totals.gross,
        invoice["id"],
        reason,
    )
    for position, (line, credit) in enumerate(zip(lines, negated, strict=True), start=1):
        await connection.execute(
            "INSERT INTO invoice_line (invoice, product, description, family, service_from, "
            "service_to, ordered_by, public_price, volume_rate, partner_rate, amount, cashback, "
            "discount, position, unit_price, quantity, products, tier, credits_line) VALUES "
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
            "$19)",
            note_id,
            line["product"],
            line["description"],
            line["family"],
            line["service_from"],
            line["service_to"],
            line["ordered_by"],
            credit.public_price,
            line["volume_rate"],
            line["partner_rate"],
            credit.amount,
            credit.cashback,
            credit.discount,
            position,
            line["unit_price"],
            line["quantity"],
            line["products"],
            line["tier"],
            line["id"],
        )
    clawback = sum((line["cashback"] for line in lines), rules.ZERO)
    await connection.execute(
        "INSERT INTO ledger_entry (organisation, currency, kind, amount, invoice, reference, "
        "details) VALUES ($1, $2, 'clawback', $3, $4, $5, $6)",
        partner,
        invoice["currency"],
        -clawback,
        invoice["id"],
        f"Cashback reversed by credit note {number}: {reason}",
        json.dumps({"credit_note": number, "reason": reason}),
    )
