"""The collaborations that ended page by keyset, newest first, on either side: the next,
previous and last pages meet without a gap or a repeat (several ended at the same moment), the
list's own parameters leave the page's first list where it was, an odd position shows the
first page, and a position taken from another partner's list shows nothing of theirs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from piccolo.querystring import QueryString

from portal.clients import queries
from portal.paging import FIRST, LAST, Position
from portal.piccolo_conf import DB
from tests.factories.api import (
    ALICE,
    ALPINE,
    HUBER,
    demo_browser,
    demo_world,  # noqa: F401 (a fixture)
    organisation_id,
    scalar,
)
from tests.factories.web import pager_link

ELISE = "elise@demo.partner-portal.test"  # Lumière Digital only
LUMIERE = "Lumière Digital SARL"
PAGE = queries.PAGE_SIZE
pytestmark = pytest.mark.usefixtures("demo_world")
ENDED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def ended_links(partner: str, count: int) -> None:
    """COUNT stopped collaborations of PARTNER with Bäckerei Huber, three ending at each
    moment."""
    await DB.run_querystring(
        QueryString(
            """INSERT INTO partner_link (partner, client, status, initiated_by, requested_access,
                   access, billing_mode, expires_at, decided_at, ended_at, ended_by)
               SELECT {}, {}, 'stopped', 'partner', 'full', 'full', 'client', {}, {},
                      {}::timestamptz - (n / 3) * interval '1 hour', {}
               FROM generate_series(0, {} - 1) n""",
            await organisation_id(partner),
            await organisation_id(HUBER),
            ENDED_AT - timedelta(days=400),
            ENDED_AT - timedelta(days=300),
            ENDED_AT,
            await organisation_id(HUBER),
            count,
        )
    )


async def expected_of(side: str, organisation: str) -> list[int]:
    rows = await DB.run_querystring(
        QueryString(
            f"""SELECT id FROM partner_link WHERE {side} = {{}}
                AND status IN ('stopped', 'ended', 'transferred')
                ORDER BY ended_at DESC, id DESC""",
            await organisation_id(organisation),
        )
    )
    return [row["id"] for row in rows]


def ended_section(page: str) -> str:
    found = re.search(r'<section class="card" id="ended".*?</section>', page, re.DOTALL)
    return found.group(0) if found else ""


def shown(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/clients/(\d+)"', ended_section(page))]


async def test_the_ended_list_pages_forward_and_back_without_gap_or_repeat(client):
    await ended_links(ALPINE, 2 * PAGE + 8)
    expected = await expected_of("partner", ALPINE)
    assert len(expected) >= 2 * PAGE + 8
    alice = await demo_browser(client, ALICE)
    try:
        first = (await alice.get("/clients")).text
        assert shown(first) == expected[:PAGE]
        section = ended_section(first)
        assert pager_link(section, "prev") is None and pager_link(section, "first") is None

        second = (await alice.get(pager_link(section, "next"))).text
        assert shown(second) == expected[PAGE : 2 * PAGE]
        assert pager_link(ended_section(second), "next").startswith("/clients?ended_after=")
        assert pager_link(ended_section(second), "next").endswith("#ended")
        clients_list = re.search(r'id="client-list".*?</section>', second, re.DOTALL).group(0)
        assert clients_list == re.search(r'id="client-list".*?</section>', first, re.DOTALL)[0]

        last = (await alice.get(pager_link(ended_section(second), "last"))).text
        assert shown(last) == expected[-PAGE:]
        assert pager_link(ended_section(last), "next") is None

        back, seen = last, list(shown(last))
        while link := pager_link(ended_section(back), "prev"):
            back = (await alice.get(link)).text
            seen = shown(back) + seen
        assert seen == expected  # the start reached backwards: a shorter first page
        home = (await alice.get(pager_link(ended_section(last), "first"))).text
        assert shown(home) == expected[:PAGE]
    finally:
        await alice.aclose()


async def test_an_odd_position_of_the_ended_list_shows_its_first_page(client):
    await ended_links(ALPINE, PAGE + 2)
    expected = await expected_of("partner", ALPINE)
    alice = await demo_browser(client, ALICE)
    try:
        odd_positions = (
            "ended_after=²",
            "ended_before=" + "A" * 7000,
            "ended_after=WzFd",  # [1]: a key of another list
            "ended_after=WyJ4IiwgMV0",  # ["x", 1]: not a time
            "ended_last=yes",
            "ended_page=3",  # a numbered page of an old link
        )
        for odd in odd_positions:
            answer = await alice.get(f"/clients?{odd}")
            assert answer.status_code == 200, odd
            assert shown(answer.text) == expected[:PAGE], odd
    finally:
        await alice.aclose()


async def test_another_partners_position_shows_nothing_of_theirs(client):
    await ended_links(ALPINE, PAGE + 5)
    await ended_links(LUMIERE, PAGE + 5)
    alpine, lumiere = await expected_of("partner", ALPINE), await expected_of("partner", LUMIERE)
    alice = await demo_browser(client, ALICE)
    try:
        alpine_next = pager_link(ended_section((await alice.get("/clients")).text), "next")
    finally:
        await alice.aclose()
    elise = await demo_browser(client, ELISE)
    try:
        position = alpine_next.split("?", 1)[1].removesuffix("#ended")
        for asked in (position, position.replace("ended_after=", "ended_before=")):
            page = (await elise.get(f"/clients?{asked}")).text
            assert shown(page) and set(shown(page)) <= set(lumiere)
            assert not set(shown(page)) & set(alpine)
    finally:
        await elise.aclose()


async def test_the_clients_side_pages_the_same_way(db):
    await ended_links(ALPINE, PAGE + 3)
    await ended_links(LUMIERE, PAGE + 3)
    huber = await organisation_id(HUBER)
    expected = await expected_of("client", HUBER)
    assert (
        await scalar(
            "SELECT count(DISTINCT partner) FROM partner_link WHERE client = {} AND id = ANY({})",
            huber,
            expected,
        )
        >= 2
    )

    seen, position = [], FIRST
    while True:
        page = await queries.ended_links("client", huber, position, size=7)
        seen += [row["id"] for row in page]
        if page.at_end:
            break
        position = Position("after", page.after)
    assert seen == expected

    last = await queries.ended_links("client", huber, LAST, size=7)
    assert [row["id"] for row in last] == expected[-7:]
    before = await queries.ended_links("client", huber, Position("before", last.before), size=7)
    assert [row["id"] for row in before] == expected[-14:-7]
