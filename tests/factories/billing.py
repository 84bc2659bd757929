"""Orders, invoices, prepaid accounts and their organisations and people, for the billing
tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

from portal.access import Actor, Role
from portal.accounts.passwords import hash_password
from portal.accounts.tables import Account
from portal.billing import queries
from portal.billing.tables import Invoice, InvoiceLine
from portal.clients.tables import PartnerLink
from portal.core.current import Current, OrganisationSummary
from portal.organisations.tables import Membership, Organisation
from portal.products.tables import CatalogueItem, Product
from tests.factories.accounts import PASSWORD, log_out, sign_up
from tests.factories.clients import legal_representative, make_partner


async def organisation(name: str, country="CH", currency="CHF", partner=False, vat="") -> int:
    rows = await Organisation.insert(
        Organisation(
            name=name,
            country=country,
            currency=currency,
            vat_number=vat,
            partner_status="active" if partner else "none",
        )
    ).returning(Organisation.id)
    return rows[0]["id"]


async def link(partner: int, client: int, access: str, billing=None, families=()) -> None:
    await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client,
            status="active",
            initiated_by="partner",
            requested_access=access,
            access=access,
            families=list(families),
            billing_mode=billing,
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )


async def item(code: str) -> dict:
    return await CatalogueItem.select().where(CatalogueItem.code == code).first()


async def product(client: int, code: str, period="yearly") -> int:
    offer = await item(code)
    rows = await Product.insert(
        Product(
            organisation=client,
            item=offer["id"],
            family=offer["family"],
            name=code,
            period=period,
            started_on=date(2026, 1, 1),
            renews_on=date(2027, 1, 1),
        )
    ).returning(Product.id)
    return rows[0]["id"]


async def person(organisation_id: int, email: str) -> Current:
    rows = await Account.insert(Account(email=email, full_name=email, password_hash="x")).returning(
        Account.id
    )
    await Membership.insert(
        Membership(
            organisation=organisation_id,
            account=rows[0]["id"],
            role="legal_representative",
            billing_rights=True,
        )
    )
    return Current(
        0,
        rows[0]["id"],
        email,
        email,
        False,
        False,
        OrganisationSummary(organisation_id, email, "CHF", "CH"),
        ((organisation_id, email),),
        Actor(rows[0]["id"], organisation_id, Role.LEGAL_REPRESENTATIVE, True),
    )


async def credit(organisation_id: int, amount: D, currency: str = "CHF") -> None:
    """Money on the prepaid account, as a deposit the bank statement showed paid."""
    await queries.insert_ledger_entry(
        {
            "organisation": organisation_id,
            "currency": currency,
            "kind": "deposit",
            "amount": amount,
            "reference": "Deposit",
        }
    )


async def big_enough(partner: int, client: int) -> None:
    """Cloud servers worth CHF 3,240 a year: the partner reaches the 20 % tier."""
    for _ in range(10):
        await product(client, "cloud-2")


async def only_line(invoice_id: int) -> dict:
    return await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id).first()


async def invoice(invoice_id: int) -> dict:
    return await Invoice.select().where(Invoice.id == invoice_id).first()


PAIN_001_XSD = Path(__file__).resolve().parents[1] / "data" / "pain.001.001.09.xsd"


async def member(organisation_id: int, email: str, *, staff: bool = False) -> Current:
    return await legal_representative(
        organisation_id,
        email,
        organisation_name=email,
        password_hash=hash_password(PASSWORD),
        staff=staff,
    )


async def staff_member() -> Current:
    host = await organisation("Cloud Host SA")
    return await member(host, "staff@host.ch", staff=True)


async def linked_full(client_http) -> tuple[int, int]:
    """Partner AG manages Client GmbH with full access (client pays); returns their ids."""
    await sign_up(client_http, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    partner = await make_partner("Partner AG")
    await log_out(client_http)
    await sign_up(client_http, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    client = (
        await Organisation.select(Organisation.id).where(Organisation.name == "Client GmbH").first()
    )["id"]
    await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client,
            status="active",
            initiated_by="client",
            requested_access="full",
            access="full",
            billing_mode="client",
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    )
    return partner, client
