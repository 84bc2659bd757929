"""Background reports through the queue and an in-process worker, on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from piccolo.querystring import QueryString

from portal.exports.reports import jobs, queries
from portal.exports.reports.tables import ReportFile
from portal.jobs.registry import JobContext
from portal.jobs.rules import MAIL_PRIORITY
from portal.organisations.tables import Membership
from portal.piccolo_conf import DB
from tests.factories.exports import build_world, start_report
from tests.factories.jobs import eventually
from tests.factories.mail import delivered_by_the_worker, queued_mails_to

PROGRESS_LOG = """
CREATE TABLE IF NOT EXISTS test_progress_log (report integer, rows_written integer, status text);
CREATE OR REPLACE FUNCTION test_log_progress() RETURNS trigger AS $$
BEGIN
    INSERT INTO test_progress_log VALUES (NEW.id, NEW.rows_written, NEW.status);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS test_log_progress ON report_file;
CREATE TRIGGER test_log_progress AFTER UPDATE OF rows_written ON report_file
    FOR EACH ROW EXECUTE FUNCTION test_log_progress();
TRUNCATE test_progress_log;
"""


@pytest.fixture
async def progress_log(db):
    """Every write of rows_written, as the database saw it (a trigger made for the test)."""
    from portal.database import execute_script

    await execute_script(PROGRESS_LOG)
    yield
    await execute_script(
        "DROP TRIGGER test_log_progress ON report_file; DROP TABLE test_progress_log;"
    )


async def _expected_lines(report: dict) -> int:
    """What the export core counts for the report's request, as its requester."""
    from portal.exports.billing_report import ReportRequest, count_report_lines

    return await count_report_lines(None, ReportRequest.from_dict(report["parameters"]))


async def _report(report_id: int) -> dict:
    return await queries.report_by_id(report_id)


async def _finished(report_id: int):
    report = await _report(report_id)
    return report if report["status"] in {"ready", "failed"} else None


async def test_a_background_report_saves_its_progress_as_it_goes_and_keeps_the_file(
    db, progress_log, start_worker
):
    world = await build_world()
    report_id = await start_report(world, "legal@muster.ch", 12_000)
    assert (await _report(report_id))["status"] == "queued"

    settings = await start_worker(jobs=jobs.JOBS)
    report = await eventually(lambda: _finished(report_id), 90, "the report")

    assert report["status"] == "ready", report["error"]
    total = report["rows_total"]
    assert total == await _expected_lines(report) > 12_000
    assert report["rows_written"] == total
    log = await DB.run_querystring(
        QueryString("SELECT rows_written FROM test_progress_log WHERE status = 'running'")
    )
    # 0 at the start of the run, then as the writer's chunks of rows are done: never every row
    saved = [row["rows_written"] for row in log]
    assert saved[0] == 0 and saved[-1] == total
    assert saved == sorted(set(saved)) and 3 <= len(saved) <= total // 1_000 + 2
    assert report["expires_at"] - report["finished_at"] == timedelta(days=7)
    path = Path(settings.data_dir) / report["file_path"]
    assert path.is_file() and path.stat().st_size == report["file_size"]
    assert report["file_name"].startswith("billing-muster-web-ag-2026-08-01-to-2026-08-28")
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert "Lines" in workbook.sheetnames
    lines = workbook["Lines"]
    bulk = sum(
        1
        for row in lines.iter_rows(values_only=True)
        if any(isinstance(value, str) and value.startswith("INV-BULK-") for value in row)
    )
    assert bulk == 12_000
    workbook.close()
    assert not list(path.parent.glob("*.part"))


async def test_a_csv_report_has_one_row_per_line(db, start_worker):
    world = await build_world()
    # a collaborator, given the client of the lines
    report_id = await start_report(world, "helper@muster.ch", 6_000, file_format="csv")
    settings = await start_worker(jobs=jobs.JOBS)
    report = await eventually(lambda: _finished(report_id), 90, "the report")
    assert report["status"] == "ready", report["error"]
    path = Path(settings.data_dir) / report["file_path"]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 1 + report["rows_total"] == 1 + await _expected_lines(report)
    assert report["rows_total"] > 6_000


async def test_a_requester_who_lost_the_right_to_export_gets_a_failed_report_saying_why(
    db, start_worker
):
    world = await build_world()
    report_id = await start_report(world, "billing@muster.ch", 10)
    await Membership.update({Membership.billing_rights: False}).where(
        Membership.account == world.people["billing@muster.ch"]
    )
    await start_worker(jobs=jobs.JOBS)
    report = await eventually(lambda: _finished(report_id), 90, "the report")
    assert report["status"] == "failed"
    assert report["error"] == jobs.NOT_ALLOWED
    assert report["attempts"] == 1  # not retried: trying again would not mend it
    assert report["file_path"] == ""


async def _subscribe(world, email: str, since: datetime, file_format: str = "xlsx") -> None:
    await queries.subscribe(world.partner, world.people[email], file_format)
    await ReportFile.raw(
        "UPDATE report_subscription SET created_at = {} WHERE account = {}",
        since,
        world.people[email],
    )


async def test_on_the_first_the_monthly_reports_are_queued_once_made_and_mailed(
    db, settings, start_worker, mail_settings, smtp
):
    world = await build_world()
    await _subscribe(world, "legal@muster.ch", datetime(2026, 8, 20, tzinfo=UTC))
    await _subscribe(world, "billing@muster.ch", datetime(2026, 9, 3, tzinfo=UTC), "csv")
    first_of_september = datetime(2026, 9, 1, 5, 5, tzinfo=UTC)

    assert await jobs.deliver_monthly_reports(settings, first_of_september) == 1
    # the hourly run after it, or a second worker's, queues nothing more
    assert await jobs.deliver_monthly_reports(settings, first_of_september) == 0

    [queued] = await ReportFile.select().where(ReportFile.kind == "monthly")
    assert queued["requested_by"] == world.people["legal@muster.ch"]
    assert (queued["period_start"].isoformat(), queued["period_end"].isoformat()) == (
        "2026-08-01",
        "2026-08-31",
    )
    await start_worker(jobs=jobs.JOBS)
    report = await eventually(lambda: _finished(queued["id"]), 90, "the monthly report")
    assert report["status"] == "ready", report["error"]
    assert report["rows_total"] == await _expected_lines(report) > 0

    # queued in the commit that made the report ready; the mail job hands it to SMTP
    (mail,) = await queued_mails_to("legal@muster.ch")
    assert mail["subject"] == "Your billing report for August 2026 is ready"
    assert "2026-08-01 to 2026-08-31" in mail["body"]
    assert f"https://portal.test/exports/reports/{queued['id']}" in mail["body"]
    assert "after logging in" in mail["body"]
    body = await delivered_by_the_worker(mail_settings, smtp, "legal@muster.ch", MAIL_PRIORITY)
    assert f"https://portal.test/exports/reports/{queued['id']}" in body

    # October 1st: September is due for both (the second subscribed on 3 September)
    october = datetime(2026, 10, 1, 5, 5, tzinfo=UTC)
    assert await jobs.deliver_monthly_reports(settings, october) == 2


async def test_expired_files_are_deleted_and_their_reports_say_so(db, start_worker):
    world = await build_world()
    report_id = await start_report(world, "legal@muster.ch", 0)
    settings = await start_worker(jobs=jobs.JOBS)
    report = await eventually(lambda: _finished(report_id), 90, "the report")
    path = Path(settings.data_dir) / report["file_path"]
    assert path.is_file()

    assert (
        await jobs.delete_expired_reports(settings, report["expires_at"] - timedelta(hours=1)) == 0
    )
    assert path.is_file()
    assert await jobs.delete_expired_reports(settings, report["expires_at"]) == 1
    assert not path.exists()
    expired = await _report(report_id)
    assert (expired["status"], expired["file_path"]) == ("expired", "")


async def test_a_monthly_report_that_cannot_be_made_is_mailed_as_such(db, settings, start_worker):
    world = await build_world()
    await _subscribe(world, "billing@muster.ch", datetime(2026, 8, 20, tzinfo=UTC))
    await Membership.update({Membership.billing_rights: False}).where(
        Membership.account == world.people["billing@muster.ch"]
    )
    assert await jobs.deliver_monthly_reports(settings, datetime(2026, 9, 1, tzinfo=UTC)) == 1
    await start_worker(jobs=jobs.JOBS)
    [queued] = await ReportFile.select(ReportFile.id)
    report = await eventually(lambda: _finished(queued["id"]), 90, "the monthly report")
    assert report["status"] == "failed"
    (mail,) = await queued_mails_to("billing@muster.ch")  # queued in the same commit
    assert mail["subject"] == "Your billing report for August 2026 could not be made"
    assert jobs.NOT_ALLOWED in mail["body"] and mail["priority"] == MAIL_PRIORITY


async def _monthly_report(settings) -> int:
    world = await build_world()
    await _subscribe(world, "legal@muster.ch", datetime(2026, 8, 20, tzinfo=UTC))
    assert await jobs.deliver_monthly_reports(settings, datetime(2026, 9, 1, tzinfo=UTC)) == 1
    [queued] = await ReportFile.select(ReportFile.id)
    return queued["id"]


def _files(settings) -> list[Path]:
    return sorted(p for p in Path(settings.data_dir).rglob("*") if p.is_file())


@pytest.fixture
def held_first_write(monkeypatch):
    """The first report written waits, once it has begun, until the test lets it go on: what
    another run does meanwhile is then what a worker would see."""
    writing, go_on = threading.Event(), threading.Event()
    write, calls = jobs.write_report, []

    def held(*args):
        calls.append(args)
        if len(calls) == 1:
            writing.set()
            go_on.wait(timeout=30)
        write(*args)

    monkeypatch.setattr(jobs, "write_report", held)
    return writing, go_on


async def _held_run(settings, tmp_path, held_first_write):
    """A monthly report and the first run of its job, held mid-write: (the settings the runs
    share, the job's payload, the running task, the event that lets it go on)."""
    writing, go_on = held_first_write
    settings = replace(settings, data_dir=tmp_path / "data")
    payload = {"report_id": await _monthly_report(settings)}
    first_run = asyncio.create_task(jobs.write_report_file(JobContext(settings, 1, 1, 3), payload))
    await asyncio.to_thread(writing.wait, 30)
    return settings, payload, first_run, go_on


async def test_a_report_taken_again_while_it_is_written_is_made_and_mailed_once(
    db, settings, tmp_path, held_first_write
):
    """A missed heartbeat gives the job to a second run while the first still writes: the
    run that marked the report running last keeps it; the other's file is removed."""
    settings, payload, first_run, go_on = await _held_run(settings, tmp_path, held_first_write)
    report_id = payload["report_id"]
    await jobs.write_report_file(JobContext(settings, 1, 2, 3), payload)
    go_on.set()
    await first_run

    report = await _report(report_id)
    assert (report["status"], report["attempts"]) == ("ready", 2)
    (mail,) = await queued_mails_to("legal@muster.ch")
    assert mail["subject"] == "Your billing report for August 2026 is ready"
    assert _files(settings) == [Path(settings.data_dir) / report["file_path"]]


async def test_a_report_given_up_while_it_was_written_stays_failed_and_unmailed_as_ready(
    db, settings, tmp_path, held_first_write
):
    settings, payload, first_run, go_on = await _held_run(settings, tmp_path, held_first_write)
    report_id = payload["report_id"]
    await jobs.report_gave_up(JobContext(settings, 1, 4, 3), payload, "It was interrupted.")
    go_on.set()
    await first_run

    assert (await _report(report_id))["status"] == "failed"
    (mail,) = await queued_mails_to("legal@muster.ch")
    assert mail["subject"] == "Your billing report for August 2026 could not be made"
    assert _files(settings) == []


async def test_a_run_cancelled_mid_write_stops_its_writer_and_leaves_no_file(
    db, settings, tmp_path, held_first_write, monkeypatch
):
    """A worker that loses the queue's connection cancels the jobs in hand. The writer's
    thread cannot be cancelled: the run stops it and waits for it, so that no file of it
    appears afterwards, beside the one of the run that takes the report again."""
    writer_ended = threading.Event()
    held = jobs.write_report

    def watched(*args):
        try:
            held(*args)
        finally:
            writer_ended.set()

    monkeypatch.setattr(jobs, "write_report", watched)
    settings, payload, first_run, go_on = await _held_run(settings, tmp_path, held_first_write)
    first_run.cancel()
    await asyncio.sleep(0.1)  # the cancel lands while the writer is held
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await first_run

    assert writer_ended.is_set()  # the run ended after its writer
    assert _files(settings) == []
    assert (await _report(payload["report_id"]))["status"] == "running"  # for the next run
