"""A partner asks for last quarter's report on a data set big enough for the background: the
form sends it to the queue, the report's page shows the progress bar moving (htmx polling)
while a `portal worker` beside the server writes it, then the download; the test opens the
file with openpyxl."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime

import openpyxl
import pytest
from playwright.async_api import expect

from portal.exports.reports.rules import BACKGROUND_THRESHOLD
from portal.exports.rules import previous_quarter
from tests.factories.accounts import PASSWORD
from tests.factories.exports import add_lines, build_world
from tests.factories.servers import ROOT

pytestmark = pytest.mark.browser

BULK_LINES = 120_000  # enough writing to be seen part way at one poll a second


@pytest.fixture
def worker_beside(live_server, migrated):
    """`start()` runs a `portal worker` on the live server's database and data folder."""
    started = []

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": migrated,
            "PORTAL_SECRET_KEY": "browser-test",
            "PORTAL_BASE_URL": live_server.url,
            "PORTAL_DATA_DIR": str(live_server.log.parent / "data"),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD"):
            env.pop(name, None)
        log = (live_server.log.parent / "worker.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_a_big_report_runs_in_the_background_with_a_progress_bar(
    db, page, page_errors, screenshots, tmp_path, worker_beside
):
    world = await build_world()
    quarter = previous_quarter(datetime.now(UTC).date())
    await add_lines(world.partner, world.full_client, BULK_LINES, quarter.start)
    assert BULK_LINES > BACKGROUND_THRESHOLD

    await page.goto("/login")
    await page.get_by_label("Email address").fill("legal@muster.ch")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/$"))
    await page.get_by_role("link", name="Reports", exact=True).click()
    await page.get_by_label("Last quarter").check()
    await page.get_by_label("Excel workbook (.xlsx)").check()
    await page.get_by_role("button", name="Download the report").click()

    # too big to wait for: the report's own page, waiting for a worker
    await page.wait_for_url(re.compile(r"/exports/reports/\d+$"))
    progress = page.get_by_test_id("report-progress")
    await expect(progress).to_have_attribute("data-status", "queued")
    await expect(page.get_by_text("You can leave this page")).to_be_visible()
    await screenshots.take(page, "queued")

    report_url = page.url
    worker_beside()
    seen = await _watch(page, screenshots, timeout=120)
    (screenshots.folder / "progress-seen.txt").write_text("\n".join(map(str, seen)))
    await screenshots.take(page, "ready")
    assert seen[-1] == ("ready", 100)
    assert any(status == "running" and 0 < percent < 100 for status, percent in seen), seen
    assert page.url == report_url  # no navigation: htmx swapped the block in place

    async with page.expect_download() as waiting:
        await page.get_by_test_id("download").click()
    download = await waiting.value
    assert re.fullmatch(
        rf"billing-muster-web-ag-{quarter.start}-to-{quarter.end}-\d{{8}}-\d{{4}}\.xlsx",
        download.suggested_filename,
    )
    path = tmp_path / download.suggested_filename
    await download.save_as(path)

    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["Summary", "Lines"]
    bulk = sum(
        1
        for row in workbook["Lines"].iter_rows(values_only=True)
        if any(isinstance(value, str) and value.startswith("INV-BULK-") for value in row)
    )
    assert bulk == BULK_LINES
    workbook.close()

    await page.get_by_role("link", name="My reports").first.click()
    await expect(page.get_by_test_id("report-row")).to_have_count(1)
    await expect(page.get_by_test_id("report-row")).to_contain_text("Ready")
    await screenshots.take(page, "reports")
    assert page_errors == []


async def _watch(page, screenshots, timeout: float) -> list[tuple[str, int]]:
    """The progress block's (status, percent) each time it changes, until ready or failed;
    a screenshot of the bar the first time it is part way."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        block = page.get_by_test_id("report-progress")
        status = await block.get_attribute("data-status")
        bar = block.locator("progress")
        percent = int(await bar.get_attribute("value")) if await bar.count() else 0
        if not seen or seen[-1] != (status, percent):
            seen.append((status, percent))
            if status == "running" and 0 < percent < 100 and len(seen) < 30:
                await screenshots.take(page, f"running-{percent}")
        if status in {"ready", "failed"}:
            return seen
        await page.wait_for_timeout(150)
    raise AssertionError(f"the report was not ready in {timeout} s: {seen}")
