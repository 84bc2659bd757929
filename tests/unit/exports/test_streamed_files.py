"""The billing report's files are written as the lines come, chunk by chunk, from the file
PostgreSQL wrote (queries.LinesFile): the first bytes are in the file before the first line is
read, memory does not grow with the number of lines, and an invoice's lines are never cut
between two chunks. The round trip through the database is tests/db/exports/test_files.py."""

from __future__ import annotations

import csv
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from portal.exports import queries
from portal.exports.billing_report import Report, ReportRequest, write_report
from portal.exports.frames import whole_invoices
from portal.exports.queries import LinesFile

HEADER = [
    "issued_on", "invoice_number", "invoice_id", "client_id", "client_name", "product",
    "family", "service_from", "service_to", "public_price", "volume_rate", "partner_rate",
    "amount", "discount", "cashback", "vat_rule", "vat_rate", "invoice_vat", "currency",
    "partner_paid", "shown", "position",
]  # fmt: skip


def lines_file(path, invoices: int, lines_per_invoice: int = 3) -> LinesFile:
    """A file as COPY writes it: INVOICES invoices of LINES_PER_INVOICE lines, by date."""
    day = date(2026, 1, 1)
    rows = 0
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for invoice in range(1, invoices + 1):
            amounts = [1000 + (invoice * 7 + line) % 9000 for line in range(lines_per_invoice)]
            vat = (sum(amounts) * 810 + 5000) // 10000
            client = invoice % 40
            for position, amount in enumerate(amounts, 1):
                shown = invoice % 10 != 3
                writer.writerow(
                    [
                        day + timedelta(days=invoice % 300), f"INV-{invoice:08d}" if shown else "",
                        invoice, client, f"=Client {client}" if client == 7 else f"Client {client}",
                        f"Web hosting {invoice % 50}", "web_hosting", day, day + timedelta(days=30),
                        amount if shown else 0, 0, 2000, amount if shown else 0, 0, amount // 5,
                        "swiss_vat" if shown else "", 810 if shown else 0, vat if shown else 0,
                        "CHF" if client % 9 else "EUR", int(client % 10 == 2), int(shown), position,
                    ]
                )  # fmt: skip
                rows += 1
    return LinesFile(str(path), rows)


def report_of(source: LinesFile, file_format: str = "xlsx", *, by_client=None) -> Report:
    request = ReportRequest(
        1, date(2026, 1, 1), date(2026, 12, 31), format=file_format,
        sheet_per_client=by_client is not None,
    )  # fmt: skip
    measure = {
        "lines": source.rows, "client_name": 10, "product": 20, "invoice_number": 12,
        "families": ["web_hosting"], "vat_rules": ["swiss_vat"], "currencies": ["CHF", "EUR"],
        "payers": [True, False], "public_price": 999_999, "amount": 999_999, "discount": 0,
        "cashback": 99_999, "vat": 99_999,
    }  # fmt: skip
    return Report(
        request, "Muster Web AG", "CHF", datetime(2026, 12, 3, tzinfo=UTC), source, measure,
        by_client,
    )  # fmt: skip


class Watched(LinesFile):
    """A LinesFile that notes, when its first chunk is asked for, how much of OUTPUT exists."""

    output: str = ""
    seen: list

    def chunks(self, chunk_rows: int = 1_000):
        self.seen.append(_size(self.output))
        yield from super().chunks(chunk_rows)


def _size(path: str) -> int:
    try:
        with open(path, "rb") as handle:
            return len(handle.read())
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_first_bytes_are_in_the_file_before_the_first_line_is_read(tmp_path, file_format):
    plain = lines_file(tmp_path / "lines.csv", 3_000)
    output = tmp_path / f"report.{file_format}"
    watched = Watched(plain.path, plain.rows)
    object.__setattr__(watched, "output", str(output))
    object.__setattr__(watched, "seen", [])
    write_report(report_of(watched, file_format), output)
    assert watched.seen and watched.seen[0] > 0  # written, and visible, before any line
    assert _size(str(output)) > 10 * watched.seen[0]


def test_the_workbook_is_written_forward_only_and_reads_back_whole(tmp_path):
    source = lines_file(tmp_path / "lines.csv", 2_500)
    output = tmp_path / "report.xlsx"
    write_report(report_of(source), output)
    with zipfile.ZipFile(output) as archive:  # each entry's sizes follow its data
        assert all(info.flag_bits & 0x08 for info in archive.infolist())
    workbook = openpyxl.load_workbook(output, read_only=True)
    assert workbook.sheetnames == ["Summary", "Lines"]
    rows = list(workbook["Lines"].iter_rows(min_row=6, values_only=True))
    assert len(rows) == source.rows == 7_500
    assert {row[2] for row in rows if str(row[2]).startswith("=")} == {"=Client 7"}


def test_each_client_gets_its_sheets_from_the_lines_read_client_after_client(tmp_path):
    by_date = lines_file(tmp_path / "by_date.csv", 120, 1)
    with open(by_date.path, newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    path = tmp_path / "by_client.csv"
    with open(path, "w", newline="") as handle:  # as CLIENT_LINES_SQL orders them
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(sorted(rows, key=lambda row: (int(row[3]), row[18], row[0], row[2])))
    output = tmp_path / "report.xlsx"
    write_report(report_of(by_date, by_client=LinesFile(str(path), by_date.rows)), output)
    workbook = openpyxl.load_workbook(output, read_only=True)
    clients = workbook.sheetnames[2:]
    assert len(clients) == 40
    for name in clients:
        lines = list(workbook[name].iter_rows(min_row=6, values_only=True))
        assert lines and len({line[2] for line in lines}) == 1


def peak_while_written(tmp_path, invoices: int, file_format: str) -> int:
    source = lines_file(tmp_path / f"lines-{invoices}.csv", invoices)
    tracemalloc.start()
    try:
        write_report(report_of(source, file_format), tmp_path / f"out-{invoices}.{file_format}")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_memory_stays_flat_however_many_lines(tmp_path, monkeypatch, file_format):
    monkeypatch.setattr(queries, "READ_ROWS", 3_000)
    monkeypatch.setattr(LinesFile.chunks, "__defaults__", (3_000,))
    small = peak_while_written(tmp_path, 4_000, file_format)  # 12,000 lines
    large = peak_while_written(tmp_path, 16_000, file_format)  # 48,000 lines
    assert large < small * 1.25, (small, large)


def test_an_invoices_lines_are_never_cut_between_chunks(tmp_path):
    source = lines_file(tmp_path / "lines.csv", 500, 7)
    whole = source.frame()
    for chunk_rows in (1, 5, 7, 13, 100, 5_000):
        chunks = list(whole_invoices(source.chunks(chunk_rows)))
        invoices = [set(chunk["invoice_id"]) for chunk in chunks]
        assert all(not (a & b) for a, b in zip(invoices, invoices[1:], strict=False))
        assert sum(len(chunk) for chunk in chunks) == len(whole)
        assert [i for chunk in chunks for i in chunk["invoice_id"]] == list(whole["invoice_id"])
