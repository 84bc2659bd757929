"""Issue 3's benchmark: a partner's clients page (first page, filter access=full; as an htmx
fragment and as the whole page) and a client's detail page, portal against the floor reference,
with the demo data of about 1,000 partners, 20,000 clients and 200,000 products (and 10x that
with --scale-check), logged in as the legal representative of a typical generated partner.

    python -m bench.delegation [--size 21000] [--scale-check] [--rounds 1] [--explain]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from bench import harness, pages, reference
from bench.pages import Endpoint, Results
from portal.demo import DEMO_PASSWORD

# One generated organisation in 20 is a partner (numbers 1, 21, 41, ...); org00021 is typical:
# about 19 clients, half of them with full access, 10 products each.
PARTNER_NUMBER = 21
PARTNER_EMAIL = f"org{PARTNER_NUMBER:05d}.0@demo.partner-portal.test"


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    sizes = [args.size, args.size * 10] if args.scale_check else [args.size]
    by_data: dict[str, Results] = {}
    plans: dict[str, dict[str, str]] = {}
    counts: dict[str, dict[str, int]] = {}
    broken: dict[str, str] = {}
    with harness.embedded_postgres() as postgres:
        for size in sizes:
            started = time.perf_counter()
            url = harness.demo_database(postgres, size)
            label = f"{size} orgs"
            counts[label] = pages.run(data_counts(url))
            counts[label]["load_seconds"] = round(time.perf_counter() - started, 1)
            harness.say(f"{label}: {counts[label]}")
            partner_id, link_id, client_name = pages.run(partner_and_link(url))
            endpoints = [
                Endpoint(
                    "clients?access=full (htmx)",
                    "/clients?access=full",
                    'id="client-list"',
                    harness.Request(headers=pages.htmx()),
                ),
                Endpoint("clients?access=full (page)", "/clients?access=full", "<h1>Clients</h1>"),
                Endpoint(f"client detail /clients/{link_id}", f"/clients/{link_id}", client_name),
            ]
            by_data[label] = pages.measure_endpoints(
                url,
                postgres.get_pid(),
                (PARTNER_EMAIL, DEMO_PASSWORD),
                endpoints,
                rounds=args.rounds,
                label=label,
                broken=broken,
            )
            if args.explain:
                plans[label] = pages.run(query_plans(url, partner_id, link_id))
    for label, figures in counts.items():
        print(f"{label}: " + ", ".join(f"{k} {v:,}" for k, v in figures.items()))
    pages.report(
        "delegation", by_data, plans, args.rounds, {"counts": counts, "user": PARTNER_EMAIL}, broken
    )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.delegation", description=__doc__)
    parser.add_argument(
        "--size", type=int, default=21000, help="generated demo organisations (1 in 20 partners)"
    )
    parser.add_argument(
        "--scale-check", action="store_true", help="also measure at 10x the size (ratio 10x/1x)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="measure N times; report medians")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of every query"
    )
    return parser.parse_args(argv)


async def data_counts(url: str) -> dict[str, int]:
    return {
        "partners": await harness.fetch_value(
            url, "SELECT count(*) FROM organisation WHERE partner_status <> 'none'"
        ),
        "clients": await harness.fetch_value(
            url, "SELECT count(DISTINCT client) FROM partner_link WHERE status = 'active'"
        ),
        "products": await harness.fetch_value(url, "SELECT count(*) FROM product"),
        "links": await harness.fetch_value(url, "SELECT count(*) FROM partner_link"),
    }


async def partner_and_link(url: str) -> tuple[int, int, str]:
    """The partner of PARTNER_EMAIL, its first full-access client link and that client's name."""
    row = await harness.fetch_value(
        url,
        """SELECT ARRAY[m.organisation::text, l.id::text, c.name]
           FROM account a JOIN membership m ON m.account = a.id
           JOIN partner_link l ON l.partner = m.organisation AND l.status = 'active'
                AND l.access = 'full'
           JOIN organisation c ON c.id = l.client
           WHERE a.email = $1 ORDER BY l.id LIMIT 1""",
        PARTNER_EMAIL,
    )
    return int(row[0]), int(row[1]), row[2]


async def query_plans(url: str, partner_id: int, link_id: int) -> dict[str, str]:
    sql = await reference.capture_page_sql()
    now = datetime.now(UTC)
    clients = reference._clients_calls(partner_id, "full")
    plans = await pages.explain_calls(url, sql, clients, "full:")
    link_calls = reference._link_calls(partner_id, link_id, now)
    plans |= await pages.explain_calls(url, sql, {"link": link_calls["link"]})
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        text, args = sql["link"][0], link_calls["link"][1][0]
        link = dict(await connection.fetchrow(text, *args))
    finally:
        await connection.close()
    plans |= await pages.explain_calls(url, sql, reference._client_calls(partner_id, link))
    return plans


if __name__ == "__main__":
    main()
