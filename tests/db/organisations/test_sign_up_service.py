"""Signing up against the real database: the account, its organisation, one per address."""

from __future__ import annotations

import asyncio

import pytest

from portal.accounts import queries, services
from portal.accounts.tables import Account
from portal.errors import FormErrors
from portal.organisations.rules import OrganisationDetails
from portal.organisations.services import sign_up as sign_up_with_organisation
from tests.factories.accounts import HERE, PASSWORD

DETAILS = OrganisationDetails(name="Muster Web AG", kind="company", country="CH", currency="CHF")


async def sign_up(email: str = "Anna@Example.ch", password: str = PASSWORD):
    return await sign_up_with_organisation("Anna Muster", email, password, DETAILS, HERE)


async def test_a_new_account_has_an_argon2id_hash_and_a_lower_case_address(db):
    await sign_up()
    account = await queries.account_by_email("anna@example.ch")
    assert account["email"] == "anna@example.ch"
    assert account["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in account["password_hash"]


async def test_the_new_user_represents_their_new_organisation(db):
    await sign_up()
    account = await queries.account_by_email("anna@example.ch")
    assert await queries.first_organisation_of(account["id"]) is not None


async def test_a_weak_password_creates_nothing(db):
    with pytest.raises(FormErrors) as refused:
        await sign_up(password="password1")
    assert "password" in refused.value.errors
    assert await Account.count() == 0


async def test_one_address_one_account(db):
    await sign_up()
    with pytest.raises(FormErrors) as refused:
        await sign_up("ANNA@example.ch")
    assert "exists already" in refused.value.errors["email"]
    assert await Account.count() == 1


async def test_two_sign_ups_racing_with_one_address_make_one_account(db):
    outcomes = await asyncio.gather(*[sign_up() for _ in range(3)], return_exceptions=True)
    assert sum(isinstance(o, str) for o in outcomes) == 1
    assert sum(isinstance(o, FormErrors) for o in outcomes) == 2
    assert await Account.count() == 1


async def test_an_invited_newcomer_cannot_take_an_existing_address(db):
    await sign_up()
    with pytest.raises(FormErrors) as refused:
        await services.sign_up_invited("Anna Again", "anna@example.ch", PASSWORD, HERE)
    assert "exists already" in refused.value.errors["email"]
