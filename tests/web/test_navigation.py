"""The main menu, as each person of each kind of organisation sees it: every link it shows
opens (200) for that person and is marked as the current section there; what does not apply
to them is not shown."""

from __future__ import annotations

import lxml.html
import pytest

from portal.organisations.tables import Membership
from tests.factories.accounts import logged_in_browser
from tests.factories.organisations import insert_person, insert_team
from tests.factories.partners import organisation

# Who, in each kind of organisation: (role, billing rights); None for a team guest.
ROLES = {
    "legal representative": ("legal_representative", False),
    "administrator": ("administrator", False),
    "user with billing rights": ("user", True),
    "user": ("user", False),
    "team guest": None,
}
KINDS = {
    "active partner": {"status": "active"},
    "applicant": {"status": "applicant"},
    "client": {},
    "affiliate": {"is_affiliate": True},
}
MANAGERS_ONLY = {"Programme", "Directory listing", "Audit log", "Webhooks"}
MONEY = {"Billing", "Prepaid account", "Reports", "Affiliate"}
# What each kind shows to its legal representative (others see part of it).
EXPECTED = {
    "active partner": {
        "Overview",
        "Dashboard",
        "Clients",
        "Products",
        "Renewals",
        "Client renewals",
        "Billing",
        "Prepaid account",
        "Reports",
        "Tenders",
        "Programme",
        "Directory listing",
        "Members",
        "Teams",
        "Audit log",
        "Webhooks",
        "Settings",
    },
    "client": {
        "Overview",
        "Partners",
        "Products",
        "Renewals",
        "Billing",
        "Prepaid account",
        "Tenders",
        "Programme",
        "Members",
        "Teams",
        "Audit log",
        "Webhooks",
        "Settings",
    },
}
EXPECTED["applicant"] = EXPECTED["active partner"]
EXPECTED["affiliate"] = EXPECTED["client"] | {"Affiliate"}
GUEST_SEES = {"partner": {"Overview", "Dashboard", "Clients", "Teams", "Settings"}}


def menu(html: str) -> dict[str, str]:
    """Label → URL of the main menu's links."""
    nav = lxml.html.fromstring(html).get_element_by_id("main-menu")
    return {a.text_content().strip(): a.get("href") for a in nav.iter("a")}


def current_sections(html: str) -> list[str]:
    nav = lxml.html.fromstring(html).get_element_by_id("main-menu")
    return [a.get("href") for a in nav.iter("a") if a.get("aria-current") == "page"]


def expected_for(kind: str, who: str) -> set[str]:
    whole = EXPECTED[kind]
    if who == "team guest":
        in_programme = kind in {"active partner", "applicant"}
        return GUEST_SEES["partner"] if in_programme else {"Overview", "Teams", "Settings"}
    if who == "legal representative":
        return whole
    if who == "administrator":
        return whole
    plain = whole - MANAGERS_ONLY
    return plain if who == "user with billing rights" else plain - MONEY


async def people_of(kind: str) -> tuple[int, dict[str, str]]:
    organisation_id = await organisation(f"Muster {kind.title()} AG", **KINDS[kind])
    emails = {}
    for who, rights in ROLES.items():
        email = f"{who.replace(' ', '.')}@{kind.replace(' ', '-')}.example.ch"
        if rights is None:
            guest = await insert_person(email)
            await insert_team(organisation_id, "Support", [guest])
        else:
            role, billing_rights = rights
            account = await insert_person(email, organisation_id, role)
            await Membership.update({Membership.billing_rights: billing_rights}).where(
                Membership.account == account
            )
        emails[who] = email
    return organisation_id, emails


async def assert_every_link_opens(browser, who: str) -> dict[str, str]:
    home = await browser.get("/", follow_redirects=True)
    assert home.status_code == 200, who
    links = menu(home.text)
    for label, url in links.items():
        response = await browser.get(url)
        assert response.status_code == 200, f"{who}: {label} ({url}) answers {response.status_code}"
        assert current_sections(response.text) == [url], f"{who}: {label} is not marked current"
    return links


@pytest.mark.parametrize("kind", list(KINDS))
async def test_every_link_of_the_menu_opens_for_each_role(client, kind):
    organisation_id, emails = await people_of(kind)
    for who, email in emails.items():
        browser = await logged_in_browser(client, email, organisation_id)
        try:
            links = await assert_every_link_opens(browser, f"{who} of the {kind}")
        finally:
            await browser.aclose()
        assert set(links) == expected_for(kind, who), f"{who} of the {kind}"
        assert len(set(links.values())) == len(links)  # one link per page


async def test_staff_land_on_their_area_with_every_staff_page_linked(client):
    await insert_person("sofia@host.example.ch")
    await Membership.raw("UPDATE account SET is_staff = true WHERE email = 'sofia@host.example.ch'")
    browser = await logged_in_browser(client, "sofia@host.example.ch")
    try:
        landing = await browser.get("/")
        assert landing.status_code == 303
        assert landing.headers["location"] == "/staff"
        links = await assert_every_link_opens(browser, "staff")
    finally:
        await browser.aclose()
    assert links == {
        "Applications": "/staff",
        "Programme settings": "/staff/programme",
        "VAT rates": "/staff/vat-rates",
        "Payments": "/staff/payments",
        "Invoices": "/staff/invoices",
        "Outbox": "/dev/outbox",  # development mode, as in the tests
    }


async def test_the_section_of_a_deeper_page_is_current(client):
    organisation_id, emails = await people_of("active partner")
    browser = await logged_in_browser(client, emails["legal representative"], organisation_id)
    try:
        for path, section in {
            "/billing/prepaid": "/billing/prepaid",
            "/renewals?state=due": "/renewals",
            "/partner/renewals": "/partner/renewals",
            "/exports/reports": "/exports",
            "/partner/tenders/settings": "/partner/tenders",
            "/account/security": None,
        }.items():
            response = await browser.get(path)
            assert response.status_code == 200, path
            assert current_sections(response.text) == ([section] if section else []), path
    finally:
        await browser.aclose()
