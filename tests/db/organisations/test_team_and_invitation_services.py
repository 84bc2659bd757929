"""Services of teams and invitations against the real database: names, leaders, races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from portal.access import Role
from portal.core.tokens import new_token, token_hash
from portal.errors import Conflict, FormErrors
from portal.organisations import queries, services
from tests.factories.organisations import join, new_account, new_organisation


@pytest.mark.parametrize("name", ["Support\\", "100% sales", "a_b", "Équipe Zürich", "=1+1"])
async def test_any_team_name_can_be_created_once(db, name):
    anna = await new_organisation("anna@example.ch")
    team_id = await services.create_team(anna.current, name)
    assert (await queries.team(anna.organisation_id, team_id))["name"] == name
    with pytest.raises(FormErrors, match="exists already"):
        await services.create_team(anna.current, name.upper())


async def test_wildcard_characters_in_a_team_name_match_only_themselves(db):
    anna = await new_organisation("anna@example.ch")
    await services.create_team(anna.current, "a_c")
    await services.create_team(anna.current, "abc")
    await services.create_team(anna.current, "a%")
    await services.create_team(anna.current, "ab")
    assert (await queries.team_count(anna.organisation_id)) == 4


async def test_the_same_team_created_twice_at_once_gives_one_team_and_a_form_error(db):
    anna = await new_organisation("anna@example.ch")
    results = await asyncio.gather(
        *(services.create_team(anna.current, "Support") for _ in range(4)),
        return_exceptions=True,
    )
    assert len([r for r in results if isinstance(r, int)]) == 1
    assert all(isinstance(r, FormErrors) for r in results if not isinstance(r, int))
    assert await queries.team_count(anna.organisation_id) == 1


async def test_renaming_to_a_taken_name_is_refused_but_a_new_case_is_fine(db):
    anna = await new_organisation("anna@example.ch")
    support = await services.create_team(anna.current, "Support")
    await services.create_team(anna.current, "Sales")
    with pytest.raises(FormErrors, match="exists already"):
        await services.rename_team(anna.current, support, "sales")
    await services.rename_team(anna.current, support, "SUPPORT")
    assert (await queries.team(anna.organisation_id, support))["name"] == "SUPPORT"


async def test_a_removed_member_no_longer_leads_a_team(db):
    anna = await new_organisation("anna@example.ch")
    bert = await join(anna.organisation_id, "bert@example.ch", Role.USER)
    team_id = await services.create_team(anna.current, "Support")
    await services.add_team_member(anna.current, team_id, bert.account_id)
    await services.set_team_leader(anna.current, team_id, bert.account_id)
    await services.remove_member(anna.current, bert.membership_id)
    team = await queries.team(anna.organisation_id, team_id)
    assert team["leader"] is None
    assert await queries.team_members(anna.organisation_id, team_id) == []


async def test_a_member_removed_from_the_team_no_longer_leads_it(db):
    anna = await new_organisation("anna@example.ch")
    team_id = await services.create_team(anna.current, "Support")
    await services.add_team_member(anna.current, team_id, anna.account_id)
    await services.set_team_leader(anna.current, team_id, anna.account_id)
    await services.remove_team_member(anna.current, team_id, anna.account_id)
    assert (await queries.team(anna.organisation_id, team_id))["leader"] is None


async def test_the_leader_must_be_in_the_team(db):
    anna = await new_organisation("anna@example.ch")
    team_id = await services.create_team(anna.current, "Support")
    with pytest.raises(FormErrors, match="member of the team"):
        await services.set_team_leader(anna.current, team_id, anna.account_id)


async def waiting_invitation(organisation_id: int, email: str, **values) -> str:
    token = new_token()
    await queries.insert_invitation(
        {
            "organisation": organisation_id,
            "email": email,
            "token_hash": token_hash(token),
            "expires_at": datetime.now(UTC) + timedelta(days=1),
            **values,
        }
    )
    return token


async def test_an_invitation_accepted_twice_at_once_counts_once(db):
    anna = await new_organisation("anna@example.ch")
    token = await waiting_invitation(anna.organisation_id, "carl@example.ch", role="administrator")
    carl = await new_account("carl@example.ch")
    results = await asyncio.gather(
        services.accept_invitation(token, carl, "carl@example.ch", "Carl"),
        services.accept_invitation(token, carl, "carl@example.ch", "Carl"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"]
    assert await queries.is_member(anna.organisation_id, carl)


async def test_an_invitation_for_someone_else_is_refused(db):
    anna = await new_organisation("anna@example.ch")
    token = await waiting_invitation(anna.organisation_id, "carl@example.ch")
    dora = await new_account("dora@example.ch")
    with pytest.raises(Conflict, match="carl@example.ch"):
        await services.accept_invitation(token, dora, "dora@example.ch", "Dora")
    assert not await queries.is_member(anna.organisation_id, dora)


async def test_a_team_invitation_makes_a_team_member_not_an_organisation_member(db):
    anna = await new_organisation("anna@example.ch")
    team_id = await services.create_team(anna.current, "Support")
    token = await waiting_invitation(
        anna.organisation_id, "ext@example.net", team=team_id, invited_by=anna.account_id
    )
    ext = await new_account("ext@example.net")
    assert await services.accept_invitation(token, ext, "ext@example.net", "Ext") == (
        anna.organisation_id
    )
    assert await queries.in_team(team_id, ext)
    assert not await queries.is_member(anna.organisation_id, ext)
    assert await queries.account_organisation(ext, anna.organisation_id)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"revoked_at": datetime.now(UTC)}, "withdrawn"),
        ({"accepted_at": datetime.now(UTC)}, "accepted already"),
        ({"expires_at": datetime.now(UTC) - timedelta(seconds=1)}, "expired"),
    ],
)
async def test_a_used_up_invitation_is_refused_with_its_reason(db, values, problem):
    anna = await new_organisation("anna@example.ch")
    token = await waiting_invitation(anna.organisation_id, "carl@example.ch", **values)
    carl = await new_account("carl@example.ch")
    with pytest.raises(Conflict, match=problem):
        await services.accept_invitation(token, carl, "carl@example.ch", "Carl")


async def test_a_team_invitation_whose_inviter_may_no_longer_bring_outsiders_in_is_refused(db):
    """An outsider joins a team only while whoever invited them may bring them in: not once
    the team acts for clients (only legal representatives then), nor without an inviter."""
    anna = await new_organisation("anna@example.ch")
    bert = await join(anna.organisation_id, "bert@example.ch", Role.ADMINISTRATOR)
    team_id = await services.create_team(anna.current, "Support")
    by_bert = await waiting_invitation(
        anna.organisation_id, "ext@example.net", team=team_id, invited_by=bert.account_id
    )
    by_nobody = await waiting_invitation(anna.organisation_id, "other@example.net", team=team_id)
    with pytest.raises(Conflict, match="only a legal representative"):
        await services.open_invitation(by_nobody)
    assert (await services.open_invitation(by_bert))["email"] == "ext@example.net"
    await give_a_client(anna.organisation_id, team_id)
    ext = await new_account("ext@example.net")
    with pytest.raises(Conflict, match="only a legal representative"):
        await services.accept_invitation(by_bert, ext, "ext@example.net", "Ext")
    assert not await queries.in_team(team_id, ext)


async def give_a_client(partner_id: int, team_id: int) -> None:
    from portal.clients.tables import ClientAssignment
    from tests.factories.exports import insert_link
    from tests.factories.organisations import insert_organisation

    link = await insert_link(partner_id, await insert_organisation("Client GmbH"), "full")
    await ClientAssignment.insert(ClientAssignment(link=link, team=team_id))
