"""Tenders: their forms, authors, partners routed to, quotes."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.access import Actor, Role
from portal.core.current import Current, OrganisationSummary
from portal.mail.tables import OutboxMail
from portal.settings import Settings
from portal.tenders import queries, services
from portal.tenders.forms import QuoteInput, TenderInput
from portal.tenders.rules import DEADLINE_ZONE
from portal.tenders.tables import Tender
from tests.factories.jobs import queued_jobs
from tests.factories.organisations import insert_organisation, insert_person
from tests.factories.web import link_in, post_form


def in_days(days: int) -> str:

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


SETTINGS = Settings(secret_key="test", base_url="https://portal.test")


def current_of(organisation_id: int, account_id: int, email: str, status: str = "none") -> Current:
    return Current(
        session_id=0,
        user_id=account_id,
        email=email,
        full_name=email.split("@")[0].title(),
        totp_enabled=False,
        second_factor_pending=False,
        organisation=OrganisationSummary(organisation_id, email, "CHF", "CH", status),
        organisations=((organisation_id, email),),
        actor=Actor(
            account_id,
            organisation_id,
            Role.LEGAL_REPRESENTATIVE,
            True,
            in_programme=status != "none",
        ),
    )


async def client_current(name: str = "Client GmbH", email: str = "cleo@client.ch") -> Current:
    organisation_id = await insert_organisation(name)
    account_id = await insert_person(email, organisation_id, "legal_representative")
    return current_of(organisation_id, account_id, email)


async def partner_current(name: str, email: str, **preferences) -> Current:
    organisation_id = await partner(name, email, **preferences)
    from tests.factories.accounts import account_id

    return current_of(organisation_id, await account_id(email), email, "active")


def tender_input(days: int = 20, **changes) -> TenderInput:
    from decimal import Decimal

    values = {
        "title": "Move our mail to the host",
        "description": "Twelve mailboxes and a shared calendar move from our old provider.",
        "category": "email",
        "budget_min": Decimal("500"),
        "budget_max": Decimal("1500"),
        "currency": "CHF",
        "language": "de",
        "country": "CH",
        "region": "",
        "deadline": datetime.now(DEADLINE_ZONE).date() + timedelta(days=days),
        **changes,
    }
    return TenderInput(**values)


def quote_input(price: str = "900", **changes) -> QuoteInput:
    from decimal import Decimal

    return QuoteInput(
        **{
            "price": Decimal(price),
            "currency": "CHF",
            "timeline": "Two weeks",
            "message": "We move mailboxes every week.",
            "commitment": True,
            **changes,
        }
    )


async def posted_by_client(author: Current, **changes) -> int:
    posted = await services.post_as_client(SETTINGS, author, tender_input(**changes), "10.0.0.1")
    return posted.tender_id


QUOTE = {
    "price": "3800",
    "currency": "CHF",
    "timeline": "Four weeks",
    "message": "Our offer.",
    "commitment": "on",
}


async def published(client) -> tuple[int, str]:
    await post_form(client, "/tenders/new", tender_form())
    confirmed = await post_form(client, await last_link("vera@bakery.example", "/tenders/confirm/"))
    tender = await Tender.select(Tender.id).order_by(Tender.id, ascending=False).first()
    return tender["id"], confirmed.headers["location"]
