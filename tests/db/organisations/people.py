"""People and organisations made straight in the database, and their `Current` for services."""

from __future__ import annotations

from dataclasses import dataclass

from portal.access import Actor, Role
from portal.accounts import queries as account_queries
from portal.core.current import Current, OrganisationSummary
from portal.organisations import queries, services
from portal.organisations.rules import OrganisationDetails
from portal.organisations.tables import Membership


@dataclass(frozen=True)
class Person:
    account_id: int
    email: str
    organisation_id: int
    membership_id: int
    current: Current


async def new_account(email: str) -> int:
    return await account_queries.insert_account(email, email.split("@")[0].title(), "not-a-hash")


async def new_organisation(founder_email: str, name: str = "Muster Web AG") -> Person:
    account_id = await new_account(founder_email)
    organisation_id = await services.create_organisation(
        account_id,
        founder_email,
        OrganisationDetails(name=name, kind="company", country="CH", currency="CHF"),
    )
    return await as_person(account_id, founder_email, organisation_id)


async def join(organisation_id: int, email: str, role: Role) -> Person:
    account_id = await new_account(email)
    await queries.insert_membership(organisation_id, account_id, role, False)
    return await as_person(account_id, email, organisation_id)


async def as_person(account_id: int, email: str, organisation_id: int) -> Person:
    membership = (
        await Membership.select()
        .where(Membership.account == account_id, Membership.organisation == organisation_id)
        .first()
    )
    role = Role(membership["role"])
    actor = Actor(account_id, organisation_id, role, membership["billing_rights"], frozenset())
    current = Current(
        session_id=0,
        user_id=account_id,
        email=email,
        full_name=email.split("@")[0].title(),
        totp_enabled=False,
        second_factor_pending=False,
        organisation=OrganisationSummary(organisation_id, "Muster Web AG", "CHF", "CH"),
        organisations=((organisation_id, "Muster Web AG"),),
        actor=actor,
    )
    return Person(account_id, email, organisation_id, membership["id"], current)


async def legal_representatives(organisation_id: int) -> int:
    return await queries.count_legal_representatives(organisation_id)
