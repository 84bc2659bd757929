"""The billing report's first bytes for the big partner (bench/big_partner.py: 5,000 clients,
half of them restricted) and a 5,000-line period: the download the export form asks for, in
CSV and in Excel, through the web as a browser gets it.

    python -m bench.report_first_byte [--before PATH] [--rounds 15] [--size 20]

With --before, a second checkout of the portal (another version: `git archive COMMIT | tar -x
-C PATH`) is served beside this one on the same database, and the two are asked in turn, round
after round, so that both see the same moments of a shared machine. Prints, per format and
checkout, the time to the first byte (p50, min, max) and to the last, and writes the figures
to bench/results/report_first_byte-<time>.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import asyncpg

from bench import big_partner, harness
from bench.big_tenants import download
from portal.demo import DEMO_PASSWORD

PERIOD = (date(2025, 1, 1), date(2025, 11, 30))
LINES = 5000  # the most a download answers at once (more goes to the background queue)
TARGET_MS = 100


async def add_report_lines(url: str, partner_id: int) -> int:
    """LINES invoices of one line each in PERIOD, over the partner's active clients (full and
    restricted links alike, so the scope decides what shows); the period's lines."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            """
            WITH clients AS (
                SELECT client, row_number() OVER (ORDER BY client) AS n FROM partner_link
                WHERE partner = $1 AND status = 'active'
            ), made AS (
                INSERT INTO invoice (number, payer, client, partner, currency, issued_on,
                                     vat_rule, vat_rate, net, vat, gross)
                SELECT 'FIRST-BYTE-' || g, c.client, c.client, $1, 'CHF', $2::date + g % 330,
                       'swiss_vat', 0.081, 95.23, 7.71, 102.94
                FROM generate_series(1, $3) g
                JOIN clients c ON c.n = 1 + g % (SELECT count(*) FROM clients)
                RETURNING id, issued_on
            )
            INSERT INTO invoice_line (invoice, description, family, service_from, service_to,
                                      ordered_by, public_price, volume_rate, partner_rate,
                                      amount, cashback, discount, position)
            SELECT id, 'Web Hosting Pro', 'web_hosting', issued_on, issued_on + 364, 'client',
                   119.04, 0, 0.20, 95.23, 23.81, 0, 1
            FROM made
            """,
            partner_id,
            PERIOD[0],
            LINES,
        )
        await connection.execute("VACUUM ANALYZE")
        return await connection.fetchval(
            "SELECT count(*) FROM invoice_line l JOIN invoice i ON i.id = l.invoice "
            "WHERE i.partner = $1 AND i.issued_on BETWEEN $2 AND $3",
            partner_id,
            *PERIOD,
        )
    finally:
        await connection.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report_first_byte")
    parser.add_argument("--before", type=Path, help="another checkout of the portal, compared")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size", type=int, default=20, help="generated demo organisations")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    roots = {"this": harness.ROOT} | ({"before": args.before.resolve()} if args.before else {})
    with harness.embedded_postgres() as postgres:
        url = harness.demo_database(postgres, args.size)
        partner_id = harness_run(big_partner.add_big_partner(url))
        lines = harness_run(add_report_lines(url, partner_id))
        harness.say(f"big partner {partner_id}: {lines:,} lines in the period")
        with ExitStack() as stack:
            servers = {
                name: stack.enter_context(
                    harness.granian_server(harness.PORTAL_FACTORY, url, root=root)
                )
                for name, root in roots.items()
            }
            timings = measure(servers, args.rounds)
    report(timings, args, lines, load_before, os.getloadavg())


def measure(servers: dict, rounds: int) -> dict:
    cookies = {
        name: harness.log_in(server.base_url, big_partner.BIG_PARTNER_EMAIL, DEMO_PASSWORD)
        for name, server in servers.items()
    }
    timings: dict = {}
    for file_format in ("csv", "xlsx"):
        bodies = {name: _form(cookie, file_format) for name, cookie in cookies.items()}
        for name, server in servers.items():  # the writer process starts with the first one
            download(server, "/exports", cookies[name], bodies[name])
        for round_no in range(rounds):
            order = list(servers) if round_no % 2 == 0 else list(reversed(servers))
            for name in order:
                got = download(servers[name], "/exports", cookies[name], bodies[name])
                timings.setdefault((file_format, name), []).append(got)
        harness.say(f"{file_format}: {rounds} rounds done")
    return timings


def _form(cookie: str, file_format: str) -> str:
    csrf = cookie.split(";")[0].split("=", 1)[1]
    return urlencode(
        {
            "period": "range",
            "period_start": PERIOD[0].isoformat(),
            "period_end": PERIOD[1].isoformat(),
            "clients": "all",
            "format": file_format,
            "_csrf_token": csrf,
        }
    )


def report(timings: dict, args, lines: int, load_before, load_after) -> None:
    print(f"load average: {load_before[0]:.2f} at the start, {load_after[0]:.2f} at the end")
    rows, payload = [], {}
    for (file_format, name), runs in timings.items():
        first = sorted(run.first_byte_ms for run in runs)
        total = statistics.median(run.seconds for run in runs)
        rows.append(
            [file_format, name, len(runs), statistics.median(first), first[0], first[-1],
             total, harness.verdict(statistics.median(first) < TARGET_MS)]
        )  # fmt: skip
        payload[f"{file_format}/{name}"] = [run.__dict__ for run in runs]
    print(
        harness.format_table(
            ["format", "checkout", "runs", "first byte p50 ms", "min", "max", "total p50 s",
             f"p50 < {TARGET_MS} ms"],
            rows,
        )
    )  # fmt: skip
    path = harness.write_results(
        "report_first_byte",
        {"lines": lines, "rounds": args.rounds, "load": [load_before, load_after], **payload},
    )
    harness.say(f"results: {path}")


def harness_run(coroutine):
    import asyncio

    return asyncio.run(coroutine)


if __name__ == "__main__":
    main()
