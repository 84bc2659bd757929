"""Every page that aggregates, for every kind of person of a partner, through HTTP
(docs/rules.md, Who may do what):
each page, fragment, count, chart, export and report that speaks of clients names only the
clients this person may see — every client for legal representatives and administrators, only
the active clients given to them (in person or through a team) for anyone else; the
organisation-wide money of the programme (managed volume, tier, cashback, prepaid balance)
only to people with billing rights and to legal representatives and administrators.

The expectations are written here from those rules, page by page, not from the code.
"""

from __future__ import annotations

import csv
import io
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from portal.billing import queries as billing_queries
from portal.billing.tables import LedgerEntry
from portal.clients.tables import ClientAssignment, PartnerLink
from portal.formatting import money
from portal.organisations.tables import Membership, TeamMember
from portal.products.tables import Product
from tests.factories.accounts import logged_in_browser
from tests.factories.exports import assign, insert_invoice, insert_link
from tests.factories.organisations import insert_organisation, insert_person, insert_team
from tests.factories.products import insert_product
from tests.factories.web import post_form

ALPHA = "Alpha Client GmbH"  # full access, the partner pays; given in person to one user
BETA = "Beta Client SA"  # restricted access; given to the team of the user with billing rights
DELTA = "Delta Client Sàrl"  # full access, the client pays; given to nobody
GAMMA = "Gamma Client AG"  # asked the partner to be its partner: waiting for an answer
ACTIVE_CLIENTS = frozenset({ALPHA, BETA, DELTA})
EVERYONE_ELSE = ["Rival Client AG"]  # another partner's client: never shown to anyone here

ISSUED = datetime.now(UTC).date() - timedelta(days=3)


@dataclass(frozen=True)
class Person:
    key: str
    role: str | None  # None: an outside guest of a team
    every_client: bool = False  # legal representatives and administrators
    clients: frozenset[str] = frozenset()  # the clients given to them, otherwise
    money: bool = False  # the programme's organisation-wide money

    @property
    def member(self) -> bool:
        return self.role is not None

    def sees(self, names) -> set[str]:
        return set(names) if self.every_client else set(names) & self.clients


PEOPLE = [
    Person("legal representative", "legal_representative", every_client=True, money=True),
    Person("administrator", "administrator", every_client=True, money=True),
    Person("user with billing rights", "user", clients=frozenset({BETA}), money=True),
    Person("user with one client", "user", clients=frozenset({ALPHA})),
    Person("user with no client", "user"),
    Person("team guest with no client", None),
]


def status_for_money_pages(person: Person) -> int:
    """Billing pages and reports: people with billing rights and managers; another member is
    refused (403); a team guest does not see them exist (404)."""
    if person.money:
        return 200
    return 403 if person.member else 404


def status_for_managers(person: Person) -> int:
    if person.every_client:
        return 200
    return 403 if person.member else 404


@dataclass(frozen=True)
class Page:
    """A page, and the client names it shows to whoever sees every client (and may open it)."""

    name: str
    path: str
    names: frozenset[str]
    status: object = lambda person: 200  # the person → the expected status
    htmx: bool = False  # asked as an htmx fragment
    pending: bool = False  # whoever sees every client also sees GAMMA's waiting request there
    money_names: bool = False  # only whoever sees the money sees the names (its invoices)


PAGES = [
    # renewals are counted there (the counts' scope: tests/web/renewals), clients named only
    # in the recent invoices
    Page("dashboard", "/partner/dashboard", frozenset({ALPHA}), money_names=True),
    Page("clients", "/clients", ACTIVE_CLIENTS, pending=True),
    Page("clients fragment", "/clients?search=Client", ACTIVE_CLIENTS, htmx=True),
    Page("clients, full only", "/clients?access=full", frozenset({ALPHA, DELTA}), pending=True),
    Page("invoices", "/billing", frozenset({ALPHA}), status_for_money_pages),
    Page("prepaid account", "/billing/prepaid", frozenset({BETA, DELTA}), status_for_money_pages),
    Page(
        "prepaid account, CSV",
        "/billing/prepaid/export.csv",
        frozenset({BETA, DELTA}),
        status_for_money_pages,
    ),
    Page("reports", "/exports", ACTIVE_CLIENTS, status_for_money_pages),
    Page(
        "report client picker",
        "/exports/clients?q=Client",
        ACTIVE_CLIENTS,
        status_for_money_pages,
        htmx=True,
    ),
    Page("my reports", "/exports/reports", frozenset(), status_for_money_pages),
    Page("audit log", "/organisation/audit", frozenset(), status_for_managers),
    Page("overview", "/", frozenset()),
    Page("teams", "/organisation/teams", frozenset()),
    Page("members", "/organisation/members", frozenset(), lambda p: 200 if p.member else 404),
    Page("products", "/products", frozenset(), lambda p: 200 if p.member else 404),
    Page("tenders", "/partner/tenders", frozenset(), lambda p: 200 if p.member else 404),
    # the application's volume criterion lists the largest clients
    Page("programme", "/programme", ACTIVE_CLIENTS, status_for_managers),
]


@dataclass
class World:
    partner: int
    clients: dict[str, int]
    links: dict[str, int]
    alpha_invoice: int
    volume_shown: str
    balance_shown: str
    browsers: dict


async def build_world(client, closing: AsyncExitStack) -> World:
    partner = await insert_organisation("Partner AG", partner_status="active")
    rival = await insert_organisation("Rival Partner AG", partner_status="active")
    clients = {name: await insert_organisation(name) for name in (ALPHA, BETA, DELTA, GAMMA)}
    rival_client = await insert_organisation(EVERYONE_ELSE[0])
    links = {
        ALPHA: await insert_link(partner, clients[ALPHA], "full", billing_mode="partner"),
        BETA: await insert_link(partner, clients[BETA], "restricted"),
        DELTA: await insert_link(partner, clients[DELTA], "full", billing_mode="client"),
        GAMMA: await insert_link(partner, clients[GAMMA], "restricted", status="awaiting_partner"),
    }
    await insert_link(rival, rival_client, "full")
    await PartnerLink.update({PartnerLink.access: None}).where(PartnerLink.id == links[GAMMA])
    soon = datetime.now(UTC).date() + timedelta(days=10)
    for name in (ALPHA, BETA, DELTA, EVERYONE_ELSE[0]):
        organisation = clients.get(name, rival_client)
        product = await insert_product(organisation, "web-pro", f"site-of-{name[:4].lower()}.ch")
        await Product.update({Product.renews_on: soon}).where(Product.id == product)

    emails = {person.key: person.key.replace(" ", ".") + "@partner.ch" for person in PEOPLE}
    accounts = {}
    for person in PEOPLE:
        accounts[person.key] = await insert_person(emails[person.key], partner, person.role)
    await Membership.update({Membership.billing_rights: True}).where(
        Membership.account == accounts["user with billing rights"]
    )
    beta_desk = await insert_team(partner, "Beta desk", [accounts["user with billing rights"]])
    await ClientAssignment.insert(ClientAssignment(link=links[BETA], team=beta_desk))
    await assign(links[ALPHA], accounts["user with one client"])
    guests = await insert_team(partner, "Outside helpers", [])
    await TeamMember.insert(TeamMember(team=guests, account=accounts["team guest with no client"]))

    alpha_invoice = await insert_invoice(
        payer=partner,
        client=clients[ALPHA],
        partner=partner,
        issued_on=ISSUED,
        lines=[("Web Pro — site-of-alph.ch", "300.00", "240.00", "0", "60.00")],
    )
    for name, cashback in ((BETA, "12.34"), (DELTA, "56.78")):
        await insert_invoice(
            payer=clients[name],
            client=clients[name],
            partner=partner,
            issued_on=ISSUED,
            lines=[(f"Web Pro — site-of-{name[:4].lower()}.ch", "300.00", "300.00", cashback, "0")],
        )
    await _name_the_cashback(partner, clients)

    volume, _ = await billing_queries.managed_volume(partner)
    balance = await billing_queries.ledger_balance(partner, "CHF")
    browsers = {}
    for person in PEOPLE:
        browser = await logged_in_browser(
            client, emails[person.key], None if person.member else partner
        )
        closing.push_async_callback(browser.aclose)
        browsers[person.key] = browser
    return World(
        partner,
        clients,
        links,
        alpha_invoice,
        money(volume, "CHF"),
        money(balance, "CHF"),
        browsers,
    )


async def _name_the_cashback(partner: int, clients: dict[str, int]) -> None:
    """The ledger is append-only: the cashback entries are written again, naming their client
    as the portal's own entries do ("Cashback on … for <client>"), and the plain ones
    reversed."""
    entries = await LedgerEntry.select().where(LedgerEntry.organisation == partner)
    names = {organisation: name for name, organisation in clients.items()}
    for entry in entries:
        invoice_client = (
            await LedgerEntry.raw("SELECT client FROM invoice WHERE id = {}", entry["invoice"])
        )[0]["client"]
        for amount, reference in (
            (-entry["amount"], "Correction"),
            (entry["amount"], f"Cashback on Web Pro for {names[invoice_client]}"),
        ):
            await LedgerEntry.insert(
                LedgerEntry(
                    organisation=partner,
                    currency="CHF",
                    kind="cashback",
                    amount=amount,
                    invoice=entry["invoice"],
                    reference=reference,
                )
            )


@pytest.fixture
async def world(client, db):
    async with AsyncExitStack() as closing:
        yield await build_world(client, closing)


def names_in(text: str) -> set[str]:
    return {name for name in (*ACTIVE_CLIENTS, GAMMA, *EVERYONE_ELSE) if name in text}


async def test_every_aggregating_page_names_only_the_clients_the_person_sees(world):
    problems = []
    for page in PAGES:
        for person in PEOPLE:
            browser = world.browsers[person.key]
            headers = {"HX-Request": "true"} if page.htmx else {}
            response = await browser.get(page.path, headers=headers)
            label = f"{person.key} → GET {page.path}"
            status = page.status(person)
            if response.status_code != status:
                problems.append(f"{label}: {response.status_code}, expected {status}")
                continue
            expected = person.sees(page.names) if status == 200 else set()
            if page.money_names and not person.money:
                expected = set()
            if page.pending and person.every_client:
                expected.add(GAMMA)
            shown = names_in(response.text)
            if shown != expected:
                problems.append(f"{label}: names {sorted(shown)}, expected {sorted(expected)}")
    assert not problems, "\n".join(problems)


MONEY_MARKS = [
    'data-testid="managed-volume"',
    'data-testid="tier"',
    'data-testid="prepaid-balance"',
    'data-testid="benefits"',
]


async def test_the_programme_money_shows_only_to_billing_rights_and_managers(world):
    problems = []
    for person in PEOPLE:
        browser = world.browsers[person.key]
        dashboard = (await browser.get("/partner/dashboard")).text
        for mark in MONEY_MARKS:
            if (mark in dashboard) is not person.money:
                problems.append(
                    f"{person.key}: {mark} {'shown' if mark in dashboard else 'hidden'}"
                )
        for figure in (world.volume_shown, world.balance_shown):
            if (figure in dashboard) is not person.money:
                problems.append(f"{person.key}: {figure} on the dashboard: {figure in dashboard}")
        # how many clients count toward the volume, and the requests waiting for an answer,
        # are numbers about clients: only for whoever sees them all
        counting = "Counting 3 clients" in dashboard
        if counting is not person.every_client:
            problems.append(f"{person.key}: 'Counting 3 clients' shown: {counting}")
        waiting = "1 invitation waiting for an answer" in dashboard
        if waiting is not person.every_client:
            problems.append(f"{person.key}: the waiting request shown: {waiting}")
        for page in PAGES:  # no other page of theirs gives the volume away either
            text = (await browser.get(page.path)).text
            if not person.money and world.volume_shown in text:
                problems.append(f"{person.key}: the managed volume on {page.path}")
    assert world.volume_shown != money(0, "CHF") and world.balance_shown == money(69.12, "CHF")
    assert not problems, "\n".join(problems)


async def test_an_invoice_for_a_client_not_given_is_not_found(world):
    """The invoice the partner paid for ALPHA: a manager opens it; the user with billing
    rights, who sees only BETA, gets 404 (and cannot pay it); the others have no billing."""
    path = f"/billing/invoices/{world.alpha_invoice}"
    expected = {
        "legal representative": 200,
        "administrator": 200,
        "user with billing rights": 404,
        "user with one client": 403,
        "user with no client": 403,
        "team guest with no client": 404,
    }
    shown = {key: (await browser.get(path)).status_code for key, browser in world.browsers.items()}
    assert shown == expected
    paying = await post_form(world.browsers["user with billing rights"], path + "/pay")
    assert paying.status_code == 404


async def test_the_prepaid_account_names_only_the_clients_the_person_sees(world):
    """The balance is the organisation's; an entry about a client not given to the person
    keeps its amount and hides the name."""
    page = (await world.browsers["user with billing rights"].get("/billing/prepaid")).text
    assert world.balance_shown in page
    assert "Cashback on Web Pro for Beta Client SA" in page
    assert DELTA not in page and "On an invoice of a client not given to you" in page


async def test_a_report_holds_only_the_clients_the_person_sees(world):
    period = {
        "period": "range",
        "period_start": (ISSUED - timedelta(days=30)).isoformat(),
        "period_end": ISSUED.isoformat(),
        "format": "csv",
        "clients": "all",
    }
    expected = {
        "legal representative": {ALPHA, BETA, DELTA},
        "administrator": {ALPHA, BETA, DELTA},
        "user with billing rights": {BETA},
    }
    for person in PEOPLE:
        response = await post_form(world.browsers[person.key], "/exports", period)
        if person.key not in expected:
            assert response.status_code == status_for_money_pages(person), person.key
            continue
        assert response.status_code == 200, (person.key, response.text[:300])
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert {row["Client"] for row in rows} == expected[person.key], person.key
        # asking for a client not given to them is asking for nothing that exists
        alpha = str(world.clients[ALPHA])
        chosen = await post_form(
            world.browsers[person.key],
            "/exports",
            {**period, "clients": "selected", "client_ids": alpha},
        )
        assert chosen.status_code == (200 if ALPHA in expected[person.key] else 404), person.key
