"""A client (and its partner) with products whose dates the tests choose, the renewal run at a
chosen day, and what it left: product rows, invoices, notices, audit entries, mails."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from portal.billing.tables import Invoice, LedgerEntry
from portal.clients.tables import PartnerLink
from portal.organisations.tables import Membership, Organisation
from portal.products.tables import CatalogueItem, Product
from portal.renewals.run import run_renewals
from portal.renewals.tables import Renewal, RenewalNotice
from portal.settings import Settings
from tests.factories.organisations import insert_person

SETTINGS = Settings(secret_key="test-secret-key", base_url="https://portal.test")
# Renewal dates ahead of the real day, so that billing's renewals start from them exactly
# (a renewal starts on its date, or today when the date has passed).
TODAY = datetime.now(UTC).date()
DATE = TODAY + timedelta(days=60)


async def organisation(name: str, *, partner: bool = False, country="CH", currency="CHF") -> int:
    rows = await Organisation.insert(
        Organisation(
            name=name,
            country=country,
            currency=currency,
            partner_status="active" if partner else "none",
        )
    ).returning(Organisation.id)
    return rows[0]["id"]


async def member(organisation_id: int, email: str, role="legal_representative", billing=False):
    account = await insert_person(email)
    await Membership.insert(
        Membership(organisation=organisation_id, account=account, role=role, billing_rights=billing)
    )
    return account


async def link(partner: int, client: int, access="full", billing_mode="client", families=()):
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client,
            status="active",
            initiated_by="partner",
            requested_access=access,
            access=access,
            families=list(families),
            billing_mode=billing_mode if access == "full" else None,
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    ).returning(PartnerLink.id)
    return rows[0]["id"]


async def product(
    client: int,
    code: str = "web-pro",
    renews_on: date = DATE,
    *,
    period: str = "yearly",
    name: str | None = None,
    automatic: bool | None = None,
    warranty: bool = False,
) -> int:
    item = await CatalogueItem.select().where(CatalogueItem.code == code).first()
    rows = await Product.insert(
        Product(
            organisation=client,
            item=item["id"],
            family=item["family"],
            name=name or f"{code}-{client}",
            period=period,
            started_on=renews_on - timedelta(days=365),
            renews_on=renews_on,
            automatic_renewal=automatic,
            renewal_warranty=warranty,
        )
    ).returning(Product.id)
    return rows[0]["id"]


async def deposit(organisation_id: int, amount: str, currency: str = "CHF") -> None:
    await LedgerEntry.insert(
        LedgerEntry(
            organisation=organisation_id,
            currency=currency,
            kind="deposit",
            amount=Decimal(amount),
            reference="Deposit",
        )
    )


async def balance(organisation_id: int, currency: str = "CHF") -> Decimal:
    rows = await LedgerEntry.raw(
        "SELECT coalesce(sum(amount), 0) AS b FROM ledger_entry WHERE organisation = {} "
        "AND currency = {}",
        organisation_id,
        currency,
    )
    return Decimal(rows[0]["b"])


def at(day: date) -> datetime:
    return datetime.combine(day, time(2, 7), UTC)


async def run(day: date):
    return await run_renewals(SETTINGS, at(day))


async def row(product_id: int) -> dict:
    return await Product.select().where(Product.id == product_id).first()


async def notices(product_id: int | None = None) -> list[dict]:
    query = RenewalNotice.select().order_by(RenewalNotice.id).output(load_json=True)
    if product_id is not None:
        query = query.where(RenewalNotice.product == product_id)
    return await query


async def kinds(product_id: int) -> list[str]:
    return [n["kind"] for n in await notices(product_id)]


async def renewals(product_id: int | None = None) -> list[dict]:
    query = Renewal.select().order_by(Renewal.id)
    if product_id is not None:
        query = query.where(Renewal.product == product_id)
    return await query


async def invoices_of(product_id: int) -> list[dict]:
    return await Invoice.raw(
        """SELECT i.*, l.service_from, l.service_to, l.public_price, l.partner_rate,
                  l.volume_rate, l.amount, l.cashback, l.discount, l.ordered_by
           FROM invoice i JOIN invoice_line l ON l.invoice = i.id
           WHERE l.product = {} ORDER BY i.id""",
        product_id,
    )


async def audit_actions(organisation_id: int, prefix: str = "renewal.") -> list[tuple[str, str]]:
    rows = await Invoice.raw(
        "SELECT action, subject FROM audit_event WHERE organisation = {} AND action LIKE {} "
        "ORDER BY id",
        organisation_id,
        prefix + "%",
    )
    return [(r["action"], r["subject"]) for r in rows]


LIST_OFFSETS = [-60, -30, -20, -10, -4, -1, 0, 1, 5, 29, 30, 31, 200]


async def partner_with_clients() -> tuple[int, list[int], list[int]]:
    """A partner with full access to three clients, each with products renewing around today
    (LIST_OFFSETS days away); the partner, its clients and their links."""
    partner = await organisation("Partner AG", partner=True)
    clients, links = [], []
    for number in range(3):
        client = await organisation(f"Client {number}")
        clients.append(client)
        links.append(await link(partner, client, "full"))
        for offset in LIST_OFFSETS:
            for code in ("domain-ch", "web-pro"):
                await product(client, code, TODAY + timedelta(days=offset))
    # one suspended for an unpaid warranty invoice, its date ahead
    ahead = await product(clients[0], "web-pro", TODAY + timedelta(days=300))
    await Product.update({Product.status: "suspended"}).where(Product.id == ahead)
    return partner, clients, links
