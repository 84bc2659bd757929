"""A partner managing 100,000 products, added to a demo database with COPY for the renewals
benchmark: 10,000 clients with full access (half paying themselves, half through the partner),
10 products each, dated as the demo dates them, a few in grace, suspended or expired, and the
options on for some. Its legal representative logs in as RENEWALS_PARTNER_EMAIL with the demo
password. portal/demo.py's DemoPlan makes the rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import asyncpg

from portal.accounts.passwords import hash_password
from portal.core.enums import ProductStatus
from portal.demo import DEMO_DOMAIN, DEMO_PASSWORD, DemoPlan
from portal.renewals.rules import Step

RENEWALS_PARTNER_NAME = "Bench Renewals Partner AG"
RENEWALS_PARTNER_EMAIL = f"renewals.partner@{DEMO_DOMAIN}"
TABLES = ("organisation", "account", "membership", "team", "product", "partner_link", "invoice")
# (share of products, days from today of the renewal date, status, step)
LAPSED = [
    (0.02, -5, ProductStatus.ACTIVE, Step.GRACE),
    (0.02, -25, ProductStatus.SUSPENDED, Step.SUSPENDED),
    (0.01, -80, ProductStatus.EXPIRED, Step.EXPIRED),
]


async def add_renewals_partner(url: str, clients: int = 10_000, per_client: int = 10) -> int:
    """Add the partner (once); its organisation id."""
    connection = await asyncpg.connect(url)
    try:
        found = await connection.fetchval(
            "SELECT id FROM organisation WHERE name = $1", RENEWALS_PARTNER_NAME
        )
        if found:
            return found
        async with connection.transaction():
            partner_id = await _load(connection, clients, per_client)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return partner_id


async def _load(connection: asyncpg.Connection, clients: int, per_client: int) -> int:
    next_id = {
        table: await connection.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        for table in TABLES
    }
    catalogue = sorted(
        tuple(row) for row in await connection.fetch("SELECT id, code, family FROM catalogue_item")
    )
    today = datetime.now(UTC).date()
    rng = random.Random(19)
    plan = DemoPlan(next_id, rng, catalogue, today)
    partner_id = plan._organisation(
        RENEWALS_PARTNER_NAME, "CH", "CHF", "", "", "", partner_status="active"
    )
    account_id = plan._account(RENEWALS_PARTNER_EMAIL, "Rita Renewals")
    plan.memberships.append(
        (plan._id("membership"), partner_id, account_id, "legal_representative", True)
    )
    for number in range(1, clients + 1):
        client_id = plan._organisation(f"Renewals Client {number:05d} AG", "CH", "CHF", "", "", "")
        plan._products(client_id, per_client)
        plan._link(partner_id, client_id, "full", [])
        if number % 2:  # half the clients pay through the partner
            row = list(plan.links[-1])
            row[9] = "partner"
            plan.links[-1] = tuple(row)
    rows = []
    for product in plan.products:
        product = list(product)
        draw = rng.random()
        step = Step.NONE
        for share, days, status, lapsed_step in LAPSED:
            if draw < share:
                product[6], product[8], step = status, today + timedelta(days=days), lapsed_step
                break
            draw -= share
        automatic = rng.random() < 0.3
        warranty = rng.random() < 0.2
        rows.append((*product, automatic, warranty, step))

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
        "renews_on", "automatic_renewal", "renewal_warranty", "renewal_step",
    ]  # fmt: skip
    await _copy(connection, "product", rows, product_columns)
    link_columns = [
        "id", "partner", "client", "status", "initiated_by", "requested_access",
        "requested_families", "access", "families", "billing_mode", "expires_at", "decided_at",
    ]  # fmt: skip
    await _copy(connection, "partner_link", plan.links, link_columns)
    for table in TABLES:
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    return partner_id


async def _copy(connection: asyncpg.Connection, table: str, records: list, columns: list[str]):
    await connection.copy_records_to_table(table, records=records, columns=columns)
