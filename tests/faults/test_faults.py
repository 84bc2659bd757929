"""`portal serve` through faults, in real processes: its database stopped under load. Pages
answer 503 meanwhile, and work again by themselves once it is back."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import pytest

from tests.faults.server import (
    Browser,
    PortalServer,
)

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

    assert {a.status for a in answers} <= {200, 503}, [
        (a.path, a.status, a.text[:300]) for a in answers if a.status not in {200, 503}
    ]
    page, probe = refused("/")[0], refused("/health")[0]
    assert page.retry_after == "5" and "cannot reach its database" in page.text
    assert "Back to the overview" in page.text  # the portal's own error page
    assert probe.retry_after == "5" and "database unavailable" in probe.text
    assert max(a.seconds for a in answers) < 10, "a request hung"
    healed = [a for a in answers if a.at > back[0].at]
    assert healed and {a.status for a in healed} == {200}
