"""Tenders written through the services, for database tests."""

from __future__ import annotations

from datetime import timedelta

from portal.access import Actor, Role
from portal.core.current import Current, OrganisationSummary
from portal.settings import Settings
from portal.tenders import services
from portal.tenders.forms import QuoteInput, TenderInput
from portal.tenders.rules import DEADLINE_ZONE
from tests.helpers import insert_organisation, insert_person
from tests.web.tenders.world import partner

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
    from tests.helpers import account_id

    return current_of(organisation_id, await account_id(email), email, "active")


def tender_input(days: int = 20, **changes) -> TenderInput:
    from datetime import datetime
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
