"""Round trip: write the workbook and the CSV for a partner's data, read them back with
openpyxl and pandas, and check totals against the database to the cent, the formats, the
frozen header, the sheet names — and that hostile names come back as plain text."""

import csv
import gc
import io
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from piccolo.querystring import QueryString

from portal.exports.billing_report import ReportRequest, load_report, write_report
from portal.piccolo_conf import DB
from tests.factories.exports import build_world

HOSTILE = {
    "full": '=HYPERLINK("http://evil.example","click")',
    "restricted": "+1",
    "paid": "@SUM(A1)",
    "product": "-2+3 =cmd|' /C calc'!A0",
}
Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def money(value) -> Decimal:
    """A number read back from the file, as the exact decimal it was written from."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


async def database_totals(partner_id: int) -> dict:
    """What the portal's invoices and ledger say for Q3, independently of the report."""
    shown = await DB.run_querystring(
        QueryString(
            """SELECT sum(l.amount) AS amount, sum(l.public_price) AS public_price,
                      sum(l.discount) AS discount, count(*) AS lines
               FROM invoice i JOIN invoice_line l ON l.invoice = i.id
               WHERE i.partner = {} AND i.issued_on BETWEEN {} AND {}
                 AND (i.payer = {} OR i.client IN (SELECT client FROM partner_link
                      WHERE partner = {} AND status = 'active' AND access = 'full'))""",
            partner_id,
            *Q3,
            partner_id,
            partner_id,
        )
    )
    vat = await DB.run_querystring(
        QueryString(
            """SELECT sum(vat) AS vat, sum(gross) AS gross FROM invoice i
               WHERE i.partner = {} AND i.issued_on BETWEEN {} AND {}
                 AND (i.payer = {} OR i.client IN (SELECT client FROM partner_link
                      WHERE partner = {} AND status = 'active' AND access = 'full'))""",
            partner_id,
            *Q3,
            partner_id,
            partner_id,
        )
    )
    cashback = await DB.run_querystring(
        QueryString(
            """SELECT sum(e.amount) AS cashback FROM ledger_entry e JOIN invoice i
               ON i.id = e.invoice WHERE e.organisation = {} AND e.kind = 'cashback'
               AND i.issued_on BETWEEN {} AND {}""",
            partner_id,
            *Q3,
        )
    )
    return {**shown[0], **vat[0], **cashback[0]}


@pytest.fixture
async def written(db, tmp_path):
    world = await build_world(HOSTILE)
    request = ReportRequest(
        world.partner,
        *Q3,
        sheet_per_client=True,
        requested_by=world.people["legal@muster.ch"],
    )
    report = await load_report(None, request)
    progress: list[tuple[int, int]] = []
    path = tmp_path / report.filename
    write_report(report, path, lambda done, total: progress.append((done, total)))
    csv_path = tmp_path / "lines.csv"
    write_report(replace(report, request=replace(request, format="csv")), csv_path)
    return world, report, path, csv_path, progress, await database_totals(world.partner)


async def test_sheets_titles_frozen_header_and_filters(written):
    world, report, path, _, _, _ = written
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[:2] == ["Summary", "Lines"]
    assert len(workbook.sheetnames) == 2 + 4  # one per client
    assert "SUM(A1)" in " ".join(workbook.sheetnames)  # '@' kept, brackets are not allowed
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A6"
        assert sheet.auto_filter.ref.startswith("A5:")
        assert sheet["A1"].value.endswith("— Muster Web AG")
        assert sheet["A1"].font.bold
        assert sheet["B2"].value == "2026-07-01 – 2026-09-30"
        assert sheet["A3"].value == "Generated at"
    assert workbook["Lines"].auto_filter.ref == "A5:Q10"
    widths = {letter: workbook["Lines"].column_dimensions[letter].width for letter in "ABCDQ"}
    assert widths["D"] >= len(HOSTILE["product"])  # sized to the longest product
    assert all(8 <= width <= 60 for width in widths.values())


async def test_numbers_dates_and_currency_formats(written):
    _, _, path, _, _, _ = written
    sheet = openpyxl.load_workbook(path)["Lines"]
    header = [cell.value for cell in sheet[5]]
    row = {title: cell for title, cell in zip(header, sheet[7], strict=True)}
    assert row["Date"].is_date and row["Date"].number_format == "yyyy-mm-dd"
    assert row["Service to"].is_date
    assert row["Amount charged"].data_type == "n"
    assert row["Amount charged"].number_format == '#,##0.00 "CHF";-#,##0.00 "CHF"'
    assert row["Partner rate"].value == 0.2 and row["Partner rate"].number_format == "0.00%"


async def test_summary_totals_equal_the_database_to_the_cent(written):
    _, _, path, _, _, totals = written
    sheet = openpyxl.load_workbook(path)["Summary"]
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    header, body = rows[0], rows[1:]
    total = dict(zip(header, next(r for r in body if r[0] == "Total CHF"), strict=True))
    assert money(total["Invoiced total (excl. VAT)"]) == totals["amount"]
    assert money(total["Public-price total"]) == totals["public_price"]
    assert money(total["Partner discount"]) == totals["discount"]
    assert money(total["VAT"]) == totals["vat"]
    assert money(total["Invoiced total (incl. VAT)"]) == totals["gross"]
    assert money(total["Cashback"]) == totals["cashback"]
    clients = [dict(zip(header, r, strict=True)) for r in body if r[0] != "Total CHF"]
    assert sum(c["Lines"] for c in clients) == total["Lines"] == 5
    assert sum(money(c["Cashback"]) for c in clients) == totals["cashback"]
    paid = {c["Client"]: c["Paid by"] for c in clients}
    assert paid["@SUM(A1)"] == "Partner" and paid["+1"] == "Client"


async def test_pandas_reads_the_same_totals(written):
    _, _, path, csv_path, _, totals = written
    lines = pd.read_excel(path, sheet_name="Lines", header=4, engine="openpyxl")
    assert len(lines) == 5
    assert money(lines["Amount charged"].sum()) == totals["amount"]
    assert money(lines["VAT"].sum()) == totals["vat"]
    assert money(lines["Cashback"].sum()) == totals["cashback"]
    assert pd.api.types.is_datetime64_any_dtype(lines["Date"])
    from_csv = pd.read_csv(csv_path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    amounts = [Decimal(a) for a in from_csv["Amount charged"] if a]
    assert sum(amounts) == totals["amount"]
    assert sum(Decimal(c) for c in from_csv["Cashback"]) == totals["cashback"]
    assert sum(Decimal(v) for v in from_csv["VAT"] if v) == totals["vat"]


async def test_hostile_names_come_back_as_plain_text_in_the_workbook(written):
    _, _, path, _, _, _ = written
    workbook = openpyxl.load_workbook(path)
    texts = {}
    for sheet in ("Summary", "Lines"):
        for row in workbook[sheet].iter_rows(min_row=6):
            for cell in row:
                if isinstance(cell.value, str):
                    texts.setdefault(cell.value, []).append(cell)
    for name in HOSTILE.values():
        assert name in texts, name
        for cell in texts[name]:
            assert cell.data_type == "s"  # not "f": never a formula
            assert cell.quotePrefix  # and stays text when edited in Excel
    assert not any(
        cell.data_type == "f" for sheet in workbook for row in sheet.iter_rows() for cell in row
    )


async def test_hostile_names_are_neutralised_in_the_csv(written):
    _, _, _, csv_path, _, _ = written
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    for name in HOSTILE.values():
        assert "'" + name in cells
        assert name not in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    assert all(not c.startswith("-") for c in cells if not c[1:2].isdigit())


async def test_progress_counts_every_row_written(written):
    _, report, _, _, progress, _ = written
    total = report.line_count * 2  # Lines, then each client's sheet
    assert progress[-1] == (total, total)
    done = [d for d, _ in progress]
    assert done == sorted(done) and all(t == total for _, t in progress)


async def test_each_client_sheet_holds_only_that_clients_lines(written):
    _, _, path, _, _, _ = written
    workbook = openpyxl.load_workbook(path)
    for name in workbook.sheetnames[2:]:
        rows = list(workbook[name].iter_rows(min_row=6, values_only=True))
        assert rows and len({row[2] for row in rows}) == 1  # the Client column


async def test_lines_beyond_a_sheets_capacity_continue_on_the_next_sheet(db, tmp_path, monkeypatch):
    from portal.exports import xlsx

    monkeypatch.setattr(xlsx, "SHEET_CAPACITY", 2)
    world = await build_world()
    request = ReportRequest(
        world.partner, *Q3, sheet_per_client=True, requested_by=world.people["legal@muster.ch"]
    )
    report = await load_report(None, request)
    write_report(report, tmp_path / "split.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "split.xlsx")
    assert workbook.sheetnames[:4] == ["Summary", "Lines", "Lines (2)", "Lines (3)"]
    lines = [
        row
        for name in ("Lines", "Lines (2)", "Lines (3)")
        for row in workbook[name].iter_rows(min_row=6, values_only=True)
    ]
    assert len(lines) == 5
    assert all(workbook[name].max_row <= 5 + 2 for name in workbook.sheetnames[1:])
    assert len(workbook.sheetnames) == 4 + 4  # Alpha has two lines: one sheet still


async def test_a_workbook_stopped_midway_ends_quietly(db, tmp_path, monkeypatch):
    """A report job cancelled mid-write stops its writer by raising from the progress
    callback: the half-written sheets are ended then, not complained about when collected."""
    world = await build_world()
    request = ReportRequest(
        world.partner, *Q3, sheet_per_client=True, requested_by=world.people["legal@muster.ch"]
    )
    report = await load_report(None, request)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def stopped(done: int, total: int) -> None:
        raise RuntimeError("stopped")

    try:
        write_report(report, tmp_path / "stopped.xlsx", stopped)
    except RuntimeError:
        pass
    else:
        pytest.fail("the writer did not stop")
    gc.collect()
    assert [hook.exc_value for hook in unraisable] == []
    assert not (tmp_path / "stopped.xlsx").exists()
