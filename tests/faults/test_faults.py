"""`portal serve` through faults, in real processes: its database stopped and restarted under
load, a web worker and the job worker killed. The portal comes back by itself each time,
with nothing lost and nothing done twice; and stopping it stops its database."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from datetime import date

import asyncpg
import httpx
import pytest

from portal.mail.services import Mail, queue_mail
from tests.factories.exports import build_world, start_report
from tests.factories.servers import HEARTBEAT_SECONDS, Browser, PortalServer, alive, using_database

pytestmark = pytest.mark.faults


@dataclass
class Answer:
    at: float
    path: str
    status: int | None  # None: no answer at all (refused, cut, timed out)
    retry_after: str | None
    text: str
    seconds: float


async def watch(browser: Browser, paths: tuple[str, ...], stop: asyncio.Event, seen: list):
    """Ask for PATHS again and again until STOP, as people keep using the portal."""
    while not stop.is_set():
        for path in paths:
            started = time.monotonic()
            try:
                response = await browser.get(path)
                status, retry_after, text = (
                    response.status_code,
                    response.headers.get("retry-after"),
                    response.text,
                )
            except httpx.HTTPError as error:
                status, retry_after, text = None, None, repr(error)
            seen.append(
                Answer(started, path, status, retry_after, text, time.monotonic() - started)
            )
        await asyncio.sleep(0.05)


def unhandled_errors(server: PortalServer) -> str:
    """The server's tracebacks of unhandled errors, for a failure to say what went wrong."""
    output = server.output()
    return output[output.find("Unhandled error") :][:4000] if "Unhandled error" in output else ""


async def eventually(check, timeout: float, what: str):
    async def check_now():
        return check()

    return await eventually_async(check_now, timeout, what)


async def eventually_async(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        await asyncio.sleep(0.1)
    return found


# --- the database stops, then comes back ---------------------------------------------------


async def test_pages_answer_503_while_the_database_is_down_and_work_again_after(
    portal_server: PortalServer,
):
    browser = Browser(portal_server.base_url)
    await browser.sign_up("carla@example.ch", "Fault Test AG")
    assert (await browser.get("/")).status_code == 200
    answers: list[Answer] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(browser, ("/", "/health"), stop, answers))
    options = None
    try:
        await asyncio.sleep(0.5)
        options = await asyncio.to_thread(portal_server.stop_database)
        stopped = time.monotonic()

        def refused(path: str) -> list[Answer]:
            return [a for a in answers if a.at > stopped and a.path == path and a.status == 503]

        await eventually(lambda: len(refused("/")) >= 3 and refused("/health"), 20, "503s")
        await asyncio.to_thread(portal_server.start_database, options)
        options = None
        started = time.monotonic()
        back = await eventually(
            lambda: [a for a in answers if a.at > started and a.path == "/" and a.status == 200],
            20,
            "the overview page after the database came back",
        )
        await asyncio.sleep(1)
    finally:
        stop.set()
        await watcher
        await browser.close()
        if options is not None:  # the test failed with the database stopped
            await asyncio.to_thread(portal_server.start_database, options)

    assert {a.status for a in answers} <= {200, 503}, (
        [(a.path, a.status) for a in answers if a.status not in {200, 503}],
        unhandled_errors(portal_server),
    )
    page, probe = refused("/")[0], refused("/health")[0]
    assert page.retry_after == "5" and "cannot reach its database" in page.text
    assert "Back to the overview" in page.text  # the portal's own error page
    assert probe.retry_after == "5" and "database unavailable" in probe.text
    assert max(a.seconds for a in answers) < 10, "a request hung"
    healed = [a for a in answers if a.at > back[0].at]
    assert healed and {a.status for a in healed} == {200}


# --- the job worker through a database restart ----------------------------------------------

REPORT_LINES = 40_000
AUGUST, SEPTEMBER = date(2026, 8, 1), date(2026, 9, 1)


@pytest.fixture(scope="module")
async def world(portal_server: PortalServer):
    """A partner with clients and people (tests/factories/exports.py), in the server's database."""
    with using_database(portal_server.database_url):
        return await build_world()


async def report_state(server: PortalServer, report_id: int) -> dict:
    connection = await asyncpg.connect(server.database_url)
    try:
        row = await connection.fetchrow(
            "SELECT status, rows_written, rows_total, attempts, error FROM report_file "
            "WHERE id = $1",
            report_id,
        )
    finally:
        await connection.close()
    return dict(row)


async def queue_mails(server: PortalServer, subject: str, count: int) -> set[str]:
    """COUNT mails queued as the portal queues them; their recipients."""
    recipients = {f"{subject.lower().replace(' ', '-')}-{n}@example.ch" for n in range(count)}
    with using_database(server.database_url):
        for recipient in recipients:
            await queue_mail(Mail(recipient, subject, "Sent through a fault test."))
    return recipients


async def report_writing(server: PortalServer, report_id: int) -> bool:
    state = await report_state(server, report_id)
    return state["status"] == "running" and state["rows_written"] > 0


async def report_finished(server: PortalServer, report_id: int) -> dict | None:
    state = await report_state(server, report_id)
    return state if state["status"] in {"ready", "failed"} else None


def stored_reports(server: PortalServer, partner_id: int, report_id: int) -> int:
    return len(list((server.data_dir / "reports" / str(partner_id)).glob(f"{report_id}-*")))


def delivered(smtp, recipients: set[str]) -> list[str]:
    return [m["To"] for m in smtp.messages if m["To"] in recipients]


async def test_the_job_worker_reconnects_after_a_database_restart_and_loses_nothing(
    portal_server: PortalServer, fault_smtp, world
):
    [worker] = portal_server.job_workers()
    with using_database(portal_server.database_url):
        report_id = await start_report(world, "legal@muster.ch", REPORT_LINES, month=AUGUST)
    before = await queue_mails(portal_server, "Before restart", 3)
    await eventually_async(lambda: report_writing(portal_server, report_id), 60, "the writing")
    await asyncio.to_thread(portal_server.restart_database)
    after = await queue_mails(portal_server, "After restart", 3)
    report = await eventually_async(
        lambda: report_finished(portal_server, report_id), 90, "the report"
    )
    await eventually(lambda: len(delivered(fault_smtp, before | after)) >= 6, 30, "the mails")
    await asyncio.sleep(HEARTBEAT_SECONDS + 1)  # a mail sent twice would be by now

    assert report["status"] == "ready", report["error"]
    assert report["rows_written"] == report["rows_total"] >= REPORT_LINES
    assert stored_reports(portal_server, world.partner, report_id) == 1  # no half or stray one
    assert sorted(delivered(fault_smtp, before | after)) == sorted(before | after)  # once each
    assert portal_server.job_workers() == [worker]  # the same process, connected again
    assert "Lost the database" in portal_server.output()


# --- killed processes -----------------------------------------------------------------------


async def test_a_killed_job_worker_is_started_again_and_finishes_the_report(
    portal_server: PortalServer, fault_smtp, world
):
    [doomed] = portal_server.job_workers()
    with using_database(portal_server.database_url):
        report_id = await start_report(world, "legal@muster.ch", REPORT_LINES, month=SEPTEMBER)
    await eventually_async(lambda: report_writing(portal_server, report_id), 60, "the writing")
    os.kill(doomed.pid, signal.SIGKILL)
    killed = time.monotonic()
    [successor] = await eventually(
        lambda: [w for w in portal_server.job_workers() if w.pid != doomed.pid],
        20,
        "a new job worker",
    )
    restarted_after = time.monotonic() - killed
    mails = await queue_mails(portal_server, "After the kill", 3)
    report = await eventually_async(
        lambda: report_finished(portal_server, report_id), 90, "the report"
    )
    await eventually(lambda: len(delivered(fault_smtp, mails)) >= 3, 30, "the mails")

    assert restarted_after < 5
    assert report["status"] == "ready", report["error"]
    assert report["attempts"] == 2  # taken again once its heartbeat was missed
    assert report["rows_written"] == report["rows_total"] >= REPORT_LINES
    assert stored_reports(portal_server, world.partner, report_id) == 1
    assert sorted(delivered(fault_smtp, mails)) == sorted(mails)
    assert alive(successor) and portal_server.process.poll() is None
    assert "The job worker exited" in portal_server.output()


# granian gives up, as a crash loop, when a worker dies this soon after the last respawn
GRANIAN_CRASH_LOOP_SECONDS = 6


async def test_killed_web_workers_are_replaced_and_the_others_serve_meanwhile(
    portal_server: PortalServer,
):
    """Each of the two web workers is killed in turn, the second once the first's
    replacement runs: that replacement then serves alone, so it serves."""
    browser = Browser(portal_server.base_url)
    await browser.sign_up("dora@example.ch", "Web Worker AG")
    answers: list[Answer] = []
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(browser, ("/", "/health"), stop, answers))
    killed = []
    try:
        await asyncio.sleep(0.5)
        for doomed in portal_server.web_workers():
            if killed:
                await asyncio.sleep(GRANIAN_CRASH_LOOP_SECONDS)
            os.kill(doomed.pid, signal.SIGKILL)
            killed.append(doomed.pid)
            await eventually(
                lambda: (
                    len(portal_server.web_workers()) == 2
                    and not set(killed) & {w.pid for w in portal_server.web_workers()}
                ),
                20,
                "a new web worker",
            )
        await asyncio.sleep(1)
    finally:
        stop.set()
        await watcher
        await browser.close()

    assert portal_server.process.poll() is None and len(killed) == 2
    # a request in a killed worker's hands is lost with it; every other one is answered
    lost = [a.text[:200] for a in answers if a.status is None]
    assert len(lost) <= 2 * len(killed), lost[:5]
    assert {a.status for a in answers} - {None} == {200}
    assert [a.status for a in answers[-10:]] == [200] * 10


# --- stopping -------------------------------------------------------------------------------


async def test_stopping_the_portal_after_a_database_restart_stops_its_database(
    portal_server: PortalServer,
):
    first = portal_server.postmaster()
    await asyncio.to_thread(portal_server.restart_database)
    restarted = portal_server.postmaster()
    assert restarted is not None and restarted.pid != first.pid
    # gone for good, as anywhere once its parent reaped it (here that takes a moment)
    await eventually(lambda: not first.is_running(), 30, "the first postmaster to be reaped")

    assert await asyncio.to_thread(portal_server.stop) == 0
    assert not alive(restarted)
    assert portal_server.postmaster() is None
