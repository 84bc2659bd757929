"""Organisations, members, invitations and teams, through the pages or in the database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from httpx import AsyncClient as AsyncTestClient

from portal.access import Actor, Role
from portal.accounts import queries as account_queries
from portal.core.current import Current, OrganisationSummary
from portal.organisations import queries, services
from portal.organisations.rules import OrganisationDetails
from portal.organisations.tables import Membership
from tests.factories.accounts import PASSWORD
from tests.factories.web import another_browser, link_in, post_form


async def invite(
    client: AsyncTestClient, email: str, role: str = "user", *, billing_rights: bool = False
):
    data = {"email": email, "role": role, "message": "Welcome aboard"}
    if billing_rights:
        data["billing_rights"] = "on"
    return await post_form(client, "/organisation/members/invite", data)


async def outbox_link(recipient: str, path: str) -> str:
    """The path of the link to PATH in the last mail written to RECIPIENT (the outbox keeps
    every mail, also when no SMTP server is set)."""
    from portal.mail.tables import OutboxMail

    mail = (
        await OutboxMail.select(OutboxMail.body)
        .where(OutboxMail.recipient == recipient)
        .order_by(OutboxMail.id, ascending=False)
        .first()
    )
    assert mail, f"no mail to {recipient}"
    return link_in(mail["body"], path)


async def join_by_signing_up(client: AsyncTestClient, invitation_path: str, name: str):
    """Follow an invitation link as a newcomer and create the account there."""
    assert (await client.get(invitation_path)).status_code == 200
    return await post_form(
        client, invitation_path + "/signup", {"full_name": name, "password": PASSWORD}
    )


async def membership_id(client: AsyncTestClient, email: str) -> int:
    """The id of EMAIL's membership, read from the members page."""
    page = (await client.get("/organisation/members")).text
    match = re.search(
        r'<tr id="member-(\d+)">\s*<td><strong>[^<]*</strong><br>'
        r'<span class="muted">' + re.escape(email) + "</span>",
        page,
    )
    assert match, f"{email} is not on the members page"
    return int(match.group(1))


async def create_team(client: AsyncTestClient, name: str) -> int:
    response = await post_form(client, "/organisation/teams", {"name": name})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


@asynccontextmanager
async def colleague(
    client: AsyncTestClient, email: str, role: str = "user", *, billing_rights: bool = False
) -> AsyncIterator[AsyncTestClient]:
    """Someone who joined CLIENT's organisation by invitation, in a browser of their own."""
    response = await invite(client, email, role, billing_rights=billing_rights)
    assert response.status_code == 303, response.text
    path = await outbox_link(email, "/invitations/")
    async with another_browser(client) as browser:
        joined = await join_by_signing_up(browser, path, email.split("@")[0].title())
        assert joined.status_code == 303, joined.text
        yield browser


async def insert_organisation(
    name: str, *, partner_status: str = "none", country: str = "CH", currency: str = "CHF"
) -> int:
    from portal.organisations.tables import Organisation

    rows = await Organisation.insert(
        Organisation(name=name, country=country, currency=currency, partner_status=partner_status)
    ).returning(Organisation.id)
    return rows[0]["id"]


async def insert_person(
    email: str, organisation_id: int | None = None, role: str | None = None
) -> int:
    """An account whose password is PASSWORD; with ROLE, a member of ORGANISATION_ID."""
    from portal.accounts import passwords
    from portal.accounts.tables import Account
    from portal.organisations.tables import Membership

    rows = await Account.insert(
        Account(
            email=email,
            full_name=email.split("@")[0].replace(".", " ").title(),
            password_hash=passwords.hash_password(PASSWORD),
        )
    ).returning(Account.id)
    account = rows[0]["id"]
    if role is not None:
        await Membership.insert(
            Membership(organisation=organisation_id, account=account, role=role)
        )
    return account


async def insert_team(organisation_id: int, name: str, member_ids: list[int]) -> int:
    from portal.organisations.tables import Team, TeamMember

    rows = await Team.insert(Team(organisation=organisation_id, name=name)).returning(Team.id)
    team = rows[0]["id"]
    if member_ids:
        await TeamMember.insert(*[TeamMember(team=team, account=a) for a in member_ids])
    return team


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
