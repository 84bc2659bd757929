"""The prepaid account at size, and the import of a big bank statement.

1. The prepaid page (`GET /billing/prepaid`, its first page and a page deep in the ledger by
   keyset) of an organisation with 10,000 ledger entries (Lumière Digital, elise@) and of one
   with 100,000 (Alpine Web Studio, alice@), portal against the floor reference
   (bench/reference.py: the same SQL and template, raw asyncpg). The balance is read from the
   balance kept per account, never summed per request; the 10x/1x ratio shows it.
2. `import_statement` of a camt.054 with 10,000 credits (half pay pending deposits, half are
   unknown), then the same file again (all known), in-process, against the floor of parsing
   the file and COPYing its rows (the least any import must do). Target: under 10 s.

    python -m bench.prepaid [--size 200] [--entries 100000] [--credits 10000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import random
import time
from decimal import Decimal

import asyncpg

from bench import harness, pages
from bench.pages import Endpoint, Results
from portal.demo import DEMO_PASSWORD

IMPORT_TARGET_S = 10.0


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    with harness.embedded_postgres() as postgres:
        url = harness.demo_database(postgres, args.size)
        large = pages.run(add_entries(url, "Alpine Web Studio GmbH", args.entries))
        small = pages.run(add_entries(url, "Lumière Digital SARL", args.entries // 10))
        pages.run(harness.execute(url, "VACUUM ANALYZE"))
        harness.say(f"ledgers: {small:,} and {large:,} entries")
        by_data: dict[str, Results] = {}
        broken: dict[str, str] = {}
        for label, email in [
            (f"{args.entries // 10:,} entries", "elise"),
            (f"{args.entries:,} entries", "alice"),
        ]:
            middle = pages.run(middle_entry(url, email))

            def endpoints(cookie: str, middle=middle) -> list[Endpoint]:
                return [
                    Endpoint("prepaid, first page", "/billing/prepaid", 'data-testid="balance-'),
                    Endpoint(
                        "prepaid, deep page", f"/billing/prepaid?before={middle}", "Older entries"
                    ),
                ]

            by_data[label] = pages.measure_endpoints(
                url,
                postgres.get_pid(),
                (f"{email}@demo.partner-portal.test", DEMO_PASSWORD),
                endpoints,
                rounds=args.rounds,
                label=label,
                broken=broken,
            )
        plans = pages.run(query_plans(url)) if args.explain else {}
        imports = pages.run(measure_import(url, args.credits))
    print()
    print(harness.format_table(IMPORT_HEADERS, imports["rows"]))
    pages.report(
        "prepaid",
        by_data,
        {"100x entries": plans} if plans else {},
        args.rounds,
        {"entries": {"small": small, "large": large}, "import": imports["figures"]},
        broken,
    )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.prepaid", description=__doc__)
    parser.add_argument("--size", type=int, default=200, help="generated demo organisations")
    parser.add_argument("--entries", type=int, default=100_000, help="ledger entries (large)")
    parser.add_argument("--credits", type=int, default=10_000, help="credits in the statement")
    parser.add_argument("--rounds", type=int, default=1, help="measure N times; report medians")
    parser.add_argument("--explain", action="store_true", help="print the prepaid page's plans")
    return parser.parse_args(argv)


async def add_entries(url: str, organisation: str, count: int) -> int:
    """COUNT ledger entries of the organisation (cashback, payments, deposits), by COPY; the
    balance kept per account follows (its trigger runs once for the statement)."""
    connection = await asyncpg.connect(url)
    try:
        organisation_id = await connection.fetchval(
            "SELECT id FROM organisation WHERE name = $1", organisation
        )
        currency = await connection.fetchval(
            "SELECT currency FROM organisation WHERE id = $1", organisation_id
        )
        rng = random.Random(15)
        rows = []
        for n in range(count):
            kind = ("cashback", "deposit", "payment")[n % 3]
            amount = Decimal(rng.randrange(100, 50_000)) / 100
            rows.append(
                (
                    organisation_id,
                    currency,
                    kind,
                    -amount if kind == "payment" else amount,
                    f"{kind.capitalize()} number {n}",
                    "{}",
                )
            )
        await connection.copy_records_to_table(
            "ledger_entry",
            records=rows,
            columns=["organisation", "currency", "kind", "amount", "reference", "details"],
        )
        return await connection.fetchval(
            "SELECT count(*) FROM ledger_entry WHERE organisation = $1", organisation_id
        )
    finally:
        await connection.close()


async def middle_entry(url: str, email: str) -> int:
    return await harness.fetch_value(
        url,
        """SELECT e.id FROM ledger_entry e JOIN membership m ON m.organisation = e.organisation
           JOIN account a ON a.id = m.account WHERE a.email = $1
           ORDER BY e.id LIMIT 1 OFFSET (SELECT count(*) / 2 FROM ledger_entry e2
             JOIN membership m2 ON m2.organisation = e2.organisation
             JOIN account a2 ON a2.id = m2.account WHERE a2.email = $1)""",
        f"{email}@demo.partner-portal.test",
    )


async def query_plans(url: str) -> dict[str, str]:
    from bench import reference

    sql = await reference.capture_page_sql()
    alpine = await harness.fetch_value(
        url, "SELECT id FROM organisation WHERE name = 'Alpine Web Studio GmbH'"
    )
    middle = await middle_entry(url, "alice")
    plans = await pages.explain_calls(
        url, sql, reference._prepaid_calls(alpine, "CHF", None), "prepaid:"
    )
    deep = await pages.explain_calls(
        url, sql, reference._prepaid_calls(alpine, "CHF", middle), "prepaid_before:"
    )
    return plans | {f"deep {name}": plan for name, plan in deep.items()}


# --- the statement import ----------------------------------------------------------------------

IMPORT_HEADERS = ["what", "credits", "seconds", "÷ floor", f"target < {IMPORT_TARGET_S:.0f} s"]


async def measure_import(url: str, credits: int) -> dict:
    from portal import database
    from portal.billing.payments import camt
    from portal.billing.payments.services import import_statement
    from portal.piccolo_conf import DB
    from tests.factories.camt import Credit
    from tests.factories.camt import camt as camt_file

    references = await pending_requests(url, credits // 2)
    statement = camt_file(
        [Credit("25.00", reference, f"BENCH-{n}") for n, reference in enumerate(references)]
        + [Credit("9.00", "", f"BENCH-UNKNOWN-{n}") for n in range(credits - len(references))],
        message_id="BENCH-1",
    )
    harness.say(f"statement: {len(statement) / 1e6:.1f} MB, {credits:,} credits")
    floor = await import_floor(url, statement, camt.read_statement)

    database.bind(url)
    await DB.start_connection_pool(min_size=1, max_size=2)
    try:
        started = time.perf_counter()
        first = await import_statement(None, "bench.xml", statement)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        again = await import_statement(None, "bench-again.xml", statement)
        again_s = time.perf_counter() - started
    finally:
        await DB.close_connection_pool()
    harness.say(f"import: {first.summary} / again: {again.summary}")
    rows = [
        ["floor: parse + COPY", credits, f"{floor:.2f}", "1.00", ""],
        [
            "import (new)",
            credits,
            f"{first_s:.2f}",
            f"{first_s / floor:.2f}",
            harness.verdict(first_s < IMPORT_TARGET_S),
        ],
        [
            "import (same file again)",
            credits,
            f"{again_s:.2f}",
            f"{again_s / floor:.2f}",
            harness.verdict(again_s < IMPORT_TARGET_S),
        ],
    ]
    return {
        "rows": rows,
        "figures": {
            "credits": credits,
            "floor_s": floor,
            "import_s": first_s,
            "again_s": again_s,
            "credited": first.credited,
            "queued": first.queued,
            "known_again": again.known,
        },
    }


async def pending_requests(url: str, count: int) -> list[str]:
    """COUNT deposits of 25.00 awaiting payment, spread over the demo's organisations."""
    from portal.billing.rules import payment_reference

    connection = await asyncpg.connect(url)
    try:
        organisations = [
            row["id"] for row in await connection.fetch("SELECT id FROM organisation LIMIT 500")
        ]
        first = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM payment_request")
        ids = range(first, first + count)
        references = [payment_reference(n, qr_iban=True) for n in ids]
        await connection.copy_records_to_table(
            "payment_request",
            records=[
                (n, organisations[n % len(organisations)], "CHF", Decimal("25.00"), reference)
                for n, reference in zip(ids, references, strict=True)
            ],
            columns=["id", "organisation", "currency", "amount", "reference"],
        )
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('payment_request', 'id'), "
            "(SELECT max(id) FROM payment_request))"
        )
        return references
    finally:
        await connection.close()


async def import_floor(url: str, statement: bytes, read_statement) -> float:
    """The least an import does: read the file, and COPY one row per credit (rolled back)."""
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        credits = read_statement(statement).credits
        async with connection.transaction():
            await connection.execute(
                "CREATE TEMP TABLE floor_entry (bank_reference text, amount numeric, "
                "currency text, reference text, booked_on date) ON COMMIT DROP"
            )
            await connection.copy_records_to_table(
                "floor_entry",
                records=[
                    (c.bank_reference, c.amount, c.currency, c.reference, c.booked_on)
                    for c in credits
                ],
            )
        return time.perf_counter() - started
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
