"""CSV downloads stream from one ordered query (portal/downloads.py): the first bytes leave
while the database is still reading, memory does not grow with the file, a browser that goes
away stops the query, and nothing is cut off."""

from __future__ import annotations

import asyncio
import csv
import io
import tracemalloc

import asyncpg
import pytest
from piccolo.querystring import QueryString

from portal.access import ClientScope
from portal.billing.queries import ledger_export_query
from portal.downloads import BOM, csv_chunks, spreadsheet_text
from portal.piccolo_conf import DB

EVENTS = 100_050  # past the 100,000 rows where the old download stopped without a word

EVERY_CLIENT = ClientScope(every_client=True, user_id=0)  # a manager: nothing filtered


def export_query(organisation_id: int) -> tuple[str, list]:
    """A long log as one ordered query, newest first, text neutralised as downloads do."""
    sql = f"""SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
                  AS time_utc,
              {spreadsheet_text("actor_name")} AS actor, action,
              {spreadsheet_text("subject")} AS subject,
              {spreadsheet_text("before::text")} AS before,
              {spreadsheet_text("after::text")} AS after
       FROM audit_event WHERE organisation = {{}} ORDER BY created_at DESC, id DESC"""
    return sql, [organisation_id]


async def sql(text: str, *args) -> list[dict]:
    return await DB.run_querystring(QueryString(text, *args))


async def organisation_with_a_long_log(events: int = EVENTS) -> int:
    org = (
        await sql(
            "INSERT INTO organisation (name, country, currency) VALUES ('Big AG', 'CH', 'CHF') "
            "RETURNING id"
        )
    )[0]["id"]
    await sql(
        """INSERT INTO audit_event (organisation, actor_name, action, subject, after, created_at)
           SELECT {}, 'Anna Muster <anna@example.ch>', 'member.changed',
                  CASE WHEN n % 1000 = 0 THEN '=HYPERLINK("x")' ELSE 'Member ' || n END,
                  jsonb_build_object('role', 'user', 'n', n),
                  timestamptz '2026-01-01 00:00:00+00' + n * interval '1 second'
           FROM generate_series(1, {}) AS n""",
        org,
        events,
    )
    return org


async def copies_running() -> int:
    rows = await sql(
        """SELECT count(*) AS n FROM pg_stat_activity
           WHERE state = 'active' AND query LIKE 'COPY (SELECT to_char%'"""
    )
    return rows[0]["n"]


async def test_the_audit_csv_holds_every_entry_newest_first(db):
    org = await organisation_with_a_long_log()
    chunks = [chunk async for chunk in csv_chunks(*export_query(org))]
    assert chunks[0] == BOM
    rows = list(csv.reader(io.StringIO(b"".join(chunks[1:]).decode())))
    assert rows[0] == ["time_utc", "actor", "action", "subject", "before", "after"]
    assert len(rows) == EVENTS + 1  # every entry, none cut off
    assert rows[1][0] == "2026-01-02T03:47:30.000000+00:00"  # the newest: 100,050 s later
    assert rows[-1][3] == "Member 1"
    neutralised = [row[3] for row in rows[1:] if "HYPERLINK" in row[3]]
    assert neutralised and all(cell.startswith("'=") for cell in neutralised)


async def test_the_first_bytes_leave_while_the_query_still_reads(db):
    org = await organisation_with_a_long_log()
    stream = csv_chunks(*export_query(org))
    assert await anext(stream) == BOM
    header_and_rows = await anext(stream)
    assert header_and_rows.startswith(b"time_utc,actor,action")
    assert await copies_running() == 1  # the rest is still to be read
    await stream.aclose()  # the browser went away: the query stops, the connection comes back
    for _ in range(50):
        if await copies_running() == 0:
            break
        await asyncio.sleep(0.1)
    assert await copies_running() == 0
    assert len(await sql("SELECT 1 AS ok")) == 1  # the pool still answers


async def test_memory_stays_flat_however_long_the_file(db):
    org = await organisation_with_a_long_log()
    tracemalloc.start()
    try:
        size = 0
        async for chunk in csv_chunks(*export_query(org)):
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 12_000_000
    assert peak < 3_000_000, f"{peak:,} bytes held for a file of {size:,}"


async def test_the_ledger_csv_holds_every_entry_with_exact_amounts(db):
    org = (
        await sql(
            "INSERT INTO organisation (name, country, currency) VALUES ('Big AG', 'CH', 'CHF') "
            "RETURNING id"
        )
    )[0]["id"]
    await sql(
        """INSERT INTO ledger_entry (organisation, currency, kind, amount, reference, created_at)
           SELECT {}, CASE WHEN n % 10 = 0 THEN 'EUR' ELSE 'CHF' END, 'cashback',
                  round(n / 100.0, 2), CASE WHEN n = 7 THEN '@SUM(A1)' ELSE 'Ref ' || n END,
                  timestamptz '2026-01-01 00:00:00+00' + n * interval '1 minute'
           FROM generate_series(1, 3000) AS n""",
        org,
    )
    chunks = [chunk async for chunk in csv_chunks(*ledger_export_query(org, "CHF", EVERY_CLIENT))]
    rows = list(csv.reader(io.StringIO(b"".join(chunks[1:]).decode())))
    assert rows[0] == ["time_utc", "kind", "reference", "invoice", "amount", "currency"]
    assert len(rows) == 2700 + 1
    assert rows[1][4] == "29.99" and rows[1][0] == "2026-01-03 01:59:00"
    assert rows[-1][4] == "0.01"
    assert {row[5] for row in rows[1:]} == {"CHF"}
    assert next(row for row in rows if row[4] == "0.07")[2] == "'@SUM(A1)"


async def test_a_query_that_fails_half_way_fails_the_download(db):
    """A file cut short by an error never ends as if it were whole: the stream raises after
    what it sent (the browser sees a failed download), and the connection goes back sane."""
    failing = """SELECT n, 100 / (n - 60000) AS share FROM generate_series(1, 100000) AS n
                 WHERE n >= {}"""
    received = bytearray()
    with pytest.raises(asyncpg.DataError, match="division by zero"):
        async for chunk in csv_chunks(failing, [1]):
            received += chunk
    assert received.startswith(BOM + b"n,share\n1,0\n")  # rows went out before the error
    assert len(await sql("SELECT 1 AS ok")) == 1
