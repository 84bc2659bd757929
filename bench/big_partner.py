"""One big partner added to a demo database with COPY, for the money benchmark (issue 4): a
partner with 5,000 clients (half full, half restricted links) and 20 products per client
(100,000 products), invoices that earned it cashback over the last months, and a fresh check of
its website (so that its live checklist starts no background check).

Its legal representative logs in as BIG_PARTNER_EMAIL with the demo password. portal/demo.py
is reused for the rows (its DemoPlan), not changed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import asyncpg

from portal.accounts.passwords import hash_password
from portal.demo import DEMO_DOMAIN, DEMO_PASSWORD, DemoPlan

BIG_PARTNER_NAME = "Bench Big Partner AG"
BIG_PARTNER_EMAIL = f"big.partner@{DEMO_DOMAIN}"
BIG_PARTNER_WEBSITE = "https://big-partner.example"
RESTRICTED_FAMILIES = ["web_hosting", "domain", "mail_service"]
DELEGATED_PER_RESTRICTED_CLIENT = 2  # products of other families named one by one
INVOICE_MONTHS = 12
INVOICES_PER_MONTH = 20
TABLES = ("organisation", "account", "membership", "team", "product", "partner_link", "invoice")


async def add_big_partner(url: str, clients: int = 5000, products_per_client: int = 20) -> int:
    """Add the big partner (once); its organisation id."""
    connection = await asyncpg.connect(url)
    try:
        found = await connection.fetchval(
            "SELECT id FROM organisation WHERE name = $1", BIG_PARTNER_NAME
        )
        if found:
            return found
        async with connection.transaction():
            partner_id = await _load(connection, clients, products_per_client)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return partner_id


async def _load(connection: asyncpg.Connection, clients: int, products_per_client: int) -> int:
    next_id = {
        table: await connection.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        for table in TABLES
    }
    catalogue = sorted(
        tuple(row) for row in await connection.fetch("SELECT id, code, family FROM catalogue_item")
    )
    plan = DemoPlan(next_id, random.Random(4), catalogue)
    partner_id = plan._organisation(
        BIG_PARTNER_NAME, "CH", "CHF", "", "", BIG_PARTNER_WEBSITE, partner_status="applicant"
    )
    account_id = plan._account(BIG_PARTNER_EMAIL, "Bea Benchmark")
    plan.memberships.append(
        (plan._id("membership"), partner_id, account_id, "legal_representative", True)
    )
    delegated, first_products = [], {}
    for number in range(1, clients + 1):
        client_id = plan._organisation(f"Bench Client {number:05d} GmbH", "CH", "CHF", "", "", "")
        first_products[client_id] = len(plan.products)
        plan._products(client_id, products_per_client)
        full = number % 2 == 0
        link_id = plan._link(
            partner_id,
            client_id,
            "full" if full else "restricted",
            [] if full else RESTRICTED_FAMILIES,
        )
        if not full:
            others = [
                row
                for row in plan.products[first_products[client_id] :]
                if row[3] not in RESTRICTED_FAMILIES
            ][:DELEGATED_PER_RESTRICTED_CLIENT]
            delegated.extend((link_id, row[0], client_id) for row in others)
    invoices, lines = _invoices(plan, partner_id, next_id["invoice"])

    password_hash = hash_password(DEMO_PASSWORD)
    organisation_columns = [
        "id", "name", "kind", "country", "currency", "registration_number", "vat_number",
        "website", "partner_status",
    ]  # fmt: skip
    await _copy(connection, "organisation", plan.organisations, organisation_columns)
    await _copy(
        connection,
        "account",
        [(*a, password_hash) for a in plan.accounts],
        ["id", "email", "full_name", "password_hash"],
    )
    await _copy(
        connection,
        "membership",
        plan.memberships,
        ["id", "organisation", "account", "role", "billing_rights"],
    )
    product_columns = [
        "id", "organisation", "item", "family", "name", "period", "status", "started_on",
        "renews_on",
    ]  # fmt: skip
    await _copy(connection, "product", plan.products, product_columns)
    link_columns = [
        "id", "partner", "client", "status", "initiated_by", "requested_access",
        "requested_families", "access", "families", "billing_mode", "expires_at", "decided_at",
    ]  # fmt: skip
    await _copy(connection, "partner_link", plan.links, link_columns)
    await _copy(connection, "delegated_product", delegated, ["link", "product", "client"])
    invoice_columns = [
        "id", "number", "payer", "client", "partner", "currency", "issued_on", "vat_rule",
        "vat_rate", "net", "vat", "gross",
    ]  # fmt: skip
    await _copy(connection, "invoice", invoices, invoice_columns)
    line_columns = [
        "invoice", "description", "family", "service_from", "service_to", "ordered_by",
        "public_price", "volume_rate", "partner_rate", "amount", "cashback", "discount",
    ]  # fmt: skip
    await _copy(connection, "invoice_line", lines, line_columns)
    await connection.execute(
        """INSERT INTO website_check (organisation, url, answered, detail, checked_at)
           VALUES ($1, $2, true, 'HTTP 200', now())""",
        partner_id,
        BIG_PARTNER_WEBSITE,
    )
    for table in TABLES:
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    return partner_id


def _invoices(plan: DemoPlan, partner_id: int, first_id: int) -> tuple[list, list]:
    """Invoices the partner paid for its clients' renewals over the last months, one line
    each, with cashback: the dashboard's chart and recent invoices have something to show."""
    from decimal import Decimal

    today = datetime.now(UTC).date()
    clients = [row[0] for row in plan.organisations[1:]]
    invoices, lines = [], []
    invoice_id = first_id
    for month in range(INVOICE_MONTHS):
        day = date(today.year, today.month, 1) - timedelta(days=30 * month)
        for seat in range(INVOICES_PER_MONTH):
            public = Decimal("119.04")
            net = Decimal("95.23")
            vat = (net * Decimal("0.081")).quantize(Decimal("0.01"))
            invoices.append(
                (
                    invoice_id, f"BENCH-{invoice_id:07d}", partner_id,
                    clients[(month * INVOICES_PER_MONTH + seat) % len(clients)], partner_id,
                    "CHF", day + timedelta(days=seat % 27), "swiss_vat", Decimal("0.081"), net, vat,
                    net + vat,
                )
            )  # fmt: skip
            lines.append(
                (
                    invoice_id, "Web Hosting Pro, 1 year", "web_hosting", day,
                    day + timedelta(days=364), "partner", public, Decimal("0"), Decimal("0.20"),
                    net, public - net, Decimal("0"),
                )
            )  # fmt: skip
            invoice_id += 1
    return invoices, lines


async def _copy(connection: asyncpg.Connection, table: str, records: list, columns: list[str]):
    await connection.copy_records_to_table(table, records=records, columns=columns)
