"""Two legal representatives demoting or removing each other at the same moment, each in a
transaction of their own: the organisation lock makes one of them wait, see that the other
is gone, and refuse — an organisation never ends up without a legal representative."""

from __future__ import annotations

import asyncio

import pytest

from portal.access import Role
from portal.errors import FormErrors
from portal.organisations import services
from tests.factories.organisations import join, legal_representatives, new_organisation

ROUNDS = 5  # the race is decided by scheduling: run it several times


async def two_legal_representatives(round_no: int):
    anna = await new_organisation(f"anna{round_no}@example.ch")
    bert = await join(anna.organisation_id, f"bert{round_no}@example.ch", Role.LEGAL_REPRESENTATIVE)
    return anna, bert


def the_one_refusal(results: list) -> FormErrors:
    refusals = [result for result in results if isinstance(result, BaseException)]
    assert len(refusals) == 1, results
    assert isinstance(refusals[0], FormErrors), repr(refusals[0])
    return refusals[0]


@pytest.mark.parametrize("new_role", [Role.ADMINISTRATOR, Role.USER])
async def test_demoting_each_other_at_once_leaves_one_legal_representative(db, new_role):
    for round_no in range(ROUNDS):
        anna, bert = await two_legal_representatives(round_no)
        results = await asyncio.gather(
            services.change_member(anna.current, bert.membership_id, new_role, False),
            services.change_member(bert.current, anna.membership_id, new_role, False),
            return_exceptions=True,
        )
        refusal = the_one_refusal(results)
        assert "last legal representative" in refusal.errors["role"]
        assert await legal_representatives(anna.organisation_id) == 1


async def test_removing_each_other_at_once_leaves_one_legal_representative(db):
    for round_no in range(ROUNDS):
        anna, bert = await two_legal_representatives(round_no)
        results = await asyncio.gather(
            services.remove_member(anna.current, bert.membership_id),
            services.remove_member(bert.current, anna.membership_id),
            return_exceptions=True,
        )
        refusal = the_one_refusal(results)
        assert "last legal representative" in refusal.errors["member"]
        assert await legal_representatives(anna.organisation_id) == 1


async def test_one_demotes_while_the_other_removes_leaves_one_legal_representative(db):
    for round_no in range(ROUNDS):
        anna, bert = await two_legal_representatives(round_no)
        results = await asyncio.gather(
            services.change_member(anna.current, bert.membership_id, Role.USER, False),
            services.remove_member(bert.current, anna.membership_id),
            return_exceptions=True,
        )
        the_one_refusal(results)
        assert await legal_representatives(anna.organisation_id) == 1
