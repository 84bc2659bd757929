"""Orders, invoices and their organisations, for the billing tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from portal.clients.tables import PartnerLink
from portal.organisations.tables import Organisation
from portal.products.tables import CatalogueItem, Product


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
