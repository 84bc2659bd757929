"""Many invoice lines at once for the background-report tests: on top of the exports world
(tests/exports_world.py), one invoice per line for a client, written by one SQL statement."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest
from piccolo.querystring import QueryString

from portal.core.current import current_of
from portal.jobs.worker import run_worker
from portal.piccolo_conf import DB

BULK_SQL = """
WITH made AS (
    INSERT INTO invoice (number, payer, client, partner, currency, issued_on, vat_rule, vat_rate,
                         net, vat, gross, paid_at, paid_with, created_at)
    SELECT 'INV-BULK-' || {} || '-' || n, {}, {}, {}, 'CHF', {}::date + (n % 28), 'swiss_vat',
           0.0810, 10.00, 0.81, 10.81, now(), 'card', now()
    FROM generate_series(1, {}) AS n
    RETURNING id, issued_on
)
INSERT INTO invoice_line (invoice, product, description, family, service_from, service_to,
                          ordered_by, public_price, volume_rate, partner_rate, amount, cashback,
                          discount, position)
SELECT id, NULL, 'Web hosting — site ' || id, 'web_hosting', issued_on, issued_on + 30, 'client',
       12.50, 0, 0.2000, 10.00, 2.50, 0, 1
FROM made
"""

_batches = iter(range(1, 10**6))


async def add_lines(partner: int, client: int, count: int, month_start: date) -> None:
    """COUNT invoices of one line each, paid by CLIENT (a full-access client of PARTNER), in
    the 28 first days of the month starting MONTH_START."""
    await DB.run_querystring(
        QueryString(BULK_SQL, str(next(_batches)), client, client, partner, month_start, count)
    )


async def start_report(
    world, email: str, count: int, *, file_format: str = "xlsx", month=date(2026, 8, 1)
) -> int:
    """COUNT more lines for the world's full client in the month of MONTH, and a background
    report of that month by EMAIL; the report's id."""
    from portal.exports.billing_report import ReportRequest
    from portal.exports.reports.services import start_report as start

    if count:
        await add_lines(world.partner, world.full_client, count, month)
    account = world.people[email]
    request = ReportRequest(
        partner_id=world.partner,
        period_start=month,
        period_end=month.replace(day=28),
        format=file_format,
        requested_by=account,
    )
    return await start(await current_of(account, world.partner), request)


# --- an in-process worker -----------------------------------------------------------------


async def eventually(check, timeout: float = 20, what: str = "the condition"):
    """Await CHECK() until it returns something truthy, at most TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s (last: {found!r})")
        await asyncio.sleep(0.1)


@pytest.fixture
async def start_worker(settings, tmp_path):
    """`await start_worker(jobs=[…], periodic=[…])` runs a worker until the test ends."""
    running: list[tuple[asyncio.Event, asyncio.Task]] = []
    worker_settings = replace(
        settings, data_dir=tmp_path / "data", job_heartbeat=timedelta(seconds=2)
    )

    async def start(*, jobs=(), periodic=()):
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(worker_settings, stop, jobs=jobs, periodic=periodic))
        running.append((stop, task))
        return worker_settings

    yield start
    for stop, _ in running:
        stop.set()
    for _, task in running:
        await asyncio.wait_for(task, timeout=30)
