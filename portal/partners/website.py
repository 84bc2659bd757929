"""Criterion 2, measured: does the applicant's website answer? The server asks it once, in the
background (the page never waits for a slow site), and stores the result with its time; the
checklist polls until a result for that address exists."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from portal.outbound import RefusedAddress, private_hosts_hook
from portal.partners import queries
from portal.partners.rules import WebsiteCheck, answers

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds for each step (connect, read); the whole check gets twice that
MAX_REDIRECTS = 5
MAX_IN_FLIGHT = 50  # in this process: typing addresses must not make the server a crawler
MAX_IN_FLIGHT_PER_ORGANISATION = 3
USER_AGENT = "PartnerPortal-WebsiteCheck/1.0 (+programme eligibility)"

# SSRF: for a user's address the server never fetches loopback, private or link-local
# networks (portal/outbound.py); PORTAL_ALLOW_PRIVATE_WEBSITE_CHECKS=1 lets loopback and
# private networks through, for tests against a local server and closed installations.
ALLOW_PRIVATE_ENV = "PORTAL_ALLOW_PRIVATE_WEBSITE_CHECKS"

OnChecked = Callable[[WebsiteCheck], Awaitable[None]]
_in_flight: dict[tuple[int, str], asyncio.Task] = {}


def private_addresses_allowed() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV) == "1"


async def probe(url: str) -> WebsiteCheck:
    """Ask URL once: any HTTP answer below 500 counts; the body is never read."""
    try:
        async with (
            asyncio.timeout(2 * TIMEOUT),
            httpx.AsyncClient(
                timeout=TIMEOUT,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                headers={"user-agent": USER_AGENT},
                event_hooks={
                    "request": [private_hosts_hook(allow_private=private_addresses_allowed())]
                },
                trust_env=False,  # no proxy from the environment: the check goes direct
            ) as client,
            client.stream("GET", url) as response,
        ):
            status = response.status_code
        answered, detail = answers(status), f"HTTP {status}"
    except RefusedAddress as refused:
        answered, detail = False, f"refused: {refused}"
    except (TimeoutError, httpx.TimeoutException):
        answered, detail = False, f"no answer within {TIMEOUT:.0f} s"
    except httpx.TooManyRedirects:
        answered, detail = False, "too many redirects"
    except socket.gaierror:
        answered, detail = False, "the address was not found"
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as error:
        answered, detail = False, _describe(error)
    return WebsiteCheck(url, answered, detail, datetime.now(UTC))


def _describe(error: Exception) -> str:
    if isinstance(error, httpx.ConnectError):
        return "the connection failed"
    if isinstance(error, httpx.InvalidURL | ValueError):
        return "not a valid web address"
    return "the site could not be reached"


async def check_and_store(
    organisation_id: int, url: str, on_checked: OnChecked | None = None
) -> WebsiteCheck:
    result = await probe(url)
    await queries.insert_website_check(organisation_id, result)
    if on_checked is not None:
        await on_checked(result)
    return result


def start_check(organisation_id: int, url: str, on_checked: OnChecked | None = None) -> bool:
    """Check URL in the background unless that check is already running; False when too many
    checks run (the checklist keeps polling and asks again)."""
    key = (organisation_id, url)
    running = _in_flight.get(key)
    if running is not None and not running.done():
        return True
    if len(_in_flight) >= MAX_IN_FLIGHT or (
        sum(1 for org, _ in _in_flight if org == organisation_id) >= MAX_IN_FLIGHT_PER_ORGANISATION
    ):
        return False
    task = asyncio.create_task(_run(organisation_id, url, on_checked))
    _in_flight[key] = task
    task.add_done_callback(lambda finished: _forget(key, finished))
    return True


async def _run(organisation_id: int, url: str, on_checked: OnChecked | None) -> None:
    try:
        await check_and_store(organisation_id, url, on_checked)
    except Exception:  # a background task has nobody to answer to: log it
        log.exception("Website check of %s for organisation %s failed", url, organisation_id)


def _forget(key: tuple[int, str], finished: asyncio.Task) -> None:
    if _in_flight.get(key) is finished:
        del _in_flight[key]


def running(organisation_id: int, url: str) -> bool:
    task = _in_flight.get((organisation_id, url))
    return task is not None and not task.done()


async def settle() -> None:
    """Wait for every running check (tests; a clean shutdown)."""
    while _in_flight:
        await asyncio.gather(*list(_in_flight.values()), return_exceptions=True)
