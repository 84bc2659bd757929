"""Reads and writes of the programme: an organisation's application details, the commitments
it accepted, its website checks, staff decisions, and the organisations staff look at."""

from __future__ import annotations

from datetime import datetime

from portal.core.enums import PARTNERS
from portal.database import CHANGE_LOCK
from portal.organisations.tables import Organisation
from portal.partners.rules import ReviewDecision
from portal.partners.rules import WebsiteCheck as CheckResult
from portal.partners.tables import CommitmentAcceptance, StaffDecision, WebsiteCheck

MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one (from a URL) names no row


PROGRAMME_COLUMNS = (
    Organisation.id,
    Organisation.name,
    Organisation.country,
    Organisation.currency,
    Organisation.registration_number,
    Organisation.vat_number,
    Organisation.website,
    Organisation.partner_status,
    Organisation.is_affiliate,
)


# Read on every keystroke of the live checklist: written out, the query costs no building.
ORGANISATION_SQL = f"""
SELECT {", ".join(column._meta.db_column_name for column in PROGRAMME_COLUMNS)}
FROM organisation WHERE id = {{}}
"""


async def organisation(organisation_id: int) -> dict | None:
    if abs(organisation_id) > MAX_ID:
        return None
    rows = await Organisation.raw(ORGANISATION_SQL, organisation_id)
    return rows[0] if rows else None


async def lock_organisation(organisation_id: int) -> dict | None:
    """The organisation, locked until the transaction ends: its status changes one at a time."""
    if abs(organisation_id) > MAX_ID:
        return None
    return (
        await Organisation.select(*PROGRAMME_COLUMNS)
        .where(Organisation.id == organisation_id)
        .lock_rows(CHANGE_LOCK)
        .first()
    )


async def save_details(
    organisation_id: int, registration_number: str, vat_number: str, website: str
) -> None:
    await Organisation.update(
        {
            Organisation.registration_number: registration_number,
            Organisation.vat_number: vat_number,
            Organisation.website: website,
        }
    ).where(Organisation.id == organisation_id)


async def set_status(organisation_id: int, status: str) -> None:
    await Organisation.update({Organisation.partner_status: status}).where(
        Organisation.id == organisation_id
    )


# --- commitments -------------------------------------------------------------------------------


async def accepted_commitments(organisation_id: int, terms_version: str) -> dict[str, dict]:
    """Commitment key → who accepted it and when, for this version of the terms."""
    rows = await CommitmentAcceptance.raw(
        """SELECT c.commitment, c.accepted_at, a.full_name AS accepted_by
           FROM commitment_acceptance c LEFT JOIN account a ON a.id = c.accepted_by
           WHERE c.organisation = {} AND c.terms_version = {}""",
        organisation_id,
        terms_version,
    )
    return {row["commitment"]: row for row in rows}


async def accept_commitment(
    organisation_id: int, commitment: str, terms_version: str, account_id: int, now: datetime
) -> bool:
    """Record the acceptance once per terms version (the unique index keeps the first);
    True when it is new."""
    rows = await CommitmentAcceptance.raw(
        """INSERT INTO commitment_acceptance
               (organisation, commitment, terms_version, accepted_by, accepted_at)
           VALUES ({}, {}, {}, {}, {})
           ON CONFLICT (organisation, commitment, terms_version) DO NOTHING
           RETURNING id""",
        organisation_id,
        commitment,
        terms_version,
        account_id,
        now,
    )
    return bool(rows)


# --- website checks ----------------------------------------------------------------------------


LATEST_CHECK_SQL = """
SELECT url, answered, detail, checked_at FROM website_check
WHERE organisation = {} AND url = {}
ORDER BY checked_at DESC LIMIT 1
"""


async def latest_website_check(organisation_id: int, url: str) -> CheckResult | None:
    rows = await WebsiteCheck.raw(LATEST_CHECK_SQL, organisation_id, url)
    if not rows:
        return None
    row = rows[0]
    return CheckResult(row["url"], row["answered"], row["detail"], row["checked_at"])


async def insert_website_check(organisation_id: int, result: CheckResult) -> None:
    await WebsiteCheck.insert(
        WebsiteCheck(
            organisation=organisation_id,
            url=result.url,
            answered=result.answered,
            detail=result.detail[:200],
            checked_at=result.checked_at,
        )
    )


# --- the registration the programme approved ----------------------------------------------------


async def approve_registration(
    organisation_id: int, registration_number: str, vat_number: str, now: datetime
) -> None:
    """Keep the numbers the programme approved (the directory's badge is awarded for them)."""
    await Organisation.raw(
        """INSERT INTO approved_registration
               (organisation, registration_number, vat_number, approved_at)
           VALUES ({}, {}, {}, {})
           ON CONFLICT (organisation) DO UPDATE SET
               registration_number = EXCLUDED.registration_number,
               vat_number = EXCLUDED.vat_number, approved_at = EXCLUDED.approved_at""",
        organisation_id,
        registration_number or "",
        vat_number or "",
        now,
    )


# --- staff decisions ---------------------------------------------------------------------------


async def insert_staff_decision(
    organisation_id: int, decision: str, reason: str, account_id: int | None, now: datetime
) -> None:
    await StaffDecision.insert(
        StaffDecision(
            organisation=organisation_id,
            decision=decision,
            reason=reason,
            decided_by=account_id,
            decided_at=now,
        )
    )


async def was_rejected(organisation_id: int) -> bool:
    """Whether staff's latest decision about the organisation was to reject it."""
    row = (
        await StaffDecision.select(StaffDecision.decision)
        .where(StaffDecision.organisation == organisation_id)
        .order_by(StaffDecision.decided_at, ascending=False)
        .order_by(StaffDecision.id, ascending=False)
        .first()
    )
    return row is not None and row["decision"] == ReviewDecision.REJECTED


async def staff_decisions(organisation_id: int, limit: int = 20) -> list[dict]:
    return await StaffDecision.raw(
        """SELECT d.decision, d.reason, d.decided_at,
                  coalesce(a.full_name, 'Yearly review') AS decided_by
           FROM staff_decision d LEFT JOIN account a ON a.id = d.decided_by
           WHERE d.organisation = {} ORDER BY d.decided_at DESC, d.id DESC LIMIT {}""",
        organisation_id,
        limit,
    )


async def organisations_with_status(status: str, limit: int = 100) -> list[dict]:
    """For staff: the organisations in STATUS, longest waiting first."""
    return (
        await Organisation.select(*PROGRAMME_COLUMNS)
        .where(Organisation.partner_status == status)
        .order_by(Organisation.id)
        .limit(limit)
    )


async def partners_to_review() -> list[dict]:
    """Every partner the yearly review looks at: active and flagged ones."""
    return (
        await Organisation.select(
            Organisation.id, Organisation.name, Organisation.currency, Organisation.partner_status
        )
        .where(Organisation.partner_status.is_in(sorted(PARTNERS)))
        .order_by(Organisation.id)
    )


async def legal_representative_emails(organisation_id: int) -> list[str]:
    rows = await Organisation.raw(
        """SELECT a.email FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = {} AND m.role = 'legal_representative' ORDER BY a.email""",
        organisation_id,
    )
    return [row["email"] for row in rows]


async def make_affiliate(organisation_id: int) -> None:
    await Organisation.update({Organisation.is_affiliate: True}).where(
        Organisation.id == organisation_id
    )


async def is_affiliate(organisation_id: int) -> bool:
    row = await (
        Organisation.select(Organisation.is_affiliate)
        .where(Organisation.id == organisation_id)
        .first()
    )
    return bool(row and row["is_affiliate"])
