"""Tender worlds for tests: partners with tender settings written straight into the
database, a tender form as a visitor fills it, and the mails the outbox kept."""

from __future__ import annotations

from datetime import date, timedelta

from portal.mail.tables import OutboxMail
from portal.tenders import queries
from portal.tenders.rules import DEADLINE_ZONE
from tests.helpers import insert_organisation, insert_person, link_in, queued_jobs


def in_days(days: int) -> str:
    from datetime import datetime

    return (datetime.now(DEADLINE_ZONE).date() + timedelta(days=days)).isoformat()


def tender_form(**changes) -> dict:
    """A visitor's valid tender; CHANGES override fields."""
    return {
        "title": "A new website for our bakery",
        "description": "We need a bilingual website with an online order form and opening hours.",
        "category": "website_creation",
        "budget_min": "2000",
        "budget_max": "5000",
        "currency": "CHF",
        "language": "fr",
        "country": "CH",
        "region": "CH-VD",
        "deadline": in_days(20),
        "author_name": "Vera Visitor",
        "author_email": "vera@bakery.example",
        "author_phone": "+41 21 555 12 34",
        "author_company": "Boulangerie Vera",
        **changes,
    }


async def partner(
    name: str,
    email: str,
    categories=("website_creation",),
    languages=(),
    regions=(),
    *,
    status: str = "active",
) -> int:
    """An organisation of the programme in STATUS whose legal representative is EMAIL, with
    these tender settings."""
    organisation_id = await insert_organisation(name, partner_status=status)
    account_id = await insert_person(email, organisation_id, "legal_representative")
    await queries.save_preferences(
        organisation_id, list(categories), list(languages), list(regions), account_id
    )
    return organisation_id


async def mails_to(recipient: str) -> list[dict]:
    return (
        await OutboxMail.select(OutboxMail.subject, OutboxMail.body)
        .where(OutboxMail.recipient == recipient)
        .order_by(OutboxMail.id)
    )


async def last_link(recipient: str, path: str) -> str:
    found = await mails_to(recipient)
    assert found, f"no mail to {recipient}"
    return link_in(found[-1]["body"], path)


def seen_version(author_page: str, quote_id: int | str) -> dict:
    """The accept form's hidden version of QUOTE_ID, as the author's page shows it."""
    row = author_page.split(f'id="quote-{quote_id}"')[1]
    return {"version": row.split('name="version" value="')[1].split('"')[0]}


async def queued_notifications() -> int:
    from portal.tenders.services import NOTIFY_RECIPIENTS

    return await queued_jobs([NOTIFY_RECIPIENTS])


__all__ = ["date", "in_days", "tender_form", "partner", "mails_to", "last_link"]
