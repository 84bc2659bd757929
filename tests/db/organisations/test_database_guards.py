"""What the database itself guarantees, whatever the code above it does."""

from __future__ import annotations

import pytest
from asyncpg.exceptions import RaiseError, UniqueViolationError

from portal.access import Role
from portal.audit.services import Who, record
from portal.audit.tables import AuditEvent
from portal.organisations import queries
from portal.organisations.tables import Organisation
from tests.factories.organisations import join, new_account, new_organisation


async def one_audit_event() -> int:
    anna = await new_organisation("anna@example.ch")
    await record(anna.organisation_id, Who(anna.account_id, "Anna"), "test.done", "subject")
    return anna.organisation_id


async def test_audit_events_cannot_be_changed(db):
    organisation_id = await one_audit_event()
    with pytest.raises(RaiseError, match="append-only"):
        await AuditEvent.raw("UPDATE audit_event SET action = 'member.forged'")
    actions = await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.organisation == organisation_id
    )
    assert "member.forged" not in {row["action"] for row in actions}


async def test_audit_events_cannot_be_deleted(db):
    await one_audit_event()
    before = await AuditEvent.count()
    with pytest.raises(RaiseError, match="append-only"):
        await AuditEvent.raw("DELETE FROM audit_event")
    assert await AuditEvent.count() == before >= 2


async def test_the_currency_of_an_organisation_cannot_change(db):
    anna = await new_organisation("anna@example.ch")
    with pytest.raises(RaiseError, match="currency is fixed"):
        await Organisation.update({Organisation.currency: "EUR"}).where(
            Organisation.id == anna.organisation_id
        )
    assert (await queries.organisation(anna.organisation_id))["currency"] == "CHF"


async def test_the_other_details_of_an_organisation_can_change(db):
    anna = await new_organisation("anna@example.ch")
    await queries.update_organisation(anna.organisation_id, {"name": "Muster Cloud AG"})
    assert (await queries.organisation(anna.organisation_id))["name"] == "Muster Cloud AG"


async def test_a_person_is_a_member_of_an_organisation_once(db):
    anna = await new_organisation("anna@example.ch")
    with pytest.raises(UniqueViolationError):
        await queries.insert_membership(anna.organisation_id, anna.account_id, Role.USER, False)


async def test_a_person_may_be_a_member_of_several_organisations(db):
    anna = await new_organisation("anna@example.ch")
    other = await new_organisation("bert@example.ch", "Other GmbH")
    await queries.insert_membership(other.organisation_id, anna.account_id, Role.USER, False)
    assert await queries.is_member(other.organisation_id, anna.account_id)


async def test_an_unknown_role_is_refused(db):
    anna = await new_organisation("anna@example.ch")
    carl = await new_account("carl@example.ch")
    with pytest.raises(Exception, match="membership_role_known"):
        await queries.insert_membership(anna.organisation_id, carl, "owner", False)


async def test_team_names_are_unique_per_organisation_whatever_the_case(db):
    anna = await new_organisation("anna@example.ch")
    await queries.insert_team(anna.organisation_id, "Support")
    with pytest.raises(UniqueViolationError):
        await queries.insert_team(anna.organisation_id, "SUPPORT")


async def test_a_person_is_in_a_team_once(db):
    anna = await new_organisation("anna@example.ch")
    team_id = await queries.insert_team(anna.organisation_id, "Support")
    await queries.add_to_team(team_id, anna.account_id)
    await queries.add_to_team(team_id, anna.account_id)
    assert len(await queries.team_members(anna.organisation_id, team_id)) == 1


async def test_a_joined_member_keeps_the_role_given(db):
    anna = await new_organisation("anna@example.ch")
    bert = await join(anna.organisation_id, "bert@example.ch", Role.ADMINISTRATOR)
    member = await queries.membership(anna.organisation_id, bert.membership_id)
    assert member["role"] == "administrator"
    assert await queries.membership(anna.organisation_id + 1, bert.membership_id) is None
