"""Every list of the portal pages by keyset: walked page by page to the end (and back from the
end), no row is skipped or shown twice, and rows that tie on the sort (same name, same time,
same price) keep one order. The reference order is the list's query read whole."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from piccolo.querystring import QueryString

from portal.access import ClientScope
from portal.accounts import queries as account_queries
from portal.audit import services as audit
from portal.audit.services import AuditFilter
from portal.billing import queries as billing_queries
from portal.clients import queries as client_queries
from portal.exports.reports import queries as report_queries
from portal.organisations import queries as organisation_queries
from portal.paging import FIRST, LAST, Page, Position
from portal.piccolo_conf import DB
from portal.products import queries as product_queries
from portal.tenders import queries as tender_queries

Fetch = Callable[[Position], Awaitable[Page]]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SAME_NAMES = ["Zeta AG", "Alpha GmbH", "Mitte SA", "Alpha GmbH", "Alpha GmbH", "Beta Sàrl"]

EVERY_CLIENT = ClientScope(every_client=True, user_id=0)  # a manager: nothing filtered


async def sql(text: str, *args) -> list[dict]:
    return await DB.run_querystring(QueryString(text, *args))


async def one(text: str, *args) -> int:
    return (await sql(text + " RETURNING id", *args))[0]["id"]


async def walk(fetch: Fetch, key, *, pages_at_least: int = 1) -> list:
    """The keys of every row, page after page to the end; then checks that walking back from
    the last page meets the same rows, and that each page's neighbours are where it says."""
    forward, position, pages = [], FIRST, 0
    while True:
        page = await fetch(position)
        forward += [key(row) for row in page]
        pages += 1
        assert pages < 100, "the pages never end"
        if page.at_end:
            break
        assert page.after and len(page) > 0
        position = Position("after", page.after)
    backward, position = [], LAST
    while True:
        page = await fetch(position)
        backward = [key(row) for row in page] + backward
        if page.at_start:
            break
        position = Position("before", page.before)
    assert backward == forward
    assert len(set(forward)) == len(forward), "a row was shown twice"
    assert pages >= pages_at_least
    return forward


async def check_list(fetch: Fetch, key, everything: list) -> None:
    """The list walked both ways is EVERYTHING, in its order, over three pages at least."""
    assert await walk(fetch, key, pages_at_least=3) == everything


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of a few rows, so that a list of a dozen rows has many pages."""
    for module in (
        organisation_queries,
        client_queries,
        tender_queries,
        report_queries,
    ):
        monkeypatch.setattr(module, "PAGE_SIZE", 3)
    monkeypatch.setattr(tender_queries, "QUOTE_PAGE_SIZE", 2)


async def organisation(name: str, **columns) -> int:
    names = ", ".join(["name", "country", "currency", *columns])
    values = ", ".join("{}" for _ in range(3 + len(columns)))
    return await one(
        f"INSERT INTO organisation ({names}) VALUES ({values})",
        name,
        "CH",
        "CHF",
        *columns.values(),
    )


async def account(email: str, name: str) -> int:
    return await one("INSERT INTO account (email, full_name) VALUES ({}, {})", email, name)


async def test_members_page_by_name_with_namesakes(db, small_pages):
    org = await organisation("Muster AG")
    for number, name in enumerate(SAME_NAMES * 2):
        person = await account(f"p{number}@example.ch", name)
        await sql(
            "INSERT INTO membership (organisation, account, role) VALUES ({}, {}, 'user')",
            org,
            person,
        )
    everything = await sql(
        """SELECT a.id FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = {} ORDER BY a.full_name, a.id""",
        org,
    )
    await check_list(
        lambda at: organisation_queries.members(org, at),
        lambda row: row["account_id"],
        [row["id"] for row in everything],
    )


async def test_teams_page_by_name(db, small_pages):
    org = await organisation("Muster AG")
    for number in range(11):
        await sql(
            "INSERT INTO team (organisation, name) VALUES ({}, {})", org, f"Team {11 - number}"
        )
    everything = await sql(
        "SELECT id FROM team WHERE organisation = {} ORDER BY lower(name), id", org
    )
    await check_list(
        lambda at: organisation_queries.teams(org, at),
        lambda row: row["id"],
        [row["id"] for row in everything],
    )


async def partner_with_clients(count: int) -> tuple[int, list[int]]:
    partner = await organisation("Partner AG", partner_status="active")
    links = []
    for number in range(count):
        client = await organisation(SAME_NAMES[number % len(SAME_NAMES)])
        links.append(
            await one(
                """INSERT INTO partner_link (partner, client, status, initiated_by, access,
                                            requested_access, families, billing_mode)
                   VALUES ({}, {}, 'active', 'partner', {}, {}, {}, {})""",
                partner,
                client,
                "full" if number % 2 else "restricted",
                "full" if number % 2 else "restricted",
                [] if number % 2 else ["domain"],
                "client" if number % 2 else None,
            )
        )
    return partner, links


async def test_a_partners_clients_page_by_name_with_namesakes(db, small_pages):
    partner, _ = await partner_with_clients(13)
    everything = await sql(
        """SELECT l.id FROM partner_link l JOIN organisation c ON c.id = l.client
           WHERE l.partner = {} AND l.status = 'active' ORDER BY c.name, l.id""",
        partner,
    )
    await check_list(
        lambda at: client_queries.clients_of_partner(partner, at, scope=EVERY_CLIENT),
        lambda row: row["id"],
        [row["id"] for row in everything],
    )
    full = await walk(
        lambda at: client_queries.clients_of_partner(
            partner, at, scope=EVERY_CLIENT, access="full", search="alpha"
        ),
        lambda row: (row["id"], row["access"], row["client_name"]),
    )
    assert full and all(access == "full" and "Alpha" in name for _, access, name in full)


async def test_a_clients_partners_page_by_status_then_name(db, small_pages):
    client = await organisation("Client AG")
    for number in range(10):
        partner = await organisation(SAME_NAMES[number % len(SAME_NAMES)], partner_status="active")
        await sql(
            """INSERT INTO partner_link (partner, client, status, initiated_by, access,
                                        requested_access)
               VALUES ({}, {}, {}, 'client', {}, 'restricted')""",
            partner,
            client,
            "active" if number % 3 else "awaiting_partner",
            "restricted" if number % 3 else None,
        )
    everything = await sql(
        """SELECT l.id FROM partner_link l JOIN organisation p ON p.id = l.partner
           WHERE l.client = {} ORDER BY l.status, p.name, l.id""",
        client,
    )
    await check_list(
        lambda at: client_queries.links_of_client(client, at),
        lambda row: row["id"],
        [row["id"] for row in everything],
    )


async def products_of(org: int, count: int) -> None:
    items = {row["family"]: row["id"] for row in await sql("SELECT id, family FROM catalogue_item")}
    families = sorted(items)[:3]
    for number in range(count):
        family = families[number % len(families)]
        await sql(
            """INSERT INTO product (organisation, item, family, name, period)
               VALUES ({}, {}, {}, {}, 'yearly')""",
            org,
            items[family],
            family,
            SAME_NAMES[number % len(SAME_NAMES)],
        )


async def ordered_products(org: int) -> list[int]:
    rows = await sql(
        "SELECT id FROM product WHERE organisation = {} ORDER BY family, name, id", org
    )
    return [row["id"] for row in rows]


async def test_an_organisations_products_page_by_family_and_name(db):
    org = await organisation("Muster AG")
    await products_of(org, 14)
    await check_list(
        lambda at: product_queries.products_of(org, at, size=4),
        lambda row: row["id"],
        await ordered_products(org),
    )


async def test_a_clients_products_page_through_its_partners_link(db):
    partner, links = await partner_with_clients(2)
    link = await client_queries.link_seen_by(partner, links[1])  # full access
    await products_of(link["client"], 14)
    await check_list(
        lambda at: client_queries.delegated_products(link, at, size=4),
        lambda row: row["id"],
        await ordered_products(link["client"]),
    )


async def test_invoices_page_newest_first_with_days_in_common(db):
    payer = await organisation("Payer AG")
    for number in range(13):
        await sql(
            """INSERT INTO invoice (number, payer, client, currency, issued_on, vat_rule)
               VALUES ({}, {}, {}, 'CHF', {}, 'swiss_vat')""",
            f"INV-{number:04d}",
            payer,
            payer,
            (NOW - timedelta(days=number % 3)).date(),
        )
    everything = await sql(
        "SELECT id FROM invoice WHERE payer = {} ORDER BY issued_on DESC, id DESC", payer
    )
    await check_list(
        lambda at: billing_queries.invoices_paid_by(payer, EVERY_CLIENT, at, size=4),
        lambda invoice: invoice.id,
        [row["id"] for row in everything],
    )


async def older_and_older(organisation_id: int, scope, key, size: int) -> list:
    """The prepaid account's CHF entries, page after page from the newest (its pages go to
    older entries only), as KEY of each row."""
    walked, before, pages = [], None, 0
    while True:
        rows, more = await billing_queries.ledger_entries(
            organisation_id, "CHF", before, scope, size
        )
        walked += [key(row) for row in rows]
        pages += 1
        if not more:
            break
        before = rows[-1]["id"]
    assert pages >= 3 and len(set(walked)) == len(walked)
    return walked


async def test_the_ledger_pages_newest_first_in_its_currency(db):
    org = await organisation("Muster AG")
    for number in range(15):
        await sql(
            """INSERT INTO ledger_entry (organisation, currency, kind, amount, created_at)
               VALUES ({}, {}, 'deposit', 10, {})""",
            org,
            "EUR" if number % 5 == 0 else "CHF",
            NOW,
        )
    everything = await sql(
        """SELECT id FROM ledger_entry WHERE organisation = {} AND currency = 'CHF'
           ORDER BY id DESC""",
        org,
    )
    walked = await older_and_older(org, EVERY_CLIENT, lambda row: row["id"], size=3)
    assert walked == [row["id"] for row in everything]


async def test_the_audit_log_pages_newest_first_with_entries_of_the_same_moment(db, small_pages):
    org = await organisation("Muster AG")
    other = await organisation("Other AG")
    for number in range(16):
        await sql(
            """INSERT INTO audit_event (organisation, action, subject, created_at)
               VALUES ({}, {}, 'x', {})""",
            other if number % 7 == 0 else org,
            "team.created" if number % 2 else "member.joined",
            NOW - timedelta(seconds=number % 3),  # a few at the very same microsecond
        )
    everything = await sql(
        "SELECT id FROM audit_event WHERE organisation = {} ORDER BY created_at DESC, id DESC",
        org,
    )
    await check_list(
        lambda at: audit.events_of(org, AuditFilter(), at, size=3),
        lambda row: row["id"],
        [row["id"] for row in everything],
    )
    teams = await walk(
        lambda at: audit.events_of(org, AuditFilter(action="team."), at, size=3),
        lambda row: (row["id"], row["action"]),
    )
    assert teams and {action for _, action in teams} == {"team.created"}


async def tender(author_org: int | None, number: int) -> int:
    return await one(
        """INSERT INTO tender (title, description, category, budget_min, budget_max, currency,
                              language, country, deadline, author_name, author_email, status,
                              author_organisation, author_account)
           VALUES ({}, 'A website', 'website_creation', 1000, 2000, 'CHF', 'de', 'CH', {},
                   'Anna', 'anna@example.ch', 'open', {}, NULL)""",
        f"Tender {number}",
        NOW + timedelta(days=30),
        author_org,
    )


async def test_an_authors_tenders_and_a_partners_inbox_page_newest_first(db, small_pages):
    author = await organisation("Client AG")
    partner = await organisation("Partner AG", partner_status="active")
    tenders = [await tender(author, number) for number in range(11)]
    for tender_id in tenders:
        await sql(
            "INSERT INTO tender_recipient (tender, partner) VALUES ({}, {})", tender_id, partner
        )
    newest_first = sorted(tenders, reverse=True)
    await check_list(
        lambda at: tender_queries.tenders_of_organisation(author, at),
        lambda row: row["id"],
        newest_first,
    )
    await check_list(
        lambda at: tender_queries.inbox(partner, NOW, at), lambda row: row.id, newest_first
    )


async def test_a_tenders_quotes_page_cheapest_first_with_equal_prices(db, small_pages):
    tender_id = await tender(None, 1)
    for number in range(9):
        partner = await organisation(f"Partner {number}", partner_status="active")
        await sql(
            """INSERT INTO quote (tender, partner, price, currency, timeline, commitment_at,
                                 status)
               VALUES ({}, {}, {}, 'CHF', '2 weeks', {}, {})""",
            tender_id,
            partner,
            Decimal("1500.00") + (number % 3) * Decimal("0.05"),
            NOW,
            "withdrawn" if number == 4 else "submitted",
        )
    everything = await sql(
        """SELECT id FROM quote WHERE tender = {} AND status <> 'withdrawn'
           ORDER BY price, id""",
        tender_id,
    )
    await check_list(
        lambda at: tender_queries.quotes_for_author(tender_id, at),
        lambda row: row["id"],
        [row["id"] for row in everything],
    )


async def test_my_reports_page_newest_first(db, small_pages):
    org = await organisation("Partner AG")
    person = await account("anna@example.ch", "Anna")
    someone_else = await account("bert@example.ch", "Bert")
    for number in range(12):
        await sql(
            """INSERT INTO report_file (organisation, requested_by, file_format)
               VALUES ({}, {}, 'xlsx')""",
            org,
            someone_else if number % 4 == 0 else person,
        )
    everything = await sql(
        """SELECT id FROM report_file WHERE organisation = {} AND requested_by = {}
           ORDER BY id DESC""",
        org,
        person,
    )
    await check_list(
        lambda at: report_queries.reports_of_person(org, person, at),
        lambda row: row["id"],
        [row["id"] for row in everything],
    )


async def test_live_sessions_page_by_last_activity_with_equal_times(db):
    person = await account("anna@example.ch", "Anna")
    now = datetime.now(UTC)
    for number in range(13):
        await sql(
            """INSERT INTO web_session (token_hash, account, created_at, last_seen_at, ended_at)
               VALUES ({}, {}, {}, {}, {})""",
            f"hash-{number}",
            person,
            now - timedelta(minutes=5),
            now - timedelta(seconds=number % 4),
            now if number == 6 else None,
        )
    everything = await sql(
        """SELECT id FROM web_session WHERE account = {} AND ended_at IS NULL
           ORDER BY last_seen_at DESC, id DESC""",
        person,
    )
    idle, absolute = timedelta(minutes=30), timedelta(hours=12)
    await check_list(
        lambda at: account_queries.live_sessions_of(person, idle, absolute, at, size=3),
        lambda row: row["id"],
        [row["id"] for row in everything],
    )


async def test_a_page_whose_rows_went_away_shows_the_end_of_the_list(db):
    org = await organisation("Muster AG")
    await products_of(org, 6)
    first = await product_queries.products_of(org, FIRST, size=4)
    last = await product_queries.products_of(org, LAST, size=4)
    await sql("DELETE FROM product WHERE id = ANY({})", [row["id"] for row in last])
    beyond = await product_queries.products_of(org, Position("after", first.after), size=4)
    assert [row["id"] for row in beyond] == [row["id"] for row in first][:2]
    assert beyond.at_end


async def test_a_log_page_whose_entries_are_past_shows_the_end_of_the_log(db):
    """The page after the end is read again as the last page: with the same filters only
    (a query object built once and reused would keep the first attempt's conditions)."""
    org = await organisation("Muster AG")
    for number in range(5):
        await sql(
            "INSERT INTO audit_event (organisation, action, created_at) VALUES ({}, {}, {})",
            org,
            "team.created",
            NOW - timedelta(minutes=number),
        )
    oldest = await audit.events_of(org, AuditFilter(), LAST, size=2)
    beyond = Position("after", oldest.after or audit.ORDER.token(oldest.rows[-1]))
    page = await audit.events_of(org, AuditFilter(action="team."), beyond, size=2)
    assert [row["id"] for row in page] == [row["id"] for row in oldest]
    assert page.at_end and not page.at_start


async def test_a_collaborator_pages_through_the_invoices_and_clients_given_to_them(db, small_pages):
    """Keyset and client scope together: a collaborator walks the invoices of the clients
    given to them (in person or through a team) and the partner's own, and the ledger says of
    each entry whether its client is theirs; no page is short of a row nor shows one twice."""
    partner, links = await partner_with_clients(12)
    person = await account("anna@example.ch", "Anna")
    team = await one("INSERT INTO team (organisation, name) VALUES ({}, 'Web')", partner)
    given = {links[n] for n in range(12) if n % 3}
    for number, link in enumerate(sorted(given)):
        who = "account" if number % 2 else "team"
        await sql(
            f"INSERT INTO client_assignment (link, {who}) VALUES ({{}}, {{}})",
            link,
            person if who == "account" else team,
        )
    clients_of = {
        row["id"]: row["client"]
        for row in await sql("SELECT id, client FROM partner_link WHERE partner = {}", partner)
    }
    seen_clients = {clients_of[link] for link in given}
    for number, (_link, client) in enumerate(sorted(clients_of.items()) * 2):
        invoice = await one(
            """INSERT INTO invoice (number, payer, client, currency, issued_on, vat_rule)
               VALUES ({}, {}, {}, 'CHF', {}, 'swiss_vat')""",
            f"INV-{number:04d}",
            partner,
            partner if number % 5 == 0 else client,  # a few for the partner's own products
            (NOW - timedelta(days=number % 4)).date(),
        )
        await sql(
            """INSERT INTO ledger_entry (organisation, currency, kind, amount, invoice, created_at)
               VALUES ({}, 'CHF', 'cashback', 5, {}, {})""",
            partner,
            invoice,
            NOW,
        )
    scope = ClientScope(every_client=False, user_id=person, team_ids=frozenset({team}))

    everything = await sql(
        "SELECT id, client FROM invoice WHERE payer = {} ORDER BY issued_on DESC, id DESC",
        partner,
    )
    theirs = [row["id"] for row in everything if row["client"] in seen_clients | {partner}]
    assert 0 < len(theirs) < len(everything)
    await check_list(
        lambda at: billing_queries.invoices_paid_by(partner, scope, at, size=4),
        lambda invoice: invoice.id,
        theirs,
    )

    entries = await sql(
        """SELECT e.id, i.client FROM ledger_entry e JOIN invoice i ON i.id = e.invoice
           WHERE e.organisation = {} ORDER BY e.id DESC""",
        partner,
    )
    seen = [(row["id"], row["client"] in seen_clients | {partner}) for row in entries]
    walked = await older_and_older(
        partner, scope, lambda row: (row["id"], row["client_seen"]), size=5
    )
    assert walked == seen

    links_seen = await sql(
        """SELECT l.id FROM partner_link l JOIN organisation c ON c.id = l.client
           WHERE l.id = ANY({}) ORDER BY c.name, l.id""",
        sorted(given),
    )
    await check_list(
        lambda at: client_queries.clients_of_partner(partner, at, scope=scope),
        lambda row: row["id"],
        [row["id"] for row in links_seen],
    )
