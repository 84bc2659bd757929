"""Billing report export (issue 5): the portal's export path against `DataFrame.to_excel` and a
bare openpyxl write-only loop (the floor), at 100,000 and 1,000,000 invoice lines, and the
health endpoint's latency while a report is made through the web (queued by POST /exports,
written by a `portal worker` beside the server, progress polled, file downloaded).

    python -m bench.exports                       # 100k and 1M lines (to_excel at 1M too)
    python -m bench.exports --skip-to-excel-at 1000000
    python -m bench.exports --sizes 100000        # one size only

Each export runs in a process of its own, so that its peak memory (ru_maxrss) is its own. The
data are two partners (one per size) loaded with COPY into an embedded PostgreSQL.

- portal: `load_report` (one SQL query, COPY → DataFrame, integer cents) + `write_report`
  (Summary, Lines: streamed rows, currency/date/rate formats, widths, frozen header, filters).
- to_excel: the same query and DataFrame, shaped as the Lines sheet, `DataFrame.to_excel(engine=
  "openpyxl")`.
- floor: the same rows already in memory as Python values (fetched before the clock starts),
  written by a bare loop of `WriteOnlyCell`s with the same number formats — what openpyxl
  itself needs to write this sheet. `floor (plain)` appends the values with no formats at all,
  for orientation.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from bench.harness import (
    ROOT,
    embedded_postgres,
    format_table,
    granian_server,
    log_in,
    percentile,
    say,
    verdict,
    write_results,
)

SIZES = (100_000, 1_000_000)


def clients_for(lines: int) -> int:
    return max(10, min(5_000, lines // 200))


def years_for(lines: int) -> int:
    return 2 if lines <= 100_000 else 6


FIRST_DAY = date(2020, 1, 1)
PASSWORD = "Bench-Export-Password-9"
XLSXWRITER_RATIO_TARGET = 1.2  # the portal's writing ÷ xlsxwriter's, the same cells
TO_EXCEL_SPEEDUP_TARGET = 2.0
PEAK_TARGET_MB = 300
# Flat: the lines are read a chunk at a time, so the peak at the largest size stays within
# this of the peak at the smallest
FLAT_PEAK_RATIO = 1.25


# --- data ---------------------------------------------------------------------------------------


async def load_partner(url: str, lines: int, seed: int) -> dict:
    """A partner with LINES one-line invoices over YEARS years, 80 % of its clients on full
    access (the client pays), 10 % restricted (cashback only), 10 % full and paid by the
    partner. Loaded with COPY from CSV files."""
    import asyncpg

    from portal.accounts.passwords import hash_password

    rng = random.Random(seed)
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            partner = await connection.fetchval(
                "INSERT INTO organisation (name, country, currency, partner_status) "
                "VALUES ($1, 'CH', 'CHF', 'active') RETURNING id",
                f"Bench Export Partner {lines:,}",
            )
            email = f"export-{lines}@bench.test"
            account = await connection.fetchval(
                "INSERT INTO account (email, full_name, password_hash) VALUES ($1, $2, $3) "
                "RETURNING id",
                email,
                "Bench Exporter",
                hash_password(PASSWORD),
            )
            await connection.execute(
                "INSERT INTO membership (organisation, account, role) "
                "VALUES ($1, $2, 'legal_representative')",
                partner,
                account,
            )
            clients = await _clients(connection, partner, clients_for(lines), rng)
            await _invoices(connection, partner, clients, lines, rng)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return {"partner": partner, "email": email, "lines": lines, "clients": len(clients)}


async def _clients(connection, partner: int, count: int, rng: random.Random) -> list[tuple]:
    rows = await connection.fetch(
        "INSERT INTO organisation (name, country, currency) "
        "SELECT 'Client ' || n || ' ' || $2::text || ' AG', 'CH', "
        "       CASE WHEN n % 9 = 0 THEN 'EUR' ELSE 'CHF' END "
        "FROM generate_series(1, $1) n RETURNING id, currency",
        count,
        str(partner),
    )
    clients = []
    for index, row in enumerate(rows):
        kind = ("restricted", "client") if index % 10 == 1 else ("full", "client")
        if index % 10 == 2:
            kind = ("full", "partner")
        clients.append((row["id"], row["currency"], *kind))
    await connection.copy_records_to_table(
        "partner_link",
        columns=[
            "partner", "client", "status", "initiated_by", "requested_access", "access",
            "families", "billing_mode", "expires_at", "decided_at",
        ],
        records=[
            (partner, client, "active", "partner", access, access,
             ["web_hosting"] if access == "restricted" else [],
             mode if access == "full" else None,
             _moment(), _moment())
            for client, _, access, mode in clients
        ],
    )  # fmt: skip
    return clients


def _moment():
    from datetime import UTC, datetime

    return datetime(2020, 1, 1, tzinfo=UTC)


async def _invoices(connection, partner, clients, lines: int, rng: random.Random) -> None:
    first_id = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM invoice")
    days = years_for(lines) * 365
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as folder:
        invoices, invoice_lines = Path(folder) / "invoice.csv", Path(folder) / "line.csv"
        with invoices.open("w", newline="") as a, invoice_lines.open("w", newline="") as b:
            invoice_writer, line_writer = csv.writer(a), csv.writer(b)
            for n in range(lines):
                invoice_id = first_id + n
                client, currency, access, mode = clients[n % len(clients)]
                issued = FIRST_DAY + timedelta(days=rng.randrange(days))
                public = rng.randrange(500, 50_000)  # cents
                cashback = public * 20 // 100
                partner_pays = mode == "partner"
                amount = public - cashback if partner_pays else public
                vat = (amount * 81 + 500) // 1000  # 8.1 %, half-up, on the one line
                payer = partner if partner_pays else client
                invoice_writer.writerow(
                    (invoice_id, f"INV-B{invoice_id:09d}", payer, client, partner, currency,
                     issued, "swiss_vat", "0.081", _money(amount), _money(vat),
                     _money(amount + vat), "card")
                )  # fmt: skip
                line_writer.writerow(
                    (invoice_id, f"Web hosting — site{n % 20_000}.example", "web_hosting",
                     issued, issued + timedelta(days=30), "client", _money(public), "0",
                     "0.20", _money(amount), _money(0 if partner_pays else cashback),
                     _money(cashback if partner_pays else 0), 1)
                )  # fmt: skip
        await connection.copy_to_table(
            "invoice",
            source=str(invoices),
            format="csv",
            columns=[
                "id", "number", "payer", "client", "partner", "currency", "issued_on",
                "vat_rule", "vat_rate", "net", "vat", "gross", "paid_with",
            ],
        )  # fmt: skip
        await connection.copy_to_table(
            "invoice_line",
            source=str(invoice_lines),
            format="csv",
            columns=[
                "invoice", "description", "family", "service_from", "service_to", "ordered_by",
                "public_price", "volume_rate", "partner_rate", "amount", "cashback", "discount",
                "position",
            ],
        )  # fmt: skip
    await connection.execute(
        "SELECT setval(pg_get_serial_sequence('invoice', 'id'), (SELECT max(id) FROM invoice))"
    )


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def period_of(lines: int) -> tuple[date, date]:
    return FIRST_DAY, FIRST_DAY + timedelta(days=years_for(lines) * 365 - 1)


# --- one measurement, in a process of its own ---------------------------------------------------


def measure(kind: str, url: str, partner: int, lines: int, output: str) -> dict:
    from portal import database

    database.bind(url)
    start, end = period_of(lines)
    _import_everything()  # no path pays for importing pandas or openpyxl on its clock
    started = time.perf_counter()
    if kind == "portal":
        figures = asyncio.run(_portal(partner, start, end, output))
    elif kind == "xlsxwriter":
        figures = asyncio.run(_xlsxwriter(partner, start, end, output))
    elif kind == "to_excel":
        figures = asyncio.run(_to_excel(partner, start, end, output))
    else:
        rows = asyncio.run(_floor_rows(partner, start, end))
        started = time.perf_counter()  # the floor's clock counts the writing only
        figures = _floor(rows, output, formatted=kind == "floor")
    figures["seconds"] = time.perf_counter() - started
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["file_mb"] = os.path.getsize(output) / 2**20
    return figures


def _import_everything() -> None:
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401

    import portal.exports.billing_report  # noqa: F401
    import portal.exports.csvfile  # noqa: F401
    import portal.exports.xlsx  # noqa: F401


async def _portal(partner: int, start: date, end: date, output: str) -> dict:
    from portal.exports.billing_report import ReportRequest, load_report, partner_view, write_report

    began = time.perf_counter()
    report = await load_report(await partner_view(partner), ReportRequest(partner, start, end))
    loaded = time.perf_counter() - began
    write_report(report, output)
    written = time.perf_counter() - began - loaded
    return {"rows": report.line_count, "load_seconds": loaded, "write_seconds": written}


async def _xlsxwriter(partner: int, start: date, end: date, output: str) -> dict:
    """The report's lines as the portal reads them, written by xlsxwriter (constant memory):
    every cell typed, with the same formats (money in the line's currency)."""
    import xlsxwriter

    from portal.exports import columns as cols
    from portal.exports.columns import LINE_COLUMNS, Kind
    from portal.exports.reports import ReportRequest, load_report, partner_view
    from portal.exports.xlsx import DATE_FORMAT, RATE_FORMAT, money_format

    began = time.perf_counter()
    report = await load_report(await partner_view(partner), ReportRequest(partner, start, end))
    loaded = time.perf_counter() - began
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    sheet = workbook.add_worksheet("Lines")
    formats: dict[str, object] = {}

    def style(number_format: str):
        if number_format not in formats:
            formats[number_format] = workbook.add_format({"num_format": number_format})
        return formats[number_format]

    dates, rates = style(DATE_FORMAT), style(RATE_FORMAT)
    sheet.write_row(0, 0, [column.title for column in LINE_COLUMNS])
    row = 1
    for chunk in report.chunks():
        chunk = cols.labelled(chunk)
        shown = chunk["shown"].tolist()
        money = [style(money_format(c)) for c in cols.texts(chunk["currency"])]
        values = [_column_values(chunk, column) for column in LINE_COLUMNS]
        for index in range(len(chunk)):
            for number, (column, column_values) in enumerate(
                zip(LINE_COLUMNS, values, strict=True)
            ):
                if column.client_business and not shown[index]:
                    continue
                value = column_values[index]
                if column.kind is Kind.TEXT:
                    sheet.write_string(row, number, value)
                elif column.kind is Kind.DATE:
                    sheet.write_number(row, number, value, dates)
                elif column.kind is Kind.RATE:
                    sheet.write_number(row, number, value, rates)
                else:
                    sheet.write_number(row, number, value, money[index])
            row += 1
    workbook.close()
    written = time.perf_counter() - began - loaded
    return {"rows": row - 1, "load_seconds": loaded, "write_seconds": written}


def _column_values(chunk, column) -> list:
    from portal.exports import columns as cols
    from portal.exports.columns import Kind

    series = chunk[column.source]
    if column.kind is Kind.DATE:
        return cols.excel_serials(series)
    if column.kind in (Kind.MONEY, Kind.RATE):
        return cols.as_numbers(series, column.kind)
    return cols.texts(series)


async def _frame(partner: int, start: date, end: date):
    from portal.exports import queries
    from portal.exports.billing_report import (
        ReportRequest,
        partner_view,
        report_lines,
        report_scope,
    )

    request = ReportRequest(partner, start, end)
    scope = await report_scope(await partner_view(partner), request)
    return await queries.lines_frame(report_lines(request, scope.clients, scope.chosen))


async def _to_excel(partner: int, start: date, end: date, output: str) -> dict:
    """The same data, shaped as the Lines sheet, handed whole to DataFrame.to_excel."""
    import pandas as pd

    from portal.exports.columns import LINE_COLUMNS, Kind, labelled
    from portal.exports.frames import prepare

    lines = labelled(prepare(await _frame(partner, start, end)))
    sheet = pd.DataFrame(
        {
            column.title: (
                lines[column.source] / (100 if column.kind is Kind.MONEY else 10_000)
                if column.kind in (Kind.MONEY, Kind.RATE)
                else lines[column.source]
            )
            for column in LINE_COLUMNS
        }
    )
    sheet.to_excel(output, engine="openpyxl", sheet_name="Lines", index=False)
    return {"rows": len(sheet)}


async def _floor_rows(partner: int, start: date, end: date) -> list[tuple]:
    from portal.exports.columns import LINE_COLUMNS, Kind, labelled
    from portal.exports.frames import prepare

    lines = labelled(prepare(await _frame(partner, start, end)))
    columns = []
    for column in LINE_COLUMNS:
        series = lines[column.source]
        if column.kind is Kind.DATE:
            columns.append(series.dt.date.tolist())
        elif column.kind in (Kind.MONEY, Kind.RATE):
            columns.append((series / (100 if column.kind is Kind.MONEY else 10_000)).tolist())
        else:
            columns.append(series.astype(str).tolist())
    return list(zip(*columns, strict=True))


def _floor(rows: list[tuple], output: str, *, formatted: bool) -> dict:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from portal.exports.columns import LINE_COLUMNS, Kind

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Lines")
    sheet.append([column.title for column in LINE_COLUMNS])
    money = [i for i, c in enumerate(LINE_COLUMNS) if c.kind is Kind.MONEY]
    rates = [i for i, c in enumerate(LINE_COLUMNS) if c.kind is Kind.RATE]
    currency = next(i for i, c in enumerate(LINE_COLUMNS) if c.source == "currency")
    for row in rows:
        if formatted:
            row = list(row)
            for index in money:
                cell = WriteOnlyCell(sheet, row[index])
                cell.number_format = f'#,##0.00 "{row[currency]}"'
                row[index] = cell
            for index in rates:
                cell = WriteOnlyCell(sheet, row[index])
                cell.number_format = "0.00%"
                row[index] = cell
        sheet.append(row)
    workbook.save(output)
    return {"rows": len(rows)}


def measure_in_subprocess(kind: str, url: str, partner: int, lines: int, folder: Path) -> dict:
    output = folder / f"{kind}-{lines}.xlsx"
    command = [
        sys.executable, "-m", "bench.exports", "--measure", kind, "--url", url,
        "--partner", str(partner), "--lines", str(lines), "--output", str(output),
    ]  # fmt: skip
    say(f"  {kind} at {lines:,} lines …")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    output.unlink(missing_ok=True)
    say(f"    {figures['seconds']:.1f} s, peak {figures['peak_mb']:.0f} MB")
    return figures


# --- the web portal answering during an export --------------------------------------------------


def health_during_export(url: str, partner: dict) -> dict:
    """Sequential /health requests for as long as a report of PARTNER's lines is made the way
    the portal makes one of that size: POST /exports queues it (over 5,000 lines), a `portal
    worker` beside the server writes it, the progress page is polled every second as the
    browser's progress bar does, and the file is downloaded; against the same window idle
    before it."""
    from urllib.parse import urlencode

    start, end = period_of(partner["lines"])
    with granian_server("portal.app:app_from_environment", url, job_worker=True) as server:
        cookie = log_in(server.base_url, partner["email"], PASSWORD)
        csrf = cookie.split(";")[0].split("=", 1)[1]
        body = urlencode(
            {"period": "range", "period_start": start.isoformat(), "period_end": end.isoformat(),
             "clients": "all", "format": "xlsx", "_csrf_token": csrf}
        )  # fmt: skip
        outcome: dict = {}

        def export() -> None:
            try:
                outcome.update(_export_through_the_queue(server.base_url, cookie, body))
            except Exception as error:  # reported by the main thread
                outcome["error"] = error

        idle = _health_timings(server.base_url, seconds=10)
        worker = threading.Thread(target=export)
        worker.start()
        busy = []
        while worker.is_alive():
            busy += _health_timings(server.base_url, seconds=1, stop=lambda: not worker.is_alive())
        worker.join()
    if "error" in outcome:
        raise RuntimeError(f"the export through the web failed: {outcome['error']}")
    idle.sort()
    busy.sort()
    return {
        "export_seconds": outcome["seconds"],
        "export_mb": outcome["bytes"] / 2**20,
        "idle_p50_ms": percentile(idle, 50),
        "idle_p99_ms": percentile(idle, 99),
        "busy_p50_ms": percentile(busy, 50),
        "busy_p99_ms": percentile(busy, 99),
        "busy_max_ms": busy[-1],
        "busy_requests": len(busy),
    }


def _export_through_the_queue(base_url: str, cookie: str, body: str) -> dict:
    import http.client

    host, port = base_url.rsplit("/", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=600)

    def call(method: str, path: str, **options) -> tuple[int, str, bytes]:
        headers = {"Cookie": cookie, **options.pop("headers", {})}
        connection.request(method, path, headers=headers, **options)
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read()

    began = time.perf_counter()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, location, _ = call("POST", "/exports", body=body, headers=form)
    if status != 303 or not location.startswith("/exports/reports/"):
        raise RuntimeError(f"POST /exports answered {status} {location!r}, not the queue")
    while True:
        time.sleep(1)
        status, _, page = call("GET", location, headers={"HX-Request": "true"})
        state = re.search(rb'data-status="([a-z_]+)"', page)
        if status != 200 or state is None or state.group(1) == b"failed":
            raise RuntimeError(f"{location} answered {status}: {page[-500:]!r}")
        if state.group(1) == b"ready":
            break
    status, _, data = call("GET", f"{location}/download")
    if status != 200:
        raise RuntimeError(f"the download answered {status}")
    connection.close()
    return {"seconds": time.perf_counter() - began, "bytes": len(data)}


def _health_timings(base_url: str, seconds: float, stop=lambda: False) -> list[float]:
    import http.client

    host, port = base_url.rsplit("/", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    timings, deadline = [], time.monotonic() + seconds
    try:
        while time.monotonic() < deadline and not stop():
            began = time.perf_counter()
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            timings.append((time.perf_counter() - began) * 1000)
            time.sleep(0.01)
    finally:
        connection.close()
    return timings


# --- the run ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--skip-to-excel-at", type=int, nargs="*", default=[], metavar="LINES")
    parser.add_argument("--no-health", action="store_true")
    parser.add_argument(
        "--health-only", action="store_true", help="only /health during a web export"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--partner", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--lines", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.url, args.partner, args.lines, args.output)))
        return
    run(args)


def run(args) -> None:
    from portal.database import ensure_database

    results: dict = {"sizes": {}}
    with embedded_postgres() as server, tempfile.TemporaryDirectory() as scratch:
        url = ensure_database(server, "bench_exports")
        asyncio.run(_migrate(url))
        partners = {}
        for seed, lines in enumerate(args.sizes):
            began = time.perf_counter()
            partners[lines] = asyncio.run(load_partner(url, lines, seed))
            say(f"{lines:,} lines loaded with COPY in {time.perf_counter() - began:.1f} s")
        for lines in [] if args.health_only else args.sizes:
            partner = partners[lines]["partner"]
            say(f"{lines:,} lines:")
            kinds = ("portal", "xlsxwriter", "floor")
            if lines <= 100_000:
                kinds += ("floor_plain",)
            figures = {
                kind: measure_in_subprocess(kind, url, partner, lines, Path(scratch))
                for kind in kinds
            }
            if lines not in args.skip_to_excel_at:
                figures["to_excel"] = measure_in_subprocess(
                    "to_excel", url, partner, lines, Path(scratch)
                )
            results["sizes"][lines] = figures
        results["plan"] = asyncio.run(_plan(url, partners[max(args.sizes)]))
        if not args.no_health:
            size = min(args.sizes)
            say(f"health while the web portal exports {size:,} lines …")
            try:
                results["health"] = health_during_export(url, partners[size])
            except RuntimeError as error:  # the sizes' figures are still reported
                results["health_error"] = str(error)
    report(results)
    say(f"results: {write_results('exports', results)}")


async def _migrate(url: str) -> None:
    from contextlib import redirect_stdout

    from portal import database

    database.bind(url)
    with redirect_stdout(sys.stderr):
        await database.migrate()


async def _plan(url: str, partner: dict) -> str:
    from bench.harness import explain
    from portal.access import ClientScope
    from portal.exports.queries import LINES_SQL, Lines

    start, end = period_of(partner["lines"])
    every_client = ClientScope(every_client=True, user_id=0)
    lines = Lines(partner["partner"], start, end, every_client)
    return await explain(url, LINES_SQL, lines.arguments())


def report(results: dict) -> None:
    rows, checks = [], []
    for lines, figures in results["sizes"].items():
        portal, writer = figures["portal"], figures["xlsxwriter"]
        to_excel = figures.get("to_excel")
        for kind in ("portal", "xlsxwriter", "floor", "floor_plain", "to_excel"):
            if kind in figures:
                f = figures[kind]
                rows.append(
                    [f"{lines:,}", kind, f["seconds"], f.get("write_seconds", ""), f["peak_mb"],
                     f["file_mb"], f["seconds"] / figures["floor"]["seconds"]]
                )  # fmt: skip
        ratio = portal["write_seconds"] / writer["write_seconds"]
        checks.append(
            f"{lines:,} lines: portal's writing ÷ xlsxwriter's = {ratio:.2f} "
            f"(≤ {XLSXWRITER_RATIO_TARGET}) {verdict(ratio <= XLSXWRITER_RATIO_TARGET)}; "
            f"the query and its file {portal['load_seconds']:.1f} s of {portal['seconds']:.1f} s"
        )
        if to_excel:
            speedup = to_excel["seconds"] / portal["seconds"]
            checks.append(
                f"{lines:,} lines: to_excel ÷ portal = {speedup:.2f} "
                f"(≥ {TO_EXCEL_SPEEDUP_TARGET}) {verdict(speedup >= TO_EXCEL_SPEEDUP_TARGET)}"
            )
        checks.append(
            f"{lines:,} lines: portal peak {portal['peak_mb']:.0f} MB (< {PEAK_TARGET_MB}) "
            f"{verdict(portal['peak_mb'] < PEAK_TARGET_MB)}"
        )
    sizes = sorted(results["sizes"])
    if len(sizes) > 1:
        small, big = (results["sizes"][s]["portal"]["peak_mb"] for s in (sizes[0], sizes[-1]))
        checks.append(
            f"portal peak {sizes[0]:,} → {sizes[-1]:,} lines: {small:.0f} → {big:.0f} MB, "
            f"{big / small:.2f}× (flat: ≤ {FLAT_PEAK_RATIO}) "
            f"{verdict(big / small <= FLAT_PEAK_RATIO)}"
        )
    print(
        format_table(["lines", "path", "seconds", "write s", "peak MB", "file MB", "÷ floor"], rows)
    )
    print()
    print("\n".join(checks))
    if "health_error" in results:
        print(f"\n/health during an export: not measured ({results['health_error']})")
    if "health" in results:
        h = results["health"]
        print()
        print(
            f"/health while a report is made through the web (queued, written by the "
            f"worker, progress polled, downloaded: {h['export_seconds']:.1f} s, "
            f"{h['export_mb']:.1f} MB): p50 {h['busy_p50_ms']:.1f} ms, p99 "
            f"{h['busy_p99_ms']:.1f} ms, max {h['busy_max_ms']:.1f} ms over "
            f"{h['busy_requests']} requests; idle p50 {h['idle_p50_ms']:.1f} ms, p99 "
            f"{h['idle_p99_ms']:.1f} ms"
        )
    print()
    print("Query plan at the largest size:")
    print(results["plan"])


if __name__ == "__main__":
    main()
