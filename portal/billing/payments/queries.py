"""Reads and writes of payment requests, bank statements and payouts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from portal.billing.tables import (
    BankEntry,
    BankStatement,
    PaymentRequest,
    Payout,
    PayoutExport,
)
from portal.database import storable_id

# --- payment requests (deposits) -----------------------------------------------------------------


async def insert_payment_request(
    organisation_id: int, currency: str, amount, created_by: int, submission: str = ""
) -> int | None:
    """The new request's id, or None when this form's SUBMISSION made one already."""
    rows = await PaymentRequest.raw(
        """INSERT INTO payment_request
               (organisation, currency, amount, created_by, submission, reference, status,
                created_at)
           VALUES ({}, {}, {}, {}, {}, '', 'pending', now())
           ON CONFLICT (organisation, submission) WHERE submission <> '' DO NOTHING
           RETURNING id""",
        organisation_id,
        currency,
        amount,
        created_by,
        submission,
    )
    return rows[0]["id"] if rows else None


async def payment_request_of_submission(organisation_id: int, submission: str) -> int | None:
    rows = await PaymentRequest.select(PaymentRequest.id).where(
        PaymentRequest.organisation == organisation_id, PaymentRequest.submission == submission
    )
    return rows[0]["id"] if rows else None


async def set_reference(request_id: int, reference: str) -> None:
    await PaymentRequest.update({PaymentRequest.reference: reference}).where(
        PaymentRequest.id == request_id
    )


async def payment_request_of(organisation_id: int, request_id: int) -> dict | None:
    if not storable_id(request_id):
        return None
    return (
        await PaymentRequest.select()
        .where(PaymentRequest.id == request_id, PaymentRequest.organisation == organisation_id)
        .first()
    )


async def payment_requests_of(organisation_id: int, limit: int = 10) -> list[dict]:
    return await PaymentRequest.raw(
        """SELECT id, currency, amount, reference, status, created_at, paid_at
           FROM payment_request WHERE organisation = {} ORDER BY id DESC LIMIT {}""",
        organisation_id,
        limit,
    )


async def lock_payment_requests(request_ids: list[int]) -> dict[int, dict]:
    ids = sorted({i for i in request_ids if storable_id(i)})
    if not ids:
        return {}
    rows = await PaymentRequest.raw(
        """SELECT r.*, o.name AS organisation_name FROM payment_request r
           JOIN organisation o ON o.id = r.organisation
           WHERE r.id = ANY({}::int[]) ORDER BY r.id FOR NO KEY UPDATE OF r""",
        ids,
    )
    return {row["id"]: row for row in rows}


async def mark_requests_paid(request_ids: list[int]) -> None:
    if request_ids:
        await PaymentRequest.raw(
            "UPDATE payment_request SET status = 'paid', paid_at = now() WHERE id = ANY({}::int[])",
            request_ids,
        )


# --- bank statements -----------------------------------------------------------------------------


async def insert_statement(file_name: str, message_id: str, digest: str, account_id) -> int:
    rows = await BankStatement.insert(
        BankStatement(
            file_name=file_name[:200],
            message_id=message_id[:100],
            digest=digest,
            imported_by=account_id,
        )
    ).returning(BankStatement.id)
    return rows[0]["id"]


async def known_bank_references(references: list[str]) -> set[str]:
    rows = await BankEntry.raw(
        "SELECT bank_reference FROM bank_entry WHERE bank_reference = ANY({}::text[])",
        references,
    )
    return {row["bank_reference"] for row in rows}


async def insert_bank_entries(statement_id: int, rows: list[dict]) -> list[dict]:
    """The entries not imported before (a concurrent import of the same entry waits, then
    skips it); returns those inserted."""
    if not rows:
        return []
    columns = ["bank_reference", "amount", "currency", "reference", "booked_on", "debtor"]
    columns += ["status", "reason", "payment_request"]
    return await BankEntry.raw(
        """INSERT INTO bank_entry (statement, bank_reference, amount, currency, reference,
                                   booked_on, debtor, status, reason, payment_request, note)
           SELECT {}, * , '' FROM unnest({}::text[], {}::numeric[], {}::text[], {}::text[],
                                        {}::date[], {}::text[], {}::text[], {}::text[],
                                        {}::int[])
           ON CONFLICT (bank_reference) DO NOTHING
           RETURNING id, bank_reference, status, payment_request, amount, currency""",
        statement_id,
        *[[row[column] for row in rows] for column in columns],
    )


async def set_statement_counts(statement_id: int, entries: int, credited: int, queued: int):
    await BankStatement.update(
        {
            BankStatement.entries: entries,
            BankStatement.credited: credited,
            BankStatement.queued: queued,
        }
    ).where(BankStatement.id == statement_id)


async def statements(limit: int = 20) -> list[dict]:
    return await BankStatement.raw(
        """SELECT s.*, a.full_name AS imported_by_name FROM bank_statement s
           LEFT JOIN account a ON a.id = s.imported_by ORDER BY s.id DESC LIMIT {}""",
        limit,
    )


async def bank_queue(limit: int = 100) -> list[dict]:
    """The credits waiting for staff, oldest first, with the request their reference names."""
    return await BankEntry.raw(
        """SELECT e.*, r.organisation AS request_organisation, r.amount AS requested,
                  o.name AS request_organisation_name
           FROM bank_entry e LEFT JOIN payment_request r ON r.id = e.payment_request
           LEFT JOIN organisation o ON o.id = r.organisation
           WHERE e.status = 'queued' ORDER BY e.id LIMIT {}""",
        limit,
    )


async def lock_bank_entry(entry_id: int) -> dict | None:
    if not storable_id(entry_id):
        return None
    rows = await BankEntry.raw("SELECT * FROM bank_entry WHERE id = {} FOR NO KEY UPDATE", entry_id)
    return rows[0] if rows else None


async def decide_bank_entry(
    entry_id: int, status: str, organisation_id: int | None, account_id: int, note: str
) -> None:
    await BankEntry.update(
        {
            BankEntry.status: status,
            BankEntry.organisation: organisation_id,
            BankEntry.decided_by: account_id,
            BankEntry.decided_at: datetime.now(UTC),
            BankEntry.note: note,
        }
    ).where(BankEntry.id == entry_id)


# --- payouts -------------------------------------------------------------------------------------


async def insert_payout(values: dict) -> int:
    rows = await Payout.insert(Payout(**values)).returning(Payout.id)
    return rows[0]["id"]


async def payout_of_submission(organisation_id: int, submission: str) -> int | None:
    if not submission:
        return None
    rows = await Payout.select(Payout.id).where(
        Payout.organisation == organisation_id, Payout.submission == submission
    )
    return rows[0]["id"] if rows else None


async def payouts_of(organisation_id: int, limit: int = 10) -> list[dict]:
    return await Payout.raw(
        """SELECT id, currency, amount, method, destination, status, requested_at, decided_at
           FROM payout WHERE organisation = {} ORDER BY id DESC LIMIT {}""",
        organisation_id,
        limit,
    )


PAYOUT_ROWS = """
SELECT p.*, o.name AS organisation_name, a.full_name AS requested_by_name,
       a.email AS requested_by_email, d.full_name AS decided_by_name
FROM payout p JOIN organisation o ON o.id = p.organisation
LEFT JOIN account a ON a.id = p.requested_by
LEFT JOIN account d ON d.id = p.decided_by
"""


async def payouts_with_status(status: str, limit: int = 200) -> list[dict]:
    return await Payout.raw(
        PAYOUT_ROWS + "WHERE p.status = {} ORDER BY p.id LIMIT {}", status, limit
    )


async def lock_payout(payout_id: int) -> dict | None:
    if not storable_id(payout_id):
        return None
    rows = await Payout.raw(PAYOUT_ROWS + "WHERE p.id = {} FOR NO KEY UPDATE OF p", payout_id)
    return rows[0] if rows else None


async def decide_payout(payout_id: int, status: str, account_id: int, note: str) -> None:
    await Payout.update(
        {
            Payout.status: status,
            Payout.decided_by: account_id,
            Payout.decided_at: datetime.now(UTC),
            Payout.note: note,
        }
    ).where(Payout.id == payout_id)


async def lock_approved(method: str, currency: str) -> list[dict]:
    return await Payout.raw(
        PAYOUT_ROWS
        + """WHERE p.status = 'approved' AND p.method = {} AND p.currency = {}
             ORDER BY p.id FOR NO KEY UPDATE OF p""",
        method,
        currency,
    )


async def insert_export(values: dict) -> int:
    rows = await PayoutExport.insert(PayoutExport(**values)).returning(PayoutExport.id)
    return rows[0]["id"]


async def mark_exported(payout_ids: list[int], export_id: int) -> None:
    await Payout.update({Payout.status: "exported", Payout.export: export_id}).where(
        Payout.id.is_in(payout_ids)
    )


async def export_of(export_id: int) -> dict | None:
    if not storable_id(export_id):
        return None
    return await PayoutExport.select().where(PayoutExport.id == export_id).first()


async def exports(limit: int = 20) -> list[dict]:
    return await PayoutExport.raw(
        """SELECT id, method, currency, file_name, payouts, total, created_at
           FROM payout_export ORDER BY id DESC LIMIT {}""",
        limit,
    )


def details(payload: dict) -> str:
    return json.dumps(payload)
