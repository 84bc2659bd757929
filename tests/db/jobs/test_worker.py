"""The queue and its worker on the real PostgreSQL, with jobs made for the test."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from piccolo.querystring import QueryString

from portal.jobs.queue import enqueue
from portal.jobs.registry import Job, JobFailed
from portal.piccolo_conf import DB
from tests.factories.jobs import eventually


async def _count(sql: str) -> int:
    rows = await DB.run_querystring(QueryString(sql))
    return rows[0]["count"]


async def test_a_queued_job_runs_once_with_its_payload(db, start_worker):
    seen = []

    async def echo(context, payload):
        seen.append((context.start, payload))

    await start_worker(jobs=[Job("test.echo", echo)])
    await enqueue("test.echo", {"greeting": "grüezi", "n": 1})
    await eventually(lambda: _async(seen), what="the job's run")
    assert seen == [(1, {"greeting": "grüezi", "n": 1})]
    # done: its count of starts is forgotten
    await eventually(lambda: _count_is("SELECT count(*) FROM job_start", 0))


async def test_a_job_queued_in_a_rolled_back_transaction_does_not_exist(db):
    with pytest.raises(RuntimeError):
        async with DB.transaction():
            await enqueue("test.echo", {"n": 1})
            raise RuntimeError("the service's write failed")
    assert await _count("SELECT count(*) FROM pgqueuer") == 0


async def test_a_failing_job_is_retried_and_then_succeeds(db, start_worker):
    starts = []

    async def flaky(context, payload):
        starts.append(context.start)
        if context.start == 1:
            raise ConnectionError("the database went away for a moment")

    await start_worker(jobs=[Job("test.flaky", flaky, first_retry_delay=timedelta(0))])
    await enqueue("test.flaky", {})
    await eventually(lambda: _async(starts == [1, 2]), what="the retry")
    await eventually(lambda: _count_is("SELECT count(*) FROM job_start", 0))


async def test_the_worker_connects_again_after_the_database_cut_its_connections(
    db, start_worker, database_url
):
    """As when the database restarts: the queue's connections are gone; the worker connects
    again by itself and takes the jobs queued since."""
    seen = []

    async def echo(context, payload):
        seen.append(payload["n"])

    await start_worker(jobs=[Job("test.echo", echo)])
    await enqueue("test.echo", {"n": 1})
    await eventually(lambda: _async(seen == [1]), what="the first job")
    connection = await asyncpg.connect(database_url)
    try:
        cut = await connection.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    assert cut >= 2  # the two lanes' connections to the queue, at least
    await asyncio.sleep(0.5)  # the pool sees its connections closed
    await enqueue("test.echo", {"n": 2})
    await eventually(lambda: _async(seen == [1, 2]), 20, "the job queued after the cut")


async def test_a_job_rolled_back_by_a_deadlock_runs_again_at_once_in_the_same_start(
    db, start_worker
):
    starts = []

    async def deadlocked_once(context, payload):
        starts.append(context.start)
        if len(starts) == 1:
            raise asyncpg.DeadlockDetectedError("deadlock detected")

    # a retry through the queue would wait an hour: only the run again in place is seen
    job = Job("test.deadlocked", deadlocked_once, first_retry_delay=timedelta(hours=1))
    await start_worker(jobs=[job])
    await enqueue("test.deadlocked", {})
    await eventually(lambda: _async(len(starts) == 2), what="the second run")
    assert starts == [1, 1]
    await eventually(lambda: _count_is("SELECT count(*) FROM job_start", 0))


async def test_a_job_failing_every_time_is_given_up_after_three_starts_and_says_why(
    db, start_worker
):
    starts, given_up = [], []

    async def broken(context, payload):
        starts.append(context.start)
        raise ValueError("no such thing")

    async def gave_up(context, payload, reason):
        given_up.append((context.start, payload, reason))

    job = Job("test.broken", broken, gave_up=gave_up, first_retry_delay=timedelta(0))
    await start_worker(jobs=[job])
    await enqueue("test.broken", {"report_id": 7})
    await eventually(lambda: _async(given_up), what="giving up")
    assert starts == [1, 2, 3]
    assert given_up == [
        (3, {"report_id": 7}, "An unexpected error stopped it (ValueError). Nothing was lost.")
    ]


async def test_a_failure_retrying_cannot_mend_is_given_up_at_once_with_its_own_reason(
    db, start_worker
):
    starts, given_up = [], []

    async def refused(context, payload):
        starts.append(context.start)
        raise JobFailed("You may no longer export this partner's billing.")

    async def gave_up(context, payload, reason):
        given_up.append(reason)

    await start_worker(jobs=[Job("test.refused", refused, gave_up=gave_up)])
    await enqueue("test.refused", {})
    await eventually(lambda: _async(given_up), what="giving up")
    assert starts == [1]
    assert given_up == ["You may no longer export this partner's billing."]


async def test_a_job_whose_worker_died_on_every_start_is_reported_not_run_again(db, start_worker):
    """Three starts already counted (three workers killed in the middle): the fourth start
    reports it instead of running it once more."""
    ran, given_up = [], []

    async def work(context, payload):
        ran.append(context.start)

    async def gave_up(context, payload, reason):
        given_up.append(reason)

    job_id = await enqueue("test.crashing", {})
    await DB.run_querystring(
        QueryString(
            "INSERT INTO job_start (job_id, entrypoint, starts) VALUES ({}, 'test.crashing', 3)",
            job_id,
        )
    )
    await start_worker(jobs=[Job("test.crashing", work, gave_up=gave_up)])
    await eventually(lambda: _async(given_up), what="the report of the interrupted job")
    assert ran == []
    assert "interrupted 3 times" in given_up[0]


async def test_two_workers_share_the_queue_and_each_job_runs_once(db, start_worker):
    runs = []

    async def note(context, payload):
        runs.append(payload["n"])

    job = Job("test.note", note)
    await start_worker(jobs=[job])
    await start_worker(jobs=[job])
    for n in range(20):
        await enqueue("test.note", {"n": n})
    await eventually(lambda: _async(len(runs) >= 20), what="twenty runs")
    assert sorted(runs) == list(range(20))


async def test_the_worker_registers_the_periodic_jobs_once_each(db, start_worker):
    from portal.accounts.jobs import PERIODIC as ACCOUNT_PERIODIC
    from portal.jobs.housekeeping import PERIODIC as QUEUE_PERIODIC
    from portal.mail.jobs import PERIODIC as MAIL_PERIODIC

    periodic = [*ACCOUNT_PERIODIC, *MAIL_PERIODIC, *QUEUE_PERIODIC]
    await start_worker(jobs=[], periodic=periodic)
    await start_worker(jobs=[], periodic=periodic)

    async def schedules():
        return await DB.run_querystring(
            QueryString("SELECT entrypoint, expression FROM pgqueuer_schedules ORDER BY 1")
        )

    found = await eventually(schedules, what="the schedules")
    assert [(row["entrypoint"], row["expression"]) for row in found] == [
        ("housekeeping.purge_ended_sessions", "17 * * * *"),
        ("housekeeping.purge_old_job_log", "29 3 * * *"),
        ("housekeeping.purge_old_outbox_mail", "23 3 * * *"),
        ("housekeeping.purge_old_reminders", "31 3 * * *"),
        ("mail.release_held", "* * * * *"),
    ]


async def _count_is(sql: str, expected: int) -> bool:
    return await _count(sql) == expected


async def _async(value):
    return value
