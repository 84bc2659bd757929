"""The worker: takes jobs from the queue and runs them, and fires the periodic jobs.

Several workers (processes, machines) may run against one database: the queue hands each
job to one of them, and each periodic job fires in one of them. A job whose worker dies
(kill -9, out of memory) stops sending heartbeats; after `job_heartbeat` another worker
takes it again, and its starts are counted so that it is retried or reported, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pgqueuer import PgQueuer, RetryRequested
from pgqueuer.models import Job as QueuedJob
from pgqueuer.models import Schedule

from portal.database import is_unavailable, retrying_conflicts
from portal.jobs import rules
from portal.jobs.registry import Job, JobContext, JobFailed, Periodic
from portal.piccolo_conf import CONNECT_TIMEOUT, DB, connect_or_unavailable
from portal.settings import Settings

log = logging.getLogger(__name__)

# Jobs are taken one at a time, and each lane of a process holds at most two at once
# (pgqueuer caps a queue at twice its batch): a report's lines sit in memory while it is
# written, so more reports at once means more worker processes, not more per process. Queued
# jobs are taken by priority, then age (rules.*_PRIORITY): mail first.
CONCURRENT_JOBS = 1
# New jobs wake the worker at once (LISTEN/NOTIFY); this bounds the wait when a
# notification is missed or a retry's delay ends.
POLL_INTERVAL = timedelta(seconds=2)


async def run_worker(
    settings: Settings,
    stop: asyncio.Event,
    *,
    jobs: Sequence[Job],
    periodic: Sequence[Periodic],
) -> None:
    """Work until STOP is set, then finish the jobs in hand and return.

    Two lanes, each a queue of its own on its own connection: long-running jobs (reports)
    in one, quick ones (mail, notifications) and the periodic jobs in the other. A mail is
    never stuck behind the reports a worker is writing, whatever their priorities."""
    lanes = [
        ([job for job in jobs if job.long_running], []),
        ([job for job in jobs if not job.long_running], periodic),
    ]
    owns_pool = DB.pool is None
    if owns_pool:
        await DB.start_connection_pool(min_size=0, max_size=4)  # none needed to start
    try:
        await asyncio.gather(
            *(
                _run_lane(settings, stop, lane_jobs, lane_periodic)
                for lane_jobs, lane_periodic in lanes
                if lane_jobs or lane_periodic
            )
        )
    finally:
        if owns_pool:
            await DB.close_connection_pool()


async def _run_lane(
    settings: Settings, stop: asyncio.Event, jobs: Sequence[Job], periodic: Sequence[Periodic]
) -> None:
    """Run the lane's queue until STOP. When it stops on its own (the database restarted
    and took the queue's connection with it), connect again, waiting longer after each
    quick stop (rules.restart_delay). A job cut off meanwhile is taken again once its
    heartbeat is missed, as after any lost worker."""
    quick_stops = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            await _run_queue(settings, stop, jobs, periodic)
        except Exception as error:
            ran_for = timedelta(seconds=time.monotonic() - started)
            quick_stops = rules.quick_stops_after(quick_stops, ran_for)
            delay = rules.restart_delay(quick_stops)
            if is_unavailable(error):
                log.warning("Lost the database (%r); connecting again in %s.", error, delay)
            else:
                log.exception("The job queue stopped; starting it again in %s.", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay.total_seconds())


async def _run_queue(
    settings: Settings, stop: asyncio.Event, jobs: Sequence[Job], periodic: Sequence[Periodic]
) -> None:
    listener = await connect_or_unavailable(DB.config["dsn"], timeout=CONNECT_TIMEOUT)
    try:
        queue = PgQueuer.from_asyncpg_connection(listener)
        for job in jobs:
            queue.entrypoint(job.name, accepts_context=False)(_job_runner(job, settings))
        for task in periodic:
            queue.schedule(task.name, task.cron, accepts_context=False)(
                _periodic_runner(task, settings)
            )
        stopping = asyncio.create_task(_forward(stop, queue.shutdown))
        try:
            await queue.run(
                dequeue_timeout=POLL_INTERVAL,
                batch_size=CONCURRENT_JOBS,
                max_concurrent_tasks=2 * CONCURRENT_JOBS,
                heartbeat_timeout=settings.job_heartbeat,
            )
        finally:
            stopping.cancel()
    finally:
        await listener.close()


async def _forward(stop: asyncio.Event, shutdown: asyncio.Event) -> None:
    await stop.wait()
    log.info("Worker stopping: finishing the jobs in hand.")
    shutdown.set()


def _job_runner(job: Job, settings: Settings):
    async def run(queued: QueuedJob) -> None:
        payload = json.loads(queued.payload or b"{}")
        start = await _record_start(int(queued.id), job.name)
        context = JobContext(settings, int(queued.id), start, job.max_attempts)
        log.info("Job %s #%s started (start %d).", job.name, queued.id, start)
        if rules.interrupted_too_often(start, job.max_attempts):
            await _give_up(
                job,
                context,
                payload,
                f"It was interrupted {job.max_attempts} times: the worker doing it stopped "
                "before it could finish.",
            )
            return
        try:
            await retrying_conflicts(lambda: job.run(context, payload))
        except JobFailed as failure:
            await _give_up(job, context, payload, failure.reason)
        except Exception as error:
            if rules.gives_up(start, job.max_attempts):
                log.exception("Job %s #%s failed on its last attempt.", job.name, queued.id)
                await _give_up(job, context, payload, _describe(error))
                return
            delay = rules.retry_delay(start, job.first_retry_delay)
            log.warning("Job %s #%s failed (%r); retry in %s.", job.name, queued.id, error, delay)
            raise RetryRequested(delay=delay, reason=str(error)[:500]) from error
        else:
            await _forget_starts(int(queued.id))
            log.info("Job %s #%s done.", job.name, queued.id)

    run.__name__ = job.name.replace(".", "_")
    return run


def _describe(error: Exception) -> str:
    """What people are told about an unexpected failure; the traceback is in the log."""
    return f"An unexpected error stopped it ({type(error).__name__}). Nothing was lost."


async def _give_up(job: Job, context: JobContext, payload: dict, reason: str) -> None:
    log.warning("Job %s #%s given up: %s", job.name, context.job_id, reason)
    if job.gave_up is not None:
        await job.gave_up(context, payload, reason)
    await _forget_starts(context.job_id)


def _periodic_runner(task: Periodic, settings: Settings):
    async def run(schedule: Schedule) -> None:
        await retrying_conflicts(lambda: task.run(settings, datetime.now(UTC)))

    run.__name__ = task.name.replace(".", "_")
    return run


async def _record_start(job_id: int, name: str) -> int:
    rows = await DB.run_querystring(_start_sql(job_id, name))
    return rows[0]["starts"]


def _start_sql(job_id: int, name: str):
    from piccolo.querystring import QueryString

    return QueryString(
        "INSERT INTO job_start (job_id, entrypoint) VALUES ({}, {}) "
        "ON CONFLICT (job_id) DO UPDATE SET starts = job_start.starts + 1, "
        "last_started_at = now() RETURNING starts",
        job_id,
        name,
    )


async def _forget_starts(job_id: int) -> None:
    from piccolo.querystring import QueryString

    await DB.run_querystring(QueryString("DELETE FROM job_start WHERE job_id = {}", job_id))
