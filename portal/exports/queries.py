"""Reads of billing reports, scoped by the partner and by the clients the actor may export.

The lines come out of PostgreSQL with COPY … TO (CSV) into a temporary file that pandas parses
in C, a chunk at a time: a million rows never exist as a million Python records (asyncpg's
fetch would build them, several hundred MB), nor as one DataFrame."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import anyio.to_thread
import pandas as pd

from portal.access import ClientScope
from portal.database import storable_id
from portal.exports.frames import READ_ROWS, frame_from_csv, read_chunks
from portal.organisations.tables import Organisation
from portal.piccolo_conf import DB


async def account_id(email: str) -> int | None:
    rows = await Organisation.raw("SELECT id FROM account WHERE email = {}", email.lower())
    return rows[0]["id"] if rows else None


async def organisation(organisation_id: int) -> dict | None:
    if not storable_id(organisation_id):
        return None
    return (
        await Organisation.select(
            Organisation.id, Organisation.name, Organisation.currency, Organisation.partner_status
        )
        .where(Organisation.id == organisation_id)
        .first()
    )


# The partner's links that put a client in a person's export scope (access.py decides the
# scope, `export_scope`; the queries apply it): with EVERY true, every link that granted
# access, past ones included; otherwise the active links assigned to USER or to one of TEAMS.
# `sl` is the link.
IN_SCOPE = """sl.partner = {partner} AND sl.access IS NOT NULL
      AND ({every} OR (sl.status = 'active' AND EXISTS (
            SELECT 1 FROM client_assignment sa WHERE sa.link = sl.id
            AND (sa.account = {user} OR sa.team = ANY({teams}::int[])))))"""
# A selection of clients (CHOSEN; NULL: every client of the scope).
CHOSEN = "({chosen}::int[] IS NULL OR {client} IN (SELECT unnest({chosen}::int[])))"
# In the lines' queries: $1 the partner, $2 and $3 the period, $4 to $7 the scope and choice.
LINES_SCOPE = IN_SCOPE.format(partner="$1", every="$4", user="$5", teams="$6")
LINES_CHOSEN = CHOSEN.format(chosen="$7", client="i.client")

# The clients of the scope, each with its live link (or the latest).
SCOPE_CLIENTS_SQL = f"""
SELECT DISTINCT ON (sl.client) sl.client, c.name AS client_name, sl.status, sl.access
FROM partner_link sl JOIN organisation c ON c.id = sl.client
WHERE {IN_SCOPE.format(partner="$1", every="$2", user="$3", teams="$4")}
  AND {CHOSEN.format(chosen="$5", client="sl.client")}
ORDER BY sl.client, (sl.status = 'active') DESC, sl.id DESC
"""


@dataclass(frozen=True)
class Lines:
    """Which lines a report holds: the partner's, of a period, of the clients in a person's
    SCOPE (access.export_scope), narrowed to CHOSEN clients when given."""

    partner_id: int
    start: date
    end: date
    scope: ClientScope
    chosen: tuple[int, ...] | None = None

    def arguments(self) -> tuple:
        """$1 to $7 of the lines' queries."""
        chosen = None if self.chosen is None else list(self.chosen)
        return (self.partner_id, self.start, self.end, *self._scope(), chosen)

    def _scope(self) -> tuple:
        return (self.scope.every_client, self.scope.user_id, sorted(self.scope.team_ids))


async def scope_clients(
    partner_id: int, scope: ClientScope, chosen: tuple[int, ...] | None = None
) -> list[dict]:
    """The partner's clients in SCOPE (of CHOSEN, when given) by name: what a report may
    cover, for the form, the check of a selection and the per-client sheets."""
    arguments = (scope.every_client, scope.user_id, sorted(scope.team_ids))
    async with _planned_for_values() as connection:
        rows = await connection.fetch(
            SCOPE_CLIENTS_SQL, partner_id, *arguments, None if chosen is None else list(chosen)
        )
    return sorted(
        (dict(row) for row in rows), key=lambda row: (row["client_name"].casefold(), row["client"])
    )


# One row per invoice line the partner may see. An invoice is shown in full when the partner
# paid it, or when the client pays but gave the partner full access (the partner then acts in
# the client's billing); otherwise (restricted access, or a collaboration that ended) the line
# appears only as the cashback the partner earned on it: every field that is the client's
# business (invoice number, prices, amount, VAT) is blanked in the database already. A credit
# note's line takes its cashback back (negative): it shows as well.
# The client must be in the person's scope (IN_SCOPE, a semi-join the planner reads by index
# for a page or hashes for a whole report) and among those chosen (CHOSEN); its active
# full-access link, if any, shows its invoices in full ($1..$3: partner and period).
LINES_FROM = f"""
FROM invoice i
LEFT JOIN partner_link fl ON fl.partner = $1 AND fl.client = i.client
  AND fl.status = 'active' AND fl.access = 'full'
CROSS JOIN LATERAL (SELECT (i.payer = $1 OR fl.id IS NOT NULL) AS shown) v
JOIN invoice_line l ON l.invoice = i.id
JOIN organisation c ON c.id = i.client
WHERE i.partner = $1 AND i.issued_on BETWEEN $2 AND $3
  AND EXISTS (SELECT 1 FROM partner_link sl WHERE sl.client = i.client AND {LINES_SCOPE})
  AND {LINES_CHOSEN}
  AND (v.shown OR l.cashback <> 0)
"""
LINES_COLUMNS = """
SELECT i.issued_on,
       CASE WHEN v.shown THEN i.number ELSE '' END AS invoice_number,
       i.id AS invoice_id, i.client AS client_id, c.name AS client_name,
       l.description AS product, l.family, l.service_from, l.service_to,
       CASE WHEN v.shown THEN round(l.public_price * 100)::bigint ELSE 0 END AS public_price,
       CASE WHEN v.shown THEN round(l.volume_rate * 10000)::bigint ELSE 0 END AS volume_rate,
       round(l.partner_rate * 10000)::bigint AS partner_rate,
       CASE WHEN v.shown THEN round(l.amount * 100)::bigint ELSE 0 END AS amount,
       CASE WHEN v.shown THEN round(l.discount * 100)::bigint ELSE 0 END AS discount,
       round(l.cashback * 100)::bigint AS cashback,
       CASE WHEN v.shown THEN i.vat_rule ELSE '' END AS vat_rule,
       CASE WHEN v.shown THEN round(i.vat_rate * 10000)::bigint ELSE 0 END AS vat_rate,
       CASE WHEN v.shown THEN round(i.vat * 100)::bigint ELSE 0 END AS invoice_vat,
       i.currency, (i.payer = $1)::int AS partner_paid, v.shown::int AS shown, l.position
"""
# The Lines sheet and the CSV: by date, then invoice (an invoice's lines stay together).
LINES_ORDER = "ORDER BY i.issued_on, i.id, l.position"
LINES_SQL = LINES_COLUMNS + LINES_FROM + LINES_ORDER
# Each client's sheet: the clients in the order given ($8, the Summary's), then by date.
CLIENT_LINES_SQL = (
    LINES_COLUMNS
    + LINES_FROM.replace(
        "JOIN organisation c ON c.id = i.client",
        "JOIN organisation c ON c.id = i.client\n"
        "JOIN unnest($8::int[]) WITH ORDINALITY AS o(client, rank) ON o.client = i.client",
    )
    + "ORDER BY o.rank, i.currency, i.issued_on, i.id, l.position"
)
COUNT_SQL = "SELECT count(*) " + LINES_FROM
# What the writers need to know before the first line: how many lines, and how wide each
# column of the Lines sheet must be (its widths come before its rows in the file).
MEASURE_SQL = (
    """
SELECT count(*) AS lines,
       coalesce(max(length(c.name)), 0) AS client_name,
       coalesce(max(length(l.description)), 0) AS product,
       coalesce(max(length(i.number)) FILTER (WHERE v.shown), 0) AS invoice_number,
       coalesce(array_agg(DISTINCT l.family), '{}') AS families,
       coalesce(array_agg(DISTINCT i.vat_rule) FILTER (WHERE v.shown), '{}') AS vat_rules,
       coalesce(array_agg(DISTINCT i.currency), '{}') AS currencies,
       coalesce(array_agg(DISTINCT i.payer = $1), '{}') AS payers,
       coalesce(round(max(abs(l.public_price)) FILTER (WHERE v.shown) * 100), 0)::bigint
           AS public_price,
       coalesce(round(max(abs(l.amount)) FILTER (WHERE v.shown) * 100), 0)::bigint AS amount,
       coalesce(round(max(abs(l.discount)) FILTER (WHERE v.shown) * 100), 0)::bigint
           AS discount,
       coalesce(round(max(abs(l.cashback)) * 100), 0)::bigint AS cashback,
       coalesce(round(max(abs(i.vat)) FILTER (WHERE v.shown) * 100), 0)::bigint AS vat
"""
    + LINES_FROM
)

DATES = ["issued_on", "service_from", "service_to"]
DTYPES = {
    "invoice_number": "object",
    "invoice_id": "int64",
    "client_id": "int64",
    "client_name": "category",
    "product": "category",
    "family": "category",
    "public_price": "int64",
    "volume_rate": "int64",
    "partner_rate": "int64",
    "amount": "int64",
    "discount": "int64",
    "cashback": "int64",
    "vat_rule": "category",
    "vat_rate": "int64",
    "invoice_vat": "int64",
    "currency": "category",
    "partner_paid": "bool",
    "shown": "bool",
    "position": "int64",
}


@asynccontextmanager
async def _connection() -> AsyncIterator:
    """A pooled connection in the web app; a connection of its own in the command line or a
    worker, which have no pool."""
    if DB.pool is not None:
        async with DB.pool.acquire() as connection:
            yield connection
        return
    connection = await DB.get_new_connection()
    try:
        yield connection
    finally:
        await connection.close()


@asynccontextmanager
async def _planned_for_values() -> AsyncIterator:
    """A connection whose statements are planned for their values each time, in a transaction
    of their own (pooled connections keep no session state): after five runs a prepared
    statement may fall back to a generic plan, which cannot see that a manager's scope (`$4`)
    or the absence of a selection (`$7`) leaves nothing to check, and tests every link of the
    partner (a count of 10 ms became 40-80 ms). COPY needs none: its values are written into
    the statement. A page of lines keeps its generic plan: it reads a page's invoices by index
    either way, and planning each time cost more than it saved."""
    async with _connection() as connection, connection.transaction():
        await connection.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield connection


async def count_lines(lines: Lines) -> int:
    async with _planned_for_values() as connection:
        return await connection.fetchval(COUNT_SQL, *lines.arguments())


async def measure_lines(lines: Lines) -> dict:
    """How many lines, the longest texts and the largest amounts (MEASURE_SQL)."""
    async with _planned_for_values() as connection:
        row = await connection.fetchrow(MEASURE_SQL, *lines.arguments())
    return dict(row)


PART, FAILED = ".part", ".failed"
COPY_TIMEOUT = 600  # seconds a writer waits for the lines


@dataclass(eq=False)
class LinesFile:
    """A report's lines as PostgreSQL wrote them (COPY … TO, CSV with a header), in a file of
    the machine: read chunk by chunk, they never need to be in memory at once. The file takes
    its name once complete, so a writer may start before the lines are all there (a download
    starts at once) and waits for them. The process that made the file removes it when the
    object goes (the object sent to a writer process is a copy, which removes nothing)."""

    path: str
    rows: int  # known from the query that counted them until the copy says

    def __post_init__(self):
        weakref.finalize(self, _remove, self.path, self.path + PART, self.path + FAILED)

    def chunks(self, chunk_rows: int = READ_ROWS) -> Iterator[pd.DataFrame]:
        """The lines, CHUNK_ROWS at a time (texts as categories)."""
        self.wait()
        return read_chunks(self.path, DTYPES, DATES, chunk_rows, **CSV_OPTIONS)

    def frame(self) -> pd.DataFrame:
        """All the lines in one frame (a small report, or a test)."""
        self.wait()
        return frame_from_csv(self.path, self.rows, DTYPES, DATES, **CSV_OPTIONS)

    def wait(self, timeout: float = COPY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.path):
            if os.path.exists(self.path + FAILED) or time.monotonic() > deadline:
                raise RuntimeError("the report's lines could not be read from the database")
            time.sleep(0.005)


def _remove(*paths: str) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def lines_file(rows: int) -> LinesFile:
    """A new file's name, for ROWS lines still to be copied (copy_into)."""
    handle, part = tempfile.mkstemp(prefix="portal-report-", suffix=".csv" + PART)
    os.close(handle)
    return LinesFile(part.removesuffix(PART), rows)


async def copy_into(into: LinesFile, lines: Lines, *, client_order: list[int] | None = None) -> int:
    """LINES into INTO's file, by date; with CLIENT_ORDER, client after client in that order:
    amounts in integer cents, rates in ten-thousandths. How many were copied."""
    sql, arguments = LINES_SQL, lines.arguments()
    if client_order is not None:
        sql, arguments = CLIENT_LINES_SQL, (*arguments, list(client_order))
    try:
        async with _connection() as connection:
            status = await connection.copy_from_query(
                sql, *arguments, output=into.path + PART, format="csv", header=True
            )
    except BaseException:
        Path(into.path + FAILED).touch()  # a writer waiting for the lines stops
        raise
    os.replace(into.path + PART, into.path)
    return int(status.split()[-1])  # 'COPY 1000000'


async def copy_lines(lines: Lines, *, client_order: list[int] | None = None) -> LinesFile:
    """LINES in a file, once copied."""
    copied = lines_file(0)
    copied.rows = await copy_into(copied, lines, client_order=client_order)
    return copied


async def lines_frame(lines: Lines) -> pd.DataFrame:
    """LINES as one DataFrame: amounts in integer cents, rates in ten-thousandths."""
    copied = await copy_lines(lines)
    # pandas parses in C and lets go of the interpreter lock: in a thread, the event loop
    # keeps answering other requests meanwhile
    return await anyio.to_thread.run_sync(copied.frame)


CSV_OPTIONS = {
    "date_format": "%Y-%m-%d",
    "keep_default_na": False,
    "na_filter": False,
    "true_values": ["1"],
    "false_values": ["0"],
}


# The same lines, a page at a time, after the key (issue date, invoice, line) of the last line
# shown: the invoice's part of the key is an index range (invoice_partner_issued), so a page
# deep into a big period costs what the first does.
LINES_AFTER = """
  AND (i.issued_on, i.id) >= ($8, $9) AND (i.issued_on, i.id, l.position) > ($8, $9, $10)
"""


async def lines_page(
    lines: Lines, *, after: tuple[date, int, int] | None, size: int
) -> tuple[list[dict], bool]:
    """SIZE of LINES after AFTER (None: the first), with exact decimals."""
    if after is None:
        sql = LINES_PAGE_SQL.format(after="", limit="$8")
        values = (*lines.arguments(), size + 1)
    else:
        sql = LINES_PAGE_SQL.format(after=LINES_AFTER, limit="$11")
        values = (*lines.arguments(), *after, size + 1)
    async with _connection() as connection:
        rows = [dict(row) for row in await connection.fetch(sql, *values)]
    return rows[:size], len(rows) > size


# The report's lines with exact decimals rather than integer cents (for JSON and files).
LINES_DECIMAL_COLUMNS = """
SELECT issued_on, invoice_number, invoice_id, client_id, client_name, product, family,
       service_from, service_to, (public_price / 100.0)::numeric(14, 2) AS public_price,
       (volume_rate / 10000.0)::numeric(8, 4) AS volume_rate,
       (partner_rate / 10000.0)::numeric(8, 4) AS partner_rate,
       (amount / 100.0)::numeric(14, 2) AS amount,
       (discount / 100.0)::numeric(14, 2) AS discount,
       (cashback / 100.0)::numeric(14, 2) AS cashback, vat_rule,
       (vat_rate / 10000.0)::numeric(8, 4) AS vat_rate,
       (invoice_vat / 100.0)::numeric(14, 2) AS invoice_vat, currency,
       partner_paid = 1 AS partner_paid, shown = 1 AS shown, position
"""
LINES_PAGE_SQL = (
    LINES_DECIMAL_COLUMNS
    + "FROM ("
    + LINES_COLUMNS.replace("{", "{{").replace("}", "}}")
    + LINES_FROM
    + "{after}) lines ORDER BY issued_on, invoice_id, position LIMIT {limit}"
)


# The billing feed's file (docs/rules.md, The billing feed): the month's lines as the report
# has them, with who paid and whether the partner sees the line in full spelled out, and the
# lines recorded after the month's first version ($8; NULL before it) marked as corrections.
FEED_COLUMNS = (
    "issued_on, invoice_number, invoice_id, client_id, client_name, product, family, "
    "service_from, service_to, public_price, volume_rate, partner_rate, amount, discount, "
    "cashback, vat_rule, vat_rate, invoice_vat, currency, paid_by, in_full, correction, position"
)
# The feed's month holds the lines issued in it and the credit notes of its invoices, whenever
# they were issued: a credit note corrects the month of the invoice it credits.
FEED_FROM = LINES_FROM.replace(
    "FROM invoice i\n", "FROM invoice i\nLEFT JOIN invoice credited ON credited.id = i.credits\n"
).replace(
    "i.issued_on BETWEEN $2 AND $3", "coalesce(credited.issued_on, i.issued_on) BETWEEN $2 AND $3"
)
FEED_SQL = (
    "SELECT issued_on, invoice_number, invoice_id, client_id, client_name, product, family, "
    "service_from, service_to, public_price, volume_rate, partner_rate, amount, discount, "
    "cashback, vat_rule, vat_rate, invoice_vat, currency, "
    "CASE WHEN partner_paid THEN 'partner' ELSE 'client' END AS paid_by, "
    "shown::text AS in_full, coalesce((SELECT r.created_at FROM invoice r "
    "WHERE r.id = feed.invoice_id) > $8::timestamptz, false)::text AS correction, "
    "position FROM ("
    + LINES_DECIMAL_COLUMNS
    + "FROM ("
    + LINES_COLUMNS
    + FEED_FROM
    + ") lines) feed ORDER BY issued_on, invoice_id, position"
)
# The newest invoice of the month the feed holds: one written after it reaches the month.
FEED_THROUGH_SQL = """
SELECT max(i.created_at) FROM invoice i LEFT JOIN invoice credited ON credited.id = i.credits
WHERE i.partner = $1 AND coalesce(credited.issued_on, i.issued_on) BETWEEN $2 AND $3
"""


async def copy_feed_lines(path: str, lines: Lines, first_published) -> tuple[int, object]:
    """Write the month's feed LINES to PATH as CSV, those recorded after FIRST_PUBLISHED (the
    month's first version; None before it) marked as corrections; how many, and the newest
    invoice's time, read in one snapshot."""
    async with _connection() as connection, connection.transaction(isolation="repeatable_read"):
        through = await connection.fetchval(
            FEED_THROUGH_SQL, lines.partner_id, lines.start, lines.end
        )
        status = await connection.copy_from_query(
            FEED_SQL, *lines.arguments(), first_published, output=path, format="csv", header=True
        )
    return int(status.split()[-1]), through
