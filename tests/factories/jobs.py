"""The job queue in tests: what is queued, a worker that runs it, waiting for it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from portal.jobs.worker import run_worker


async def queued_jobs(names) -> int:
    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB

    rows = await DB.run_querystring(
        QueryString("SELECT count(*) AS n FROM pgqueuer WHERE entrypoint = ANY({})", list(names))
    )
    return rows[0]["n"]


async def work_off_queue(settings, jobs=None) -> None:
    """Run the real worker with JOBS (the tenders' and the mail's) until none of them is left
    queued, as the worker beside `portal serve` would."""
    import asyncio
    import time

    from portal.jobs.worker import run_worker
    from portal.mail.jobs import JOBS as MAIL_JOBS
    from portal.tenders.jobs import JOBS

    jobs = [*JOBS, *MAIL_JOBS] if jobs is None else jobs
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop, jobs=jobs, periodic=()))
    try:
        deadline = time.monotonic() + 30
        while await queued_jobs(job.name for job in jobs):
            assert time.monotonic() < deadline, "the queued jobs were not worked off"
            assert not worker.done(), worker
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=30)


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
