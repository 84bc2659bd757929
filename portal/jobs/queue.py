"""Putting work on the queue. Inside the caller's transaction when there is one, so that a
job exists exactly when the rows it works on were committed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
from pgqueuer import AsyncpgDriver, Queries

from portal.jobs import rules
from portal.piccolo_conf import DB


async def enqueue(
    job_name: str,
    payload: Mapping,
    *,
    delay: timedelta | None = None,
    priority: int = rules.BACKGROUND_PRIORITY,
) -> int:
    """Queue JOB_NAME with a JSON PAYLOAD, taken before queued jobs of a lower PRIORITY (see
    portal/jobs/rules.py); the queue's job id."""
    data = json.dumps(dict(payload)).encode()
    async with _connection() as connection:
        queries = Queries(AsyncpgDriver(connection))
        ids = await queries.enqueue(job_name, data, priority, delay)
    return int(ids[0])


async def enqueue_many(
    job_name: str, payloads: list[Mapping], *, priority: int = rules.BACKGROUND_PRIORITY
) -> list[int]:
    """Queue JOB_NAME once per payload, in one statement (as `enqueue`, many at once)."""
    if not payloads:
        return []
    data = [json.dumps(dict(payload)).encode() for payload in payloads]
    async with _connection() as connection:
        queries = Queries(AsyncpgDriver(connection))
        ids = await queries.enqueue(
            [job_name] * len(data), data, [priority] * len(data), [None] * len(data)
        )
    return [int(job_id) for job_id in ids]


@asynccontextmanager
async def _connection() -> AsyncIterator[asyncpg.Connection]:
    transaction = DB.current_transaction.get()
    if transaction is not None:
        yield transaction.connection
    elif DB.pool is not None:
        async with DB.pool.acquire() as connection:
            yield connection
    else:  # a command-line process without a pool
        connection = await asyncpg.connect(**DB.config)
        try:
            yield connection
        finally:
            await connection.close()
