"""An endpoint's deliveries page by keyset, newest first: the next, previous and last pages
meet without a gap or a repeat, an odd position shows the first page, the page answers as an
htmx fragment, and a position taken from another organisation's endpoint shows nothing of
theirs."""

from __future__ import annotations

import re

from piccolo.querystring import QueryString

from portal.piccolo_conf import DB
from portal.webhooks import services
from tests.factories.api import ALICE, ALPINE, demo_browser, organisation_id, scalar
from tests.factories.web import pager_link

URL = "https://tickets.example.ch/in"
ELISE = "elise@demo.partner-portal.test"  # Lumière Digital only
LUMIERE = "Lumière Digital SARL"
FRAGMENT = {"HX-Request": "true"}
PAGE = services.PAGE_SIZE


async def endpoint_with_deliveries(organisation: str, count: int) -> int:
    """An endpoint of ORGANISATION with COUNT deliveries, one event each (written directly)."""
    owner = await organisation_id(organisation)
    endpoint_id = await scalar(
        """INSERT INTO webhook_endpoint (organisation, url, event_types, secret)
           VALUES ({}, {}, ARRAY['invoice.issued'], 'sealed') RETURNING id""",
        owner,
        URL,
    )
    await DB.run_querystring(
        QueryString(
            """WITH events AS (
                   INSERT INTO webhook_event (public_id, organisation, event_type, payload)
                   SELECT 'evt_' || {}::integer || '_' || n, {}, 'invoice.issued',
                          jsonb_build_object()
                   FROM generate_series(1, {}) n RETURNING id)
               INSERT INTO webhook_delivery (event, endpoint, status, last_error)
               SELECT id, {}, 'delivered', '' FROM events ORDER BY id""",
            endpoint_id,
            owner,
            count,
            endpoint_id,
        )
    )
    return endpoint_id


def shown(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="delivery-(\d+)"', page)]


async def ids_of(endpoint_id: int) -> list[int]:
    rows = await DB.run_querystring(
        QueryString(
            "SELECT id FROM webhook_delivery WHERE endpoint = {} ORDER BY id DESC", endpoint_id
        )
    )
    return [row["id"] for row in rows]


async def test_deliveries_page_forward_and_back_without_gap_or_repeat(client):
    endpoint_id = await endpoint_with_deliveries(ALPINE, 2 * PAGE + 7)
    expected = await ids_of(endpoint_id)
    browser = await demo_browser(client, ALICE)
    base = f"/organisation/webhooks/{endpoint_id}"
    try:
        first = (await browser.get(base)).text
        assert shown(first) == expected[:PAGE]
        assert pager_link(first, "prev") is None and pager_link(first, "first") is None

        middle = await browser.get(pager_link(first, "next"), headers=FRAGMENT)
        assert middle.status_code == 200 and "<html" not in middle.text
        assert middle.text.lstrip().startswith('<section class="card" id="deliveries">')
        assert shown(middle.text) == expected[PAGE : 2 * PAGE]

        last = (await browser.get(pager_link(middle.text, "next"))).text
        assert shown(last) == expected[2 * PAGE :] and pager_link(last, "next") is None
        assert shown((await browser.get(f"{base}?last=1")).text) == expected[-PAGE:]

        back = (await browser.get(pager_link(last, "prev"))).text
        assert shown(back) == expected[PAGE : 2 * PAGE]
        assert shown((await browser.get(pager_link(back, "prev"))).text) == expected[:PAGE]
        assert shown((await browser.get(pager_link(back, "first"))).text) == expected[:PAGE]
    finally:
        await browser.aclose()


async def test_an_odd_position_shows_the_first_page(client):
    endpoint_id = await endpoint_with_deliveries(ALPINE, PAGE + 1)
    expected = await ids_of(endpoint_id)
    browser = await demo_browser(client, ALICE)
    base = f"/organisation/webhooks/{endpoint_id}"
    try:
        odd_positions = (
            "after=²",
            "after=" + "A" * 7000,
            "after=WyJ4Il0",  # ["x"]: not an id
            "before=W3RydWVd",  # [true]
            "after=WzEsMl0",  # [1,2]: a key of another list
            "page=3",  # a numbered page of an old link
        )
        for odd in odd_positions:
            answer = await browser.get(f"{base}?{odd}")
            assert answer.status_code == 200, odd
            assert shown(answer.text) == expected[:PAGE], odd
        assert (await browser.get(f"{base}?after=WzFd%00")).status_code == 400
    finally:
        await browser.aclose()


async def test_another_organisations_position_shows_nothing_of_theirs(client):
    theirs = await endpoint_with_deliveries(LUMIERE, PAGE + 5)
    mine = await endpoint_with_deliveries(ALPINE, PAGE + 5)
    their_ids, my_ids = await ids_of(theirs), await ids_of(mine)
    elise = await demo_browser(client, ELISE)
    try:
        their_next = pager_link((await elise.get(f"/organisation/webhooks/{theirs}")).text, "next")
    finally:
        await elise.aclose()
    browser = await demo_browser(client, ALICE)
    try:
        assert (await browser.get(their_next)).status_code == 404  # their endpoint, not mine
        position = their_next.split("?", 1)[1]
        for asked in (position, position.replace("after=", "before=")):
            answer = await browser.get(f"/organisation/webhooks/{mine}?{asked}")
            assert answer.status_code == 200
            assert set(shown(answer.text)) <= set(my_ids) and shown(answer.text)
            assert not set(shown(answer.text)) & set(their_ids)
    finally:
        await browser.aclose()
