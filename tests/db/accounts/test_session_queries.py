"""Server-side sessions in PostgreSQL: the idle and absolute timeouts, ending sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.accounts import queries, rules, services
from portal.accounts.tables import WebSession
from portal.core.current import session_row
from portal.core.origin import Origin
from portal.core.tokens import new_token, token_hash
from tests.factories.accounts import HERE, new_account

IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)


async def session(account_id: int, *, pending: bool = False) -> tuple[str, int]:
    token = await services.start_session(account_id, HERE, pending=pending)
    row = await WebSession.select(WebSession.id).where(WebSession.token_hash == token_hash(token))
    return token, row[0]["id"]


async def shift(session_id: int, *, idle_for: timedelta, age: timedelta) -> None:
    await WebSession.raw(
        "UPDATE web_session SET last_seen_at = now() - {}::interval, "
        "created_at = now() - {}::interval WHERE id = {}",
        idle_for,
        age,
        session_id,
    )


async def loads(token: str) -> bool:
    return await session_row(token_hash(token), IDLE, ABSOLUTE) is not None


@pytest.mark.parametrize(
    ("idle_for", "age"),
    [
        (timedelta(0), timedelta(0)),
        (IDLE - timedelta(seconds=5), timedelta(hours=2)),
        (IDLE + timedelta(seconds=5), timedelta(hours=2)),
        (timedelta(0), ABSOLUTE - timedelta(seconds=5)),
        (timedelta(0), ABSOLUTE + timedelta(seconds=5)),
        (timedelta(days=3), timedelta(days=3)),
    ],
)
async def test_the_database_ends_sessions_exactly_as_the_rule_says(db, idle_for, age):
    token, session_id = await session(await new_account())
    await shift(session_id, idle_for=idle_for, age=age)
    now = datetime.now(UTC)
    expected = rules.session_is_alive(
        created_at=now - age, last_seen_at=now - idle_for, now=now, idle=IDLE, absolute=ABSOLUTE
    )
    assert await loads(token) is expected


async def test_an_unknown_token_loads_nothing(db):
    await session(await new_account())
    assert not await loads(new_token())


async def test_the_context_names_the_user_and_their_organisation(db):
    account_id = await new_account()
    token, _ = await session(account_id)
    row = await session_row(token_hash(token), IDLE, ABSOLUTE)
    assert (row["user_id"], row["email"], row["full_name"]) == (
        account_id,
        "anna@example.ch",
        "Anna Muster",
    )
    assert row["organisation_name"] == "Anna Muster GmbH"
    assert row["role"] == "legal_representative"
    assert not row["second_factor_pending"] and not row["totp_enabled"]


async def test_ending_other_sessions_keeps_the_current_one(db):
    account_id = await new_account()
    other_id = await new_account("bea@example.ch", "Bea Beispiel")
    mine, mine_id = await session(account_id)
    elsewhere, _ = await session(account_id)
    pending, _ = await session(account_id, pending=True)
    hers, _ = await session(other_id)
    ended = await queries.end_sessions_of(account_id, datetime.now(UTC), keep=mine_id)
    assert ended == 3  # the sign-up session, ELSEWHERE and PENDING
    assert await loads(mine) and await loads(hers)
    assert not await loads(elsewhere) and not await loads(pending)


async def test_the_sessions_list_shows_live_full_sessions_only(db):
    account_id = await new_account()
    await queries.end_sessions_of(account_id, datetime.now(UTC))  # the sign-up session
    _, live_id = await session(account_id)
    _, ended_id = await session(account_id)
    _, idle_id = await session(account_id)
    await session(account_id, pending=True)
    await queries.end_session(ended_id, datetime.now(UTC))
    await shift(idle_id, idle_for=IDLE + timedelta(minutes=1), age=IDLE + timedelta(minutes=1))
    listed = await queries.live_sessions_of(account_id, IDLE, ABSOLUTE)
    assert [row["id"] for row in listed] == [live_id]
    assert listed[0]["ip_address"] == HERE.ip_address
    assert listed[0]["user_agent"] == HERE.user_agent


async def test_a_session_records_at_most_300_characters_of_user_agent(db):
    account_id = await new_account()
    client = Origin(ip_address="192.0.2.1", user_agent="x" * 1000)
    await services.start_session(account_id, client)
    rows = await queries.live_sessions_of(account_id, IDLE, ABSOLUTE)
    assert {len(row["user_agent"]) for row in rows} == {300, len(HERE.user_agent)}
