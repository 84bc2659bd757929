"""A direct download starts writing before the report's lines are copied from the database:
the writer writes the file's first bytes, waits for the lines, then goes on (the download's
first bytes do not wait for the query); a copy that fails stops the writer with an error."""

import asyncio
import os
from datetime import date

import openpyxl
import pytest

from portal.exports import queries
from portal.exports.billing_report import (
    ReportRequest,
    measure_report,
    report_scope,
    report_to_copy,
    write_report,
)
from tests.factories.exports import build_world

Q3 = (date(2026, 7, 1), date(2026, 9, 30))


async def report_in_the_making(file_format: str = "xlsx"):
    world = await build_world()
    request = ReportRequest(
        world.partner, *Q3, format=file_format, requested_by=world.people["legal@muster.ch"]
    )
    scope = await report_scope(None, request)
    return await report_to_copy(scope, request, await measure_report(scope, request))


async def eventually_bigger_than_nothing(path) -> None:
    for _ in range(500):
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{path} stayed empty")


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
async def test_the_first_bytes_are_written_before_the_lines_are_copied(db, tmp_path, file_format):
    report, copying = await report_in_the_making(file_format)
    path = tmp_path / f"report.{file_format}"
    writing = asyncio.create_task(asyncio.to_thread(write_report, report, path))
    await eventually_bigger_than_nothing(path)
    assert not os.path.exists(report.source.path)  # no line copied yet
    assert not writing.done()  # the writer waits for them
    await copying
    await writing
    if file_format == "xlsx":
        rows = list(openpyxl.load_workbook(path)["Lines"].iter_rows(min_row=6))
        assert len(rows) == report.line_count == 5


async def test_a_copy_that_fails_stops_the_writer(db, tmp_path, monkeypatch):
    report, copying = await report_in_the_making()
    monkeypatch.setattr(queries, "LINES_SQL", "SELECT nothing FROM nowhere")
    writing = asyncio.create_task(asyncio.to_thread(write_report, report, tmp_path / "r.xlsx"))
    with pytest.raises(Exception, match="nowhere"):
        await copying
    with pytest.raises(RuntimeError, match="could not be read"):
        await writing
