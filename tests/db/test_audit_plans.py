"""The audit log's plans hold for a big tenant, also as generic plans.

asyncpg prepares every statement; after five executions PostgreSQL may keep a generic plan,
made without the parameters' values. For a log loaded in time order, the generic plan of a
filtered page used to read the whole organisation through the single-column organisation index
and sort it (the correlation of that index looks cheap): a long log took longer at every page.
Every page of the log must instead walk audit_event_organisation_time (or, for one subject,
audit_event_organisation_subject) in order and stop after a page: no Sort."""

from __future__ import annotations

import json
from datetime import date

import pytest
from piccolo.querystring import QueryString

from portal.audit.services import AuditFilter, events_of
from portal.paging import FIRST, LAST, Position
from portal.piccolo_conf import DB

BIG_LOG = 30_000


async def sql(text: str, *args) -> list[dict]:
    return await DB.run_querystring(QueryString(text, *args))


@pytest.fixture
async def big_and_small_logs(db) -> int:
    """One organisation with a long log written in time order, and many with a short one."""
    big = (
        await sql(
            "INSERT INTO organisation (name, country, currency) VALUES ('Big AG', 'CH', 'CHF') "
            "RETURNING id"
        )
    )[0]["id"]
    await sql(
        """INSERT INTO organisation (name, country, currency)
           SELECT 'Small ' || n, 'CH', 'CHF' FROM generate_series(1, 400) AS n"""
    )
    await sql(
        """INSERT INTO audit_event (organisation, actor_name, action, subject, created_at)
           SELECT {}, 'Anna Muster <anna@example.ch>',
                  CASE WHEN n % 3 = 0 THEN 'team.created' ELSE 'member.changed' END,
                  'Member ' || (n % 50), timestamptz '2025-01-01 00:00+00' + n * interval '1 min'
           FROM generate_series(1, {}) AS n""",
        big,
        BIG_LOG,
    )
    await sql(
        """INSERT INTO audit_event (organisation, actor_name, action, subject, created_at)
           SELECT o.id, 'Someone', 'member.joined', 'x', now()
           FROM organisation o, generate_series(1, 3) WHERE o.name LIKE 'Small %'"""
    )
    await sql("ANALYZE audit_event")
    return big


async def statements_of(call) -> list[tuple[str, list]]:
    """The SQL (with $n placeholders) and arguments CALL sends, caught before the database."""
    sent: list[tuple[str, list]] = []

    async def record(querystring, in_pool: bool = True) -> list:
        sent.append(querystring.compile_string(engine_type="postgres"))
        return []

    DB.run_querystring = record  # shadows the engine's method for this one call
    try:
        await call()
    finally:
        del DB.run_querystring
    return sent


FILTERS = [
    AuditFilter(),
    AuditFilter(action="team."),
    AuditFilter(actor="anna"),
    AuditFilter(subject="Member 7"),
    AuditFilter(day_from=date(2025, 1, 3), day_to=date(2025, 1, 20)),
    AuditFilter(action="member", actor="muster", day_from=date(2025, 1, 3)),
]


@pytest.mark.parametrize("where", FILTERS, ids=repr)
async def test_every_page_of_the_log_is_read_in_index_order_by_a_generic_plan(
    big_and_small_logs, where
):
    big = big_and_small_logs
    somewhere = (await events_of(big, AuditFilter(), FIRST, size=50)).after
    positions = [FIRST, LAST, Position("after", somewhere), Position("before", somewhere)]
    for position in positions:
        (text, args), *_ = await statements_of(lambda at=position: events_of(big, where, at))
        plan = await generic_plan(text, args)
        assert "Sort" not in plan, plan
        assert "audit_event_organisation_time" in plan or (
            where.subject and "audit_event_organisation_subject" in plan
        ), plan


async def generic_plan(text: str, args: list) -> str:
    """The plan PostgreSQL keeps for the prepared statement TEXT once it goes generic: the
    statement is prepared by name, and executed under EXPLAIN with generic plans forced (an
    EXPLAIN of the statement itself would plan it for the values given)."""
    connection = await DB.pool.acquire()
    try:
        await connection.execute(f"PREPARE audit_page AS {text}")
        await connection.execute("SET plan_cache_mode = force_generic_plan")
        values = [await connection.fetchval("SELECT quote_literal($1::text)", str(a)) for a in args]
        rows = await connection.fetch(f"EXPLAIN EXECUTE audit_page({', '.join(values)})")
    finally:
        await connection.execute("RESET plan_cache_mode; DEALLOCATE audit_page")
        await DB.pool.release(connection)
    return "\n".join(row[0] for row in rows)


async def test_the_last_page_of_a_long_log_reads_no_more_than_the_first(big_and_small_logs):
    big = big_and_small_logs

    async def buffers(position: Position) -> int:
        (text, args), *_ = await statements_of(lambda: events_of(big, AuditFilter(), position))
        rows = await DB.pool.fetch(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {text}", *args)
        plan = json.loads(rows[0][0])[0]["Plan"]
        return plan["Shared Hit Blocks"] + plan["Shared Read Blocks"]

    first = await buffers(FIRST)
    last = await buffers(LAST)
    middle_key = (await events_of(big, AuditFilter(), FIRST, size=BIG_LOG // 2)).after
    middle = await buffers(Position("after", middle_key))
    assert max(last, middle) <= first + 5, (first, middle, last)
