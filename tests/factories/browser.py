"""Steps of the browser journeys shared by several of them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from playwright.async_api import Page, expect

from portal.organisations.tables import Organisation
from portal.products.tables import CatalogueItem, Product
from tests.factories.accounts import PASSWORD


async def sign_up(
    page: Page, email: str, name: str = "Anna Muster", organisation: str = "Muster Web AG"
) -> None:
    """Create an account and its organisation; the new user lands on the overview."""
    await page.goto("/signup")
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Organisation name").fill(organisation)
    await page.get_by_label("I accept the terms of use").check()
    await page.get_by_role("button", name="Create my account").click()
    await page.wait_for_url(re.compile(r"/$"))
    await expect(page.locator("details.menu summary")).to_have_text(name)


def swiss_money(amount: Decimal, currency: str = "CHF") -> str:
    """A positive amount as the portal shows it, written out independently of its formatter:
    Swiss style, "CHF 3’035.04" (the page's no-break space matches this space in Playwright's
    text assertions, which normalise white space). A negative one comes out as "CHF -12.00",
    where the portal currently shows "CHF-12.00"."""
    sign = "-" if amount < 0 else ""
    return f"{currency} {sign}{abs(amount):,.2f}".replace(",", "’")


async def link_with_full_access(
    partner_organisation: str, client_organisation: str, billing_mode: str = "client"
) -> int:
    """An active partner link with full access, set straight in the database, as if the client
    had granted it; returns the link's id."""
    from portal.clients.tables import PartnerLink
    from portal.organisations.tables import Organisation

    ids = {}
    for name in (partner_organisation, client_organisation):
        row = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
        assert row is not None, f"no organisation {name}"
        ids[name] = row["id"]
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=ids[partner_organisation],
            client=ids[client_organisation],
            status="active",
            initiated_by="client",
            requested_access="full",
            access="full",
            billing_mode=billing_mode,
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    ).returning(PartnerLink.id)
    return rows[0]["id"]


async def organisation_id(name: str) -> int:
    row = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    assert row is not None, f"no organisation {name}"
    return row["id"]


async def make_programme_partner(name: str) -> None:
    await Organisation.update({Organisation.partner_status: "active"}).where(
        Organisation.id == await organisation_id(name)
    )


async def give_products(organisation_name: str, *codes: str) -> dict[str, str]:
    """Products of the catalogue, owned by the organisation; code → product name."""
    owner = await organisation_id(organisation_name)
    names = {}
    for code in codes:
        item = await CatalogueItem.select().where(CatalogueItem.code == code).first()
        names[code] = f"{code}.example"
        await Product.insert(
            Product(
                organisation=owner,
                item=item["id"],
                family=item["family"],
                name=names[code],
                period="yearly",
                started_on=date(2026, 1, 1),
                renews_on=date(2027, 1, 1),
            )
        )
    return names
