"""CSV downloads that stream: the rows of one ordered query leave PostgreSQL as CSV (COPY … TO
STDOUT) and go to the browser chunk by chunk, never held whole. Memory stays flat however long
the list, nothing is cut off, and the first bytes leave as soon as the query starts returning.

Only a few chunks wait between the database and the browser: a slow reader slows the query
down instead of filling the server's memory. A query that fails half-way aborts the download
(the browser sees it as failed), rather than ending it as if it were complete."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from litestar.response import Stream
from piccolo.querystring import QueryString

from portal.download_rules import FORMULA_TRIGGERS, content_disposition
from portal.piccolo_conf import DB

BOM = "\ufeff".encode()  # Excel then reads the file as UTF-8
CHUNKS_IN_FLIGHT = 8
_DONE = object()


def spreadsheet_text(expression: str) -> str:
    """SQL for EXPRESSION as text a spreadsheet shows as it is: a value that would start a
    formula gets a leading apostrophe (as portal.exports.rules.neutralise does)."""
    starts = ", ".join(
        "E'\\t'" if c == "\t" else "E'\\r'" if c == "\r" else f"'{c}'" for c in FORMULA_TRIGGERS
    )
    return (
        f"CASE WHEN left({expression}, 1) IN ({starts}) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


def csv_download(sql: str, arguments: Sequence, filename: str) -> Stream:
    """The response streaming the CSV of SQL (with Piccolo's `{}` placeholders for ARGUMENTS):
    its column names as the header, UTF-8 with a BOM."""
    return Stream(
        csv_chunks(sql, arguments),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": content_disposition(filename),
            "cache-control": "no-store",
        },
    )


async def csv_chunks(sql: str, arguments: Sequence) -> AsyncIterator[bytes]:
    """The BOM, then the CSV of SQL as PostgreSQL writes it, chunk by chunk."""
    text, values = QueryString(sql, *arguments).compile_string(engine_type="postgres")
    async with _connection() as connection:
        queue: asyncio.Queue = asyncio.Queue(maxsize=CHUNKS_IN_FLIGHT)

        async def copy() -> None:
            try:
                await connection.copy_from_query(
                    text, *values, output=queue.put, format="csv", header=True
                )
            finally:  # the end (or the error) for the reader, unless it went away
                if not asyncio.current_task().cancelling():
                    await queue.put(_DONE)

        copying = asyncio.create_task(copy())
        try:
            yield BOM
            while (chunk := await queue.get()) is not _DONE:
                yield bytes(chunk)
            await copying  # the query's error, if it failed
        finally:
            if not copying.done():  # the browser went away: stop reading
                # a COPY cut short leaves the connection unusable: close it (the server stops
                # the query), and the pool opens a new one when it needs it
                connection.terminate()
                copying.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await copying


@contextlib.asynccontextmanager
async def _connection() -> AsyncIterator:
    if DB.pool is not None:
        async with DB.pool.acquire() as connection:
            yield connection
        return
    connection = await DB.get_new_connection()
    try:
        yield connection
    finally:
        await connection.close()
