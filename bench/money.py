"""Issue 4's benchmark: the live eligibility checklist fragment (POST /programme/checklist as
htmx sends it while the applicant types) and the partner dashboard (/partner/dashboard), for a
partner with 5,000 clients and 100,000 products (bench/big_partner.py adds it with COPY to the
demo data), portal against the floor reference. The managed volume is one SQL aggregate: its
plan is printed.

    python -m bench.money [--size 2000] [--rounds 1] [--explain]
"""

from __future__ import annotations

import argparse
from urllib.parse import urlencode

from bench import big_partner, harness, pages, reference
from bench.pages import Endpoint, Results
from portal.demo import DEMO_PASSWORD
from portal.partners.rules import COMMITMENTS

# What the applicant has typed: a valid Swiss UID, the website (checked a moment ago), and the
# four commitments ticked: every criterion is judged, the managed volume included.
FORM = [
    ("registration_number", "CHE-116.281.710"),
    ("vat_number", ""),
    ("website", big_partner.BIG_PARTNER_WEBSITE),
    *[("commitments", key) for key in COMMITMENTS],
]


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    with harness.embedded_postgres() as postgres:
        url = harness.demo_database(postgres, args.size)
        partner_id = pages.run(big_partner.add_big_partner(url, args.clients, args.products))
        pages.run(harness.execute(url, "VACUUM ANALYZE"))
        counts = pages.run(partner_counts(url, partner_id))
        harness.say(f"big partner {partner_id}: {counts}")

        def endpoints(cookie: str) -> list[Endpoint]:
            checklist = harness.Request(
                method="POST", headers=pages.htmx(pages.csrf_of(cookie)), body=urlencode(FORM)
            )
            return [
                Endpoint("checklist (htmx)", "/programme/checklist", 'id="checklist"', checklist),
                Endpoint("partner dashboard", "/partner/dashboard", 'data-testid="managed-volume"'),
            ]

        label = f"{args.size} orgs + big partner"
        broken: dict[str, str] = {}
        by_data: dict[str, Results] = {
            label: pages.measure_endpoints(
                url,
                postgres.get_pid(),
                (big_partner.BIG_PARTNER_EMAIL, DEMO_PASSWORD),
                endpoints,
                rounds=args.rounds,
                label=label,
                broken=broken,
            )
        }
        plans = {label: pages.run(query_plans(url, partner_id))} if args.explain else {}
    print("big partner: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    pages.report("money", by_data, plans, args.rounds, {"big_partner": counts}, broken)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.money", description=__doc__)
    parser.add_argument("--size", type=int, default=2000, help="generated demo organisations")
    parser.add_argument("--clients", type=int, default=5000, help="clients of the big partner")
    parser.add_argument("--products", type=int, default=20, help="products per client")
    parser.add_argument("--rounds", type=int, default=1, help="measure N times; report medians")
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of every query"
    )
    return parser.parse_args(argv)


async def partner_counts(url: str, partner_id: int) -> dict[str, int]:
    return {
        "clients": await harness.fetch_value(
            url,
            "SELECT count(*) FROM partner_link WHERE partner = $1 AND status = 'active'",
            partner_id,
        ),
        "products": await harness.fetch_value(
            url,
            """SELECT count(*) FROM product p JOIN partner_link l ON l.client = p.organisation
               WHERE l.partner = $1 AND l.status = 'active'""",
            partner_id,
        ),
        "all_products": await harness.fetch_value(url, "SELECT count(*) FROM product"),
    }


async def query_plans(url: str, partner_id: int) -> dict[str, str]:
    sql = await reference.capture_page_sql()
    calls = reference._partner_dashboard_calls(partner_id, "CHF")
    plans = await pages.explain_calls(url, sql, calls, "dashboard:")
    checklist = reference._checklist_calls(partner_id, "CHF", big_partner.BIG_PARTNER_WEBSITE)
    plans |= {
        f"checklist {name}": plan
        for name, plan in (await pages.explain_calls(url, sql, checklist)).items()
    }
    return plans


if __name__ == "__main__":
    main()
