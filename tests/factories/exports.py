"""Billing reports: a world of partners, clients and invoice lines, and background reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from piccolo.querystring import QueryString

from portal.core.current import current_of
from portal.piccolo_conf import DB
from tests.factories.organisations import insert_organisation, insert_person

D = Decimal


@dataclass
class World:
    partner: int
    other_partner: int
    full_client: int  # active full link, the client pays
    restricted_client: int  # active restricted link, the client pays
    partner_paid_client: int  # active full link, the partner pays
    former_client: int  # the link was stopped
    other_client: int  # another partner's client
    people: dict[str, int] = field(default_factory=dict)  # email → account id
    links: dict[int, int] = field(default_factory=dict)  # client → link id


async def insert_link(
    partner: int, client: int, access: str, *, status: str = "active", billing_mode=None
) -> int:
    from portal.clients.tables import PartnerLink

    now = datetime.now(UTC)
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client,
            status=status,
            initiated_by="partner",
            requested_access=access,
            access=access,
            families=["web_hosting"] if access == "restricted" else [],
            billing_mode=billing_mode or ("client" if access == "full" else None),
            expires_at=now + timedelta(days=30),
            decided_at=now,
        )
    ).returning(PartnerLink.id)
    return rows[0]["id"]


async def assign(link_id: int, account_id: int) -> None:
    from portal.clients.tables import ClientAssignment

    await ClientAssignment.insert(ClientAssignment(link=link_id, account=account_id))


async def add_member(organisation: int, email: str, role: str, billing_rights=False) -> int:
    from portal.organisations.tables import Membership

    account = await insert_person(email)
    await Membership.insert(
        Membership(
            organisation=organisation, account=account, role=role, billing_rights=billing_rights
        )
    )
    return account


_numbers = iter(range(1, 10**6))


async def insert_invoice(
    *,
    payer: int,
    client: int,
    partner: int | None,
    issued_on: date,
    lines: list[tuple[str, str, str, str, str]],  # description, public, amount, cashback, discount
    currency: str = "CHF",
    vat_rate: str = "0.081",
    vat_rule: str = "swiss_vat",
    partner_rate: str = "0.20",
) -> int:
    """An invoice whose VAT is computed once on the net (half-up), as the portal does; a
    cashback ledger entry for the partner when its lines earned some."""
    from portal.billing import queries, rules
    from portal.billing.tables import LedgerEntry

    totals = rules.invoice_totals([D(line[2]) for line in lines], D(vat_rate))
    invoice_id = await queries.insert_invoice(
        {
            "number": f"INV-T-{next(_numbers):06d}",
            "payer": payer,
            "client": client,
            "partner": partner,
            "currency": currency,
            "issued_on": issued_on,
            "vat_rule": vat_rule,
            "vat_rate": D(vat_rate),
            "net": totals.net,
            "vat": totals.vat,
            "gross": totals.gross,
        },
        [
            {
                "product": None,
                "description": description,
                "family": "web_hosting",
                "service_from": issued_on,
                "service_to": issued_on + timedelta(days=30),
                "ordered_by": "client",
                "public_price": D(public),
                "volume_rate": D("0"),
                "partner_rate": D(partner_rate),
                "amount": D(amount),
                "cashback": D(cashback),
                "discount": D(discount),
                "position": position,
            }
            for position, (description, public, amount, cashback, discount) in enumerate(lines, 1)
        ],
    )
    cashback = sum((D(line[3]) for line in lines), D(0))
    if cashback > 0 and partner is not None:
        await LedgerEntry.insert(
            LedgerEntry(
                organisation=partner,
                currency=currency,
                kind="cashback",
                amount=cashback,
                invoice=invoice_id,
                reference="Cashback",
            )
        )
    return invoice_id


Q3 = date(2026, 8, 15)


async def build_world(names: dict[str, str] | None = None) -> World:
    names = names or {}
    partner = await insert_organisation("Muster Web AG", partner_status="active")
    other_partner = await insert_organisation("Rival Hosting GmbH", partner_status="active")
    world = World(
        partner=partner,
        other_partner=other_partner,
        full_client=await insert_organisation(names.get("full", "Alpha Bäckerei AG")),
        restricted_client=await insert_organisation(names.get("restricted", "Beta Praxis")),
        partner_paid_client=await insert_organisation(names.get("paid", "Gamma Verein")),
        former_client=await insert_organisation("Delta Former SA"),
        other_client=await insert_organisation("Epsilon Rival Client"),
    )
    for client, access, status, mode in (
        (world.full_client, "full", "active", "client"),
        (world.restricted_client, "restricted", "active", None),
        (world.partner_paid_client, "full", "active", "partner"),
        (world.former_client, "full", "stopped", "client"),
    ):
        world.links[client] = await insert_link(
            partner, client, access, status=status, billing_mode=mode
        )
    world.links[world.other_client] = await insert_link(other_partner, world.other_client, "full")
    for email, role, billing in (
        ("legal@muster.ch", "legal_representative", False),
        ("admin@muster.ch", "administrator", False),
        ("billing@muster.ch", "user", True),
        ("helper@muster.ch", "user", True),  # a collaborator given the full client only
        ("plain@muster.ch", "user", False),
    ):
        world.people[email] = await add_member(partner, email, role, billing)
    await assign(world.links[world.full_client], world.people["helper@muster.ch"])
    world.people["legal@rival.de"] = await add_member(
        other_partner, "legal@rival.de", "legal_representative"
    )
    world.people["owner@alpha.ch"] = await add_member(
        world.full_client, "owner@alpha.ch", "legal_representative"
    )
    await _invoices(world, names)
    return world


async def _invoices(world: World, names: dict[str, str]) -> None:
    product = names.get("product", "Web hosting — shop.example")
    p = world.partner
    # the full client pays: two lines, VAT rounded on the invoice
    await insert_invoice(
        payer=world.full_client,
        client=world.full_client,
        partner=p,
        issued_on=Q3,
        lines=[
            (product, "100.05", "100.05", "20.01", "0"),
            ("Mail — a", "33.33", "33.33", "6.67", "0"),
        ],
    )
    # the restricted client pays: only the cashback is the partner's business
    await insert_invoice(
        payer=world.restricted_client,
        client=world.restricted_client,
        partner=p,
        issued_on=Q3,
        lines=[("Secret product", "200.00", "200.00", "40.00", "0")],
    )
    # the partner pays for its client with its own payment methods: a discount, no cashback
    await insert_invoice(
        payer=p,
        client=world.partner_paid_client,
        partner=p,
        issued_on=date(2026, 9, 30),
        lines=[("VPS — gamma", "50.00", "40.00", "0", "10.00")],
    )
    # a former client: only its cashback remains the partner's
    await insert_invoice(
        payer=world.former_client,
        client=world.former_client,
        partner=p,
        issued_on=date(2026, 7, 1),
        lines=[("Old hosting", "10.00", "10.00", "2.00", "0")],
    )
    # outside the period
    await insert_invoice(
        payer=world.full_client,
        client=world.full_client,
        partner=p,
        issued_on=date(2026, 6, 30),
        lines=[("June hosting", "99.00", "99.00", "19.80", "0")],
    )
    # another partner's client
    await insert_invoice(
        payer=world.other_client,
        client=world.other_client,
        partner=world.other_partner,
        issued_on=Q3,
        lines=[("Rival product", "70.00", "70.00", "14.00", "0")],
    )


BULK_SQL = """
WITH made AS (
    INSERT INTO invoice (number, payer, client, partner, currency, issued_on, vat_rule, vat_rate,
                         net, vat, gross, paid_at, paid_with, created_at)
    SELECT 'INV-BULK-' || {} || '-' || n, {}, {}, {}, 'CHF', {}::date + (n % 28), 'swiss_vat',
           0.0810, 10.00, 0.81, 10.81, now(), 'card', now()
    FROM generate_series(1, {}) AS n
    RETURNING id, issued_on
)
INSERT INTO invoice_line (invoice, product, description, family, service_from, service_to,
                          ordered_by, public_price, volume_rate, partner_rate, amount, cashback,
                          discount, position)
SELECT id, NULL, 'Web hosting — site ' || id, 'web_hosting', issued_on, issued_on + 30, 'client',
       12.50, 0, 0.2000, 10.00, 2.50, 0, 1
FROM made
"""


_batches = iter(range(1, 10**6))


async def add_lines(partner: int, client: int, count: int, month_start: date) -> None:
    """COUNT invoices of one line each, paid by CLIENT (a full-access client of PARTNER), in
    the 28 first days of the month starting MONTH_START."""
    await DB.run_querystring(
        QueryString(BULK_SQL, str(next(_batches)), client, client, partner, month_start, count)
    )


async def start_report(
    world, email: str, count: int, *, file_format: str = "xlsx", month=date(2026, 8, 1)
) -> int:
    """COUNT more lines for the world's full client in the month of MONTH, and a background
    report of that month by EMAIL; the report's id."""
    from portal.exports.billing_report import ReportRequest
    from portal.exports.reports.services import start_report as start

    if count:
        await add_lines(world.partner, world.full_client, count, month)
    account = world.people[email]
    request = ReportRequest(
        partner_id=world.partner,
        period_start=month,
        period_end=month.replace(day=28),
        format=file_format,
        requested_by=account,
    )
    return await start(await current_of(account, world.partner), request)
