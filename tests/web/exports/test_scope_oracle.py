"""The billing report's lines follow the person's client scope whichever way they leave: the
web download, the file the command line and background jobs write (load_report), and the API.
The queries filter by the scope in SQL; the oracle here decides line by line from the tables,
asking access.py about each of the partner's links (docs/rules.md, Billing reports)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from piccolo.querystring import QueryString

from portal.access import Action, may
from portal.clients.services import link_resource
from portal.core.current import actor_in
from portal.exports.billing_report import ReportRequest, load_report
from portal.organisations.tables import Team, TeamMember
from portal.piccolo_conf import DB
from tests.factories.accounts import logged_in_browser
from tests.factories.api import bearer, make_token
from tests.factories.exports import build_world, insert_invoice, insert_link
from tests.factories.organisations import insert_organisation
from tests.factories.web import post_form

Q3 = (date(2026, 7, 1), date(2026, 9, 30))
PEOPLE = ["legal@muster.ch", "admin@muster.ch", "helper@muster.ch", "billing@muster.ch"]


async def sql(text: str, *args) -> list[dict]:
    return await DB.run_querystring(QueryString(text, *args))


async def assign_team(organisation: int, link_id: int, account: int) -> None:
    team = (await Team.insert(Team(organisation=organisation, name="Support")).returning(Team.id))[
        0
    ]["id"]
    await TeamMember.insert(TeamMember(team=team, account=account))
    await sql("INSERT INTO client_assignment (link, team) VALUES ({}, {})", link_id, team)


@pytest.fixture
async def world(db):
    """The exports' world, and: a product of the restricted client the partner earns nothing
    on; a client whose collaboration ended, given to the collaborator; the restricted client
    given to the collaborator's team."""
    world = await build_world()
    await insert_invoice(
        payer=world.restricted_client,
        client=world.restricted_client,
        partner=world.partner,
        issued_on=date(2026, 8, 20),
        lines=[("Unmanaged product", "80.00", "80.00", "0", "0")],
    )
    ended = await insert_organisation("Zeta Ended GmbH")
    link = await insert_link(world.partner, ended, "full", status="ended")
    await sql(
        "INSERT INTO client_assignment (link, account) VALUES ({}, {})",
        link,
        world.people["helper@muster.ch"],
    )
    await insert_invoice(
        payer=ended,
        client=ended,
        partner=world.partner,
        issued_on=date(2026, 8, 1),
        lines=[
            ("Ended hosting", "15.00", "15.00", "3.00", "0"),
            ("Ended mail", "5.00", "5.00", "0", "0"),
        ],
    )
    await assign_team(
        world.partner, world.links[world.restricted_client], world.people["helper@muster.ch"]
    )
    world.ended_client = ended
    return world


async def expected_lines(world, email: str) -> set[tuple]:
    """The oracle: each of the partner's links decided by access.py; a line of a client in
    scope shows in full when the partner paid or an active full-access link covers it, else
    only when it earned cashback, and then as its cashback alone."""
    actor = await actor_in(world.people[email], world.partner)
    links = await sql(
        """SELECT l.id, l.partner, l.client, l.status, l.initiated_by, l.access,
                  ARRAY(SELECT account FROM client_assignment a WHERE a.link = l.id
                        AND account IS NOT NULL) AS assigned_user_ids,
                  ARRAY(SELECT team FROM client_assignment a WHERE a.link = l.id
                        AND team IS NOT NULL) AS assigned_team_ids
           FROM partner_link l WHERE l.partner = {} AND l.access IS NOT NULL""",
        world.partner,
    )
    in_scope = {
        link["client"] for link in links if may(actor, Action.EXPORT_BILLING, link_resource(link))
    }
    full = {
        link["client"] for link in links if (link["status"], link["access"]) == ("active", "full")
    }
    rows = await sql(
        """SELECT c.name AS client_name, i.client, i.payer, i.number, l.description, l.amount,
                  l.cashback
           FROM invoice i JOIN invoice_line l ON l.invoice = i.id
           JOIN organisation c ON c.id = i.client
           WHERE i.partner = {} AND i.issued_on BETWEEN {} AND {}""",
        world.partner,
        *Q3,
    )
    expected = set()
    for row in rows:
        if row["client"] not in in_scope:
            continue
        shown = row["payer"] == world.partner or row["client"] in full
        if not shown and row["cashback"] == 0:
            continue
        expected.add(
            (
                row["client_name"],
                row["description"],
                row["number"] if shown else "",
                row["amount"] if shown else None,
                row["cashback"],
            )
        )
    return expected


def cents(amount) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


async def web_lines(client, email: str) -> set[tuple]:
    browser = await logged_in_browser(client, email)
    fields = {"period": "range", "period_start": "2026-07-01", "period_end": "2026-09-30"}
    response = await post_form(browser, "/exports", {**fields, "format": "csv", "clients": "all"})
    await browser.aclose()
    assert response.status_code == 200, response.text
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return {
        (
            row["Client"],
            row["Product"],
            row["Invoice"],
            cents(row["Amount charged"]) if row["Invoice"] else None,
            cents(row["Cashback"]),
        )
        for row in rows
    }


async def file_lines(world, email: str) -> set[tuple]:
    request = ReportRequest(world.partner, *Q3, format="csv", requested_by=world.people[email])
    lines = (await load_report(None, request)).lines
    return {
        (
            row["client_name"],
            row["product"],
            row["invoice_number"],
            Decimal(int(row["amount"])) / 100 if row["shown"] else None,
            Decimal(int(row["cashback"])) / 100,
        )
        for row in lines.to_dict("records")
    }


async def api_lines(client, world, email: str) -> set[tuple]:
    token = await make_token(email, world.partner)
    found, cursor = set(), None
    while True:
        query = "from=2026-07-01&to=2026-09-30&limit=2" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(f"/api/v1/reports/lines?{query}", headers=bearer(token))
        assert response.status_code == 200, response.text
        page = response.json()
        for line in page["data"]:
            found.add(
                (
                    line["client"]["name"],
                    line["product"],
                    line["invoice_number"],
                    cents(line["amount"]) if line["in_full"] else None,
                    cents(line["cashback"]),
                )
            )
        cursor = page["next_cursor"]
        if cursor is None:
            return found


@pytest.mark.parametrize("email", PEOPLE)
async def test_web_file_and_api_hold_the_lines_the_oracle_expects(client, world, email):
    expected = await expected_lines(world, email)
    assert await web_lines(client, email) == expected
    assert await file_lines(world, email) == expected
    assert await api_lines(client, world, email) == expected


async def test_what_the_oracle_expects_is_what_the_rules_say(client, world):
    """The oracle itself, held to docs/rules.md: managers every client, past ones included;
    the collaborator only the active clients given to them (in person or through a team)."""
    everything = await expected_lines(world, "legal@muster.ch")
    assert {line[0] for line in everything} == {
        "Alpha Bäckerei AG",
        "Beta Praxis",
        "Gamma Verein",
        "Delta Former SA",
        "Zeta Ended GmbH",
    }
    helper = await expected_lines(world, "helper@muster.ch")
    assert {line[0] for line in helper} == {"Alpha Bäckerei AG", "Beta Praxis"}
    assert await expected_lines(world, "billing@muster.ch") == set()
    for lines in (everything, helper):
        # a restricted link's product the partner earns nothing on never appears, and one it
        # earns cashback on shows no number, price or amount
        assert all(line[1] != "Unmanaged product" for line in lines)
        secret = [line for line in lines if line[1] == "Secret product"]
        assert secret == [("Beta Praxis", "Secret product", "", None, Decimal("40.00"))]
    ended = [line for line in everything if line[0] == "Zeta Ended GmbH"]
    assert ended == [("Zeta Ended GmbH", "Ended hosting", "", None, Decimal("3.00"))]
