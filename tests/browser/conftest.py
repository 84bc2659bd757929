"""Browser fixtures: the production server (granian) in a subprocess on the test database,
Debian's Chromium driven by Playwright, and a folder of screenshots kept for each journey."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.factories.servers import ROOT, LiveServer, _wait_for_health, free_port

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

if TYPE_CHECKING:
    from playwright.async_api import Page


def pytest_collection_modifyitems(config, items):
    """Without Debian's Chromium, browser tests skip on a developer's machine but fail in CI,
    where a silent skip would hide that the journeys never ran."""
    if CHROMIUM.exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so that fixtures can see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter):
    if ARTIFACTS.exists() and any(ARTIFACTS.rglob("*.png")):
        terminalreporter.write_line(f"Browser screenshots: {ARTIFACTS}")


@pytest.fixture(scope="session")
def live_server(migrated: str, tmp_path_factory) -> Iterator[LiveServer]:
    """`granian` serving portal.app:app_from_environment, as in production, on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    folder = tmp_path_factory.mktemp("live-server")
    env = {
        **os.environ,
        "DATABASE_URL": migrated,
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_BASE_URL": url,
        "PORTAL_DATA_DIR": str(folder / "data"),
        "PORTAL_DEVELOPMENT": "1",  # as `portal serve --demo`: staff read the mail outbox
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD"):
        env.pop(name, None)  # mails go to the development outbox, never out of this machine
    log = folder / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--factory",
                "portal.app:app_from_environment",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url, process, log)
    try:
        _wait_for_health(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "server.log")


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
def page_errors() -> list[str]:
    """JavaScript errors and console errors (a CSP violation is one) seen by `page`."""
    return []


@pytest.fixture
async def open_page(
    request, browser, live_server: LiveServer, page_errors: list[str], screenshots
) -> AsyncIterator:
    """Opens a page in a fresh browser profile (no cookies) on the live server, 1280×900,
    English: one profile per user of a journey. `await open_page("client")` labels the
    problems and failure screenshots of that profile. When the test fails, each page is kept
    as it was: a screenshot and its HTML."""
    opened: list[tuple] = []

    async def open_(label: str = "") -> Page:
        context = await browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-GB"
        )
        context.set_default_timeout(15_000)
        tab = await context.new_page()
        prefix = f"[{label}] " if label else ""
        tab.on("pageerror", lambda error: page_errors.append(f"{prefix}JavaScript error: {error}"))
        tab.on("console", lambda message: _console_error(message, page_errors, prefix))
        tab.on("response", lambda response: _failed_resource(response, page_errors, prefix))
        opened.append((context, tab, label))
        return tab

    yield open_
    failed = getattr(request.node, "report_call", None)
    for context, tab, label in opened:
        if failed is not None and failed.failed and not tab.is_closed():
            name = f"FAILED-{label}" if label else "FAILED"
            await screenshots.take(tab, name)
            (screenshots.folder / f"{name}.html").write_text(await tab.content())
        await context.close()


@pytest.fixture
async def page(open_page) -> Page:
    """One user's page: see open_page."""
    return await open_page()


def _console_error(message, problems: list[str], prefix: str = "") -> None:
    # Chromium also logs each 4xx/5xx response here; those are judged in _failed_resource.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        problems.append(f"{prefix}console error: {message.text}")  # a CSP violation, for one


def _failed_resource(response, problems: list[str], prefix: str = "") -> None:
    """A 5xx anywhere, or a stylesheet, script, image or icon that is missing. A page answering
    422 to a bad form or 429 to too many attempts is the app doing its job."""
    request = response.request
    if response.status >= 500 or (response.status >= 400 and request.resource_type != "document"):
        problems.append(f"{prefix}{response.status} for {request.resource_type} {request.url}")


class Screenshots:
    """Numbered full-page screenshots of one test, in test-artifacts/browser/<test>/."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def take(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screenshots(request) -> Screenshots:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)  # only this run's pictures
    folder.mkdir(parents=True)
    return Screenshots(folder)
