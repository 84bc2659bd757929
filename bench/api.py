"""Issue 16's benchmark: the API for a big partner — GET /api/v1/clients (5,000 clients) and a
walk through a 100,000-line month of GET /api/v1/reports/lines — portal against the floor
reference (bench/api_reference.py: bare Litestar + asyncpg + msgspec on the same SQL).

    python -m bench.api [--size 200] [--page 200]

Per endpoint: wrk under load (first page and a page deep in the list), then the whole list
walked one request at a time, again and again until 500 pages were asked (the sequential
p50/p99 per page), for both apps. The token's
limit is raised for the run (PORTAL_API_REQUESTS_PER_MINUTE): its count is still kept, as in
production, on every request.
"""

from __future__ import annotations

import argparse
import os
import time
from contextlib import ExitStack
from datetime import date
from urllib.parse import urlencode

import asyncpg

from bench import big_partner, harness
from portal.accounts.rules import new_api_token
from portal.core.tokens import token_hash

MONTH = date(2026, 10, 1)
MONTH_END = date(2026, 10, 31)
INVOICES = 2000
LINES_PER_INVOICE = 50  # 100,000 lines
WALK_REQUESTS = 500  # as many sequential requests as bench/README.md asks of every page
APPS = {"portal": harness.PORTAL_FACTORY, "reference": "bench.api_reference:create_app"}


async def add_month_of_lines(url: str, partner_id: int) -> int:
    """INVOICES invoices of the partner in MONTH, LINES_PER_INVOICE lines each, spread over
    its full-access clients (partner-paid: shown in full)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            """
            WITH clients AS (
                SELECT client, row_number() OVER (ORDER BY client) AS n FROM partner_link
                WHERE partner = $1 AND status = 'active' AND access = 'full'
            ), made AS (
                INSERT INTO invoice (number, payer, client, partner, currency, issued_on,
                                     vat_rule, vat_rate, net, vat, gross)
                SELECT 'INV-BENCH-' || g, $1, c.client, $1, 'CHF',
                       $2::date + (g % 28), 'swiss_vat', 0.081, 500, 40.50, 540.50
                FROM generate_series(1, $3) g
                JOIN clients c ON c.n = 1 + g % (SELECT count(*) FROM clients)
                RETURNING id
            )
            INSERT INTO invoice_line (invoice, description, family, service_from, service_to,
                                      ordered_by, public_price, volume_rate, partner_rate,
                                      amount, cashback, discount, position)
            SELECT m.id, 'Web hosting — bench', 'web_hosting', $2, $4, 'partner', 12.50, 0,
                   0.2, 10.00, 0, 2.50, p
            FROM made m, generate_series(1, $5) p
            """,
            partner_id,
            MONTH,
            INVOICES,
            MONTH_END,
            LINES_PER_INVOICE,
        )
        return await connection.fetchval(
            "SELECT count(*) FROM invoice_line l JOIN invoice i ON i.id = l.invoice "
            "WHERE i.partner = $1 AND i.issued_on BETWEEN $2 AND $3",
            partner_id,
            MONTH,
            MONTH_END,
        )
    finally:
        await connection.close()


async def make_token(url: str, email: str, organisation_id: int) -> str:
    token = new_api_token()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO api_token (token_hash, prefix, account, organisation_id, name, scopes) "
            "SELECT $1, $2, id, $3, 'bench', ARRAY['clients:read', 'reports:read'] "
            "FROM account WHERE email = $4",
            token_hash(token),
            token[:10],
            organisation_id,
            email,
        )
    finally:
        await connection.close()
    return token


def walk(base_url: str, first_path: str, request: harness.Request) -> tuple[list[float], int]:
    """Every page of a list, one request at a time, following next_cursor: each page's time
    (ms), and how many items in all."""
    import http.client
    import json
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    timings, items, path = [], 0, first_path
    try:
        while path:
            started = time.perf_counter()
            connection.request("GET", path, headers=dict(request.headers))
            response = connection.getresponse()
            body = response.read()
            timings.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {body[:300]!r}")
            page = json.loads(body)
            items += len(page["data"])
            cursor = page["next_cursor"]
            separator = "&" if "?" in first_path else "?"
            path = f"{first_path}{separator}{urlencode({'cursor': cursor})}" if cursor else None
    finally:
        connection.close()
    return timings, items


def walks(base_url: str, first_path: str, request: harness.Request) -> tuple[list[float], int]:
    """Whole walks of the list, after the load run has warmed both apps, until at least
    WALK_REQUESTS pages were asked: a p99 over one walk of a few dozen pages would be its
    slowest page, and the first walk of a fresh worker pays its start."""
    timings: list[float] = []
    while len(timings) < WALK_REQUESTS:
        walk_timings, items = walk(base_url, first_path, request)
        timings += walk_timings
    return timings, items


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api")
    parser.add_argument("--size", type=int, default=200, help="generated demo organisations")
    parser.add_argument("--page", type=int, default=200, help="items per page of the walks")
    args = parser.parse_args(argv)
    os.environ["PORTAL_API_REQUESTS_PER_MINUTE"] = "1000000000"
    with harness.embedded_postgres() as postgres:
        url = harness.demo_database(postgres, args.size)
        partner_id = harness_run(big_partner.add_big_partner(url))
        lines = harness_run(add_month_of_lines(url, partner_id))
        harness_run(harness.execute(url, "VACUUM ANALYZE"))
        harness.say(f"big partner {partner_id}: {lines} lines in {MONTH:%Y-%m}")
        token = harness_run(make_token(url, big_partner.BIG_PARTNER_EMAIL, partner_id))
        os.environ["BENCH_PARTNER_ID"] = str(partner_id)
        request = harness.Request(headers=(("Authorization", f"Bearer {token}"),))
        period = urlencode({"from": MONTH.isoformat(), "to": MONTH_END.isoformat()})
        lists = {
            "clients": f"/api/v1/clients?limit={args.page}",
            "report lines": f"/api/v1/reports/lines?{period}&limit={args.page}",
        }
        results: dict = {}
        with ExitStack() as stack:
            servers = {
                app: stack.enter_context(harness.granian_server(factory, url))
                for app, factory in APPS.items()
            }
            for name, path in lists.items():
                for app, server in servers.items():
                    figures = harness.measure_endpoint(
                        server, path, None, '"data"', postgres.get_pid(), request
                    )
                    harness.say(f"{app}: walking {name} ...")
                    timings, items = walks(server.base_url, path, request)
                    ordered = sorted(timings)
                    results[name, app] = {
                        "items": items,
                        "pages": len(timings),
                        "walk_p50_ms": harness.percentile(ordered, 50),
                        "walk_p99_ms": harness.percentile(ordered, 99),
                        "figures": figures.as_dict(),
                    }
    report(results, args)


def harness_run(coroutine):
    import asyncio

    return asyncio.run(coroutine)


def report(results: dict, args: argparse.Namespace) -> None:
    rows, targets = [], []
    for name in ("clients", "report lines"):
        portal, reference = results[name, "portal"], results[name, "reference"]
        for app, r in (("portal", portal), ("reference", reference)):
            load = r["figures"]["load"]
            rows.append(
                [name, app, r["items"], r["pages"], load["requests_per_s"], load["p50_ms"],
                 load["p99_ms"], r["walk_p50_ms"], r["walk_p99_ms"], load["errors"]]
            )  # fmt: skip
        ratio = portal["figures"]["load"]["requests_per_s"] / max(
            reference["figures"]["load"]["requests_per_s"], 1e-9
        )
        targets.append(
            [name, f"{ratio:.2f}", harness.verdict(ratio >= 0.6),
             f"{portal['walk_p99_ms']:.1f}", harness.verdict(portal["walk_p99_ms"] < 25)]
        )  # fmt: skip
    print(
        harness.format_table(
            ["list", "app", "items", "pages", "req/s", "load p50", "load p99", "walk p50",
             "walk p99", "errors"],
            rows,
        )
    )  # fmt: skip
    print()
    print(
        harness.format_table(
            ["list", "req/s portal÷ref", "≥ 0.60", "walk p99 ms", "< 25 ms"], targets
        )
    )
    path = harness.write_results(
        "api",
        {
            "page": args.page,
            "size": args.size,
            "results": {f"{k[0]}/{k[1]}": v for k, v in results.items()},
        },
    )
    harness.say(f"results: {path}")


if __name__ == "__main__":
    main()
