"""The pages of background reports through HTTP: the report page and its htmx progress
fragment, the download (authorized), "Retry", "My reports" and the monthly setting."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from portal.exports.reports import jobs, queries
from portal.exports.reports.tables import ReportFile, ReportSubscription
from portal.organisations.tables import Membership
from tests.factories.accounts import logged_in_browser
from tests.factories.exports import build_world, start_report
from tests.factories.jobs import eventually
from tests.factories.web import pager_link, post_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTMX = {"HX-Request": "true"}


@pytest.fixture
async def world(db):
    return await build_world()


async def _ready(report_id: int):
    report = await queries.report_by_id(report_id)
    return report if report["status"] == "ready" else None


async def test_a_queued_report_shows_its_progress_and_polls_until_ready(
    client, world, start_worker
):
    report_id = await start_report(world, "legal@muster.ch", 50)
    browser = await logged_in_browser(client, "legal@muster.ch")

    page = await browser.get(f"/exports/reports/{report_id}")
    assert page.status_code == 200
    assert "<html" in page.text and "Waiting for a worker" in page.text
    assert 'hx-trigger="every 1s"' in page.text
    assert f'href="/exports/reports/{report_id}"' in page.text  # refresh without JavaScript
    fragment = await browser.get(f"/exports/reports/{report_id}", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert fragment.text.lstrip().startswith(f'<div id="report-{report_id}-progress"')
    assert fragment.headers["cache-control"] == "no-store"
    assert "HX-Request" in fragment.headers["vary"]

    await start_worker(jobs=jobs.JOBS)
    await eventually(lambda: _ready(report_id), 90, "the report")
    done = await browser.get(f"/exports/reports/{report_id}", headers=HTMX)
    assert "Ready" in done.text
    assert done.status_code == 286  # htmx's stop-polling status (litestar-htmx's HXStopPolling)
    assert "hx-trigger" not in done.text  # and the new fragment polls no more
    assert f'href="/exports/reports/{report_id}/download"' in done.text
    assert (await browser.get(f"/exports/reports/{report_id}")).status_code == 200  # the page

    download = await browser.get(f"/exports/reports/{report_id}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == XLSX
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="billing-muster-web-ag-2026-08-01-to-2026-08-28'
    )
    await browser.aclose()


async def _ready_report(world, email: str, start_worker) -> int:
    report_id = await start_report(world, email, 0)
    await start_worker(jobs=jobs.JOBS)
    await eventually(lambda: _ready(report_id), 90, "the report")
    return report_id


async def test_the_downloaded_file_is_the_report_and_opens_in_excel(client, world, start_worker):
    report_id = await _ready_report(world, "legal@muster.ch", start_worker)
    browser = await logged_in_browser(client, "legal@muster.ch")
    download = await browser.get(f"/exports/reports/{report_id}/download")
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.content))
    assert workbook.sheetnames[:2] == ["Summary", "Lines"]
    await browser.aclose()


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("legal@muster.ch", 200),  # the requester
        ("admin@muster.ch", 200),  # a manager sees every client: no secret in it
        ("helper@muster.ch", 404),  # a collaborator: it may hold clients not given to them
        ("plain@muster.ch", 404),  # no billing rights, not theirs
        ("legal@rival.de", 404),  # another partner
        ("owner@alpha.ch", 404),  # a client of the partner
    ],
)
async def test_who_may_open_and_download_a_report(client, world, start_worker, email, status):
    report_id = await _ready_report(world, "billing@muster.ch", start_worker)
    browser = await logged_in_browser(client, email)
    page = await browser.get(f"/exports/reports/{report_id}")
    download = await browser.get(f"/exports/reports/{report_id}/download")
    assert (page.status_code, download.status_code) == (status, status)
    if status == 404:
        assert "billing-muster" not in page.text
    await browser.aclose()


async def test_a_requester_who_lost_the_right_to_export_is_told_so(client, world, start_worker):
    report_id = await _ready_report(world, "billing@muster.ch", start_worker)
    await Membership.update({Membership.billing_rights: False}).where(
        Membership.account == world.people["billing@muster.ch"]
    )
    browser = await logged_in_browser(client, "billing@muster.ch")
    assert (await browser.get(f"/exports/reports/{report_id}")).status_code == 403
    assert (await browser.get(f"/exports/reports/{report_id}/download")).status_code == 403
    await browser.aclose()


async def test_unknown_and_absurd_report_ids_are_404(client, world):
    browser = await logged_in_browser(client, "legal@muster.ch")
    for path in (
        "/exports/reports/999999",
        "/exports/reports/99999999999999",
        "/exports/reports/0/download",
    ):
        assert (await browser.get(path)).status_code == 404, path
    response = await post_form(browser, "/exports/reports/99999999999999/retry")
    assert response.status_code == 404
    await browser.aclose()


async def test_a_report_not_ready_or_expired_does_not_download_and_says_why(client, world):
    report_id = await start_report(world, "legal@muster.ch", 0)
    browser = await logged_in_browser(client, "legal@muster.ch")
    waiting = await browser.get(f"/exports/reports/{report_id}/download")
    assert waiting.status_code == 409
    assert "not written yet" in waiting.text

    past = datetime.now(UTC) - timedelta(days=8)
    await ReportFile.update(
        {ReportFile.status: "expired", ReportFile.finished_at: past, ReportFile.expires_at: past}
    ).where(ReportFile.id == report_id)
    expired = await browser.get(f"/exports/reports/{report_id}/download")
    assert expired.status_code == 409 and "expired" in expired.text
    page = await browser.get(f"/exports/reports/{report_id}")
    assert "its file was deleted" in page.text
    await browser.aclose()


async def test_a_failed_report_says_why_and_retry_queues_it_again(client, world, start_worker):
    report_id = await start_report(world, "legal@muster.ch", 0)
    await queries.mark_failed(report_id, "The database was restarted.", datetime.now(UTC))
    browser = await logged_in_browser(client, "legal@muster.ch")
    page = await browser.get(f"/exports/reports/{report_id}")
    assert "The database was restarted." in page.text
    assert f'action="/exports/reports/{report_id}/retry"' in page.text

    retried = await post_form(browser, f"/exports/reports/{report_id}/retry")
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/exports/reports/{report_id}"
    report = await queries.report_by_id(report_id)
    assert (report["status"], report["error"]) == ("queued", "")
    again = await post_form(browser, f"/exports/reports/{report_id}/retry")
    assert again.status_code == 409  # only a failed report retries

    await start_worker(jobs=jobs.JOBS)
    await eventually(lambda: _ready(report_id), 90, "the retried report")
    await browser.aclose()


async def test_another_person_cannot_retry_a_report(client, world):
    report_id = await start_report(world, "billing@muster.ch", 0)
    await queries.mark_failed(report_id, "Broken.", datetime.now(UTC))
    for email in ("helper@muster.ch", "legal@rival.de"):
        browser = await logged_in_browser(client, email)
        assert (await post_form(browser, f"/exports/reports/{report_id}/retry")).status_code == 404
        await browser.aclose()
    assert (await queries.report_by_id(report_id))["status"] == "failed"


async def test_my_reports_starts_empty_lists_mine_only_and_pages_by_twenty(client, world):
    browser = await logged_in_browser(client, "legal@muster.ch")
    empty = await browser.get("/exports/reports")
    assert empty.status_code == 200
    assert "No report yet" in empty.text

    for _ in range(21):
        await start_report(world, "legal@muster.ch", 0)
    await start_report(world, "billing@muster.ch", 0)
    first = await browser.get("/exports/reports")
    assert first.text.count('data-testid="report-row"') == 20
    second = await browser.get(pager_link(first.text, "next"))
    assert second.text.count('data-testid="report-row"') == 1

    colleague = await logged_in_browser(client, "billing@muster.ch")
    assert (await colleague.get("/exports/reports")).text.count('data-testid="report-row"') == 1
    await colleague.aclose()
    await browser.aclose()


@pytest.mark.parametrize("email", ["plain@muster.ch", "owner@alpha.ch"])
async def test_my_reports_is_for_people_who_may_export(client, world, email):
    browser = await logged_in_browser(client, email)
    assert (await browser.get("/exports/reports")).status_code == 403
    assert (
        await post_form(browser, "/exports/reports/monthly", {"monthly": "on"})
    ).status_code == 403
    await browser.aclose()


async def test_the_monthly_delivery_is_switched_on_and_off(client, world):
    browser = await logged_in_browser(client, "billing@muster.ch")
    response = await post_form(
        browser, "/exports/reports/monthly", {"monthly": "on", "file_format": "csv"}
    )
    assert response.status_code == 303
    [row] = await ReportSubscription.select()
    assert (row["account"], row["organisation"], row["file_format"]) == (
        world.people["billing@muster.ch"],
        world.partner,
        "csv",
    )
    page = await browser.get("/exports/reports")
    assert 'data-testid="subscribed"' in page.text

    bad = await post_form(
        browser, "/exports/reports/monthly", {"monthly": "on", "file_format": "pdf"}
    )
    assert bad.status_code == 422
    assert "Choose a format from the list." in bad.text

    off = await post_form(browser, "/exports/reports/monthly", {})
    assert off.status_code == 303
    assert await ReportSubscription.count() == 0
    await browser.aclose()


async def test_the_report_form_sends_a_large_report_to_the_background(client, world):
    from tests.factories.exports import add_lines

    await add_lines(world.partner, world.full_client, 5_001, date(2026, 8, 1))
    browser = await logged_in_browser(client, "helper@muster.ch")  # given the full client
    form = {"period": "range", "period_start": "2026-08-01", "period_end": "2026-08-31"}
    response = await post_form(browser, "/exports", {**form, "format": "csv", "clients": "all"})
    assert response.status_code == 303, response.text
    [report] = await ReportFile.select()
    assert response.headers["location"] == f"/exports/reports/{report['id']}"
    assert (report["status"], report["file_format"], report["requested_by"]) == (
        "queued",
        "csv",
        world.people["helper@muster.ch"],
    )
    page = await browser.get(response.headers["location"])
    assert "being written in the background" in page.text  # the flash says what happened
    # a small one still comes straight back
    small = {"period": "range", "period_start": "2026-07-01", "period_end": "2026-07-31"}
    direct = await post_form(browser, "/exports", {**small, "format": "csv", "clients": "all"})
    assert direct.status_code == 200
    assert direct.headers["content-disposition"].startswith("attachment")
    assert await ReportFile.count() == 1
    await browser.aclose()


async def test_a_report_without_progress_for_minutes_says_it_may_be_taken_over(client, world):
    report_id = await start_report(world, "legal@muster.ch", 0)
    quiet = datetime.now(UTC) - timedelta(minutes=5)
    await ReportFile.update(
        {ReportFile.status: "running", ReportFile.progress_at: quiet, ReportFile.rows_total: 9}
    ).where(ReportFile.id == report_id)
    browser = await logged_in_browser(client, "legal@muster.ch")
    fragment = await browser.get(f"/exports/reports/{report_id}", headers=HTMX)
    assert 'data-testid="stalled"' in fragment.text
    assert 'hx-trigger="every 1s"' in fragment.text  # it keeps watching
    await browser.aclose()


@pytest.mark.parametrize(
    ("old", "new"),
    [("/my-reports", "/exports/reports"), ("/my-reports/42", "/exports/reports/42")],
)
async def test_the_old_addresses_of_my_reports_move_permanently(client, old, new):
    """Mails sent before the move link /my-reports/<id>."""
    moved = await client.get(old)
    assert moved.status_code == 301
    assert moved.headers["location"] == new
