"""An in-process worker on the test's event loop, stopped (and awaited) after the test."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta

import pytest

from portal.jobs.worker import run_worker


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

    async def start(*, jobs=None, periodic=()):
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(worker_settings, stop, jobs=jobs, periodic=periodic))
        running.append((stop, task))
        return worker_settings

    yield start
    for stop, _ in running:
        stop.set()
    for _, task in running:
        await asyncio.wait_for(task, timeout=30)
