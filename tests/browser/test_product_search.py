"""A client with many products picks some in the form that adds a partner: the form lists the
first 100 and says so; a name typed finds the others in place (htmx), and what was ticked
stays ticked from search to search (docs/rules.md, Long lists and downloads)."""

from __future__ import annotations

import pytest
from piccolo.querystring import QueryString
from playwright.async_api import expect

from portal.piccolo_conf import DB
from tests.factories.browser import sign_up

pytestmark = pytest.mark.browser

CLIENT_ORGANISATION = "Many Sites GmbH"


async def many_sites(organisation: str, count: int) -> None:
    await DB.run_querystring(
        QueryString(
            """INSERT INTO product (organisation, item, family, name, period, started_on,
                                   renews_on)
               SELECT o.id, i.id, i.family, format('site%s.example', lpad(n::text, 3, '0')),
                      'yearly', '2026-01-01', '2027-01-01'
               FROM organisation o, catalogue_item i, generate_series(1, {}) n
               WHERE o.name = {} AND i.code = 'web-pro'""",
            count,
            organisation,
        )
    )


async def test_a_product_past_the_first_hundred_is_found_by_name_and_ticks_are_kept(
    db, open_page, page_errors, screenshots
):
    client = await open_page("client")
    await sign_up(client, "carl@sites.ch", name="Carl Client", organisation=CLIENT_ORGANISATION)
    await many_sites(CLIENT_ORGANISATION, 150)

    await client.goto("/organisation/partners")
    choices = client.locator("#product-choices")
    await expect(choices).to_contain_text("Only the first 100 products are listed")
    await expect(choices.locator("input[name=products]")).to_have_count(100)
    await choices.get_by_label("site002.example").check()

    await client.get_by_label("Find products by name").fill("site14")
    found = client.locator("#product-choices input[name=products]")
    # site140 … site149, and site002 kept because it is ticked
    await expect(found).to_have_count(11)
    await expect(client.locator("#product-choices")).not_to_contain_text("Only the first")
    await expect(client.get_by_label("site002.example")).to_be_checked()
    await client.get_by_label("site145.example").check()
    await screenshots.take(client, "found-by-name")

    await client.get_by_label("Find products by name").fill("site00")
    await expect(client.locator("#product-choices input[name=products]")).to_have_count(10)
    await expect(client.get_by_label("site145.example")).to_be_checked()
    await expect(client.get_by_label("site002.example")).to_be_checked()
    assert page_errors == []
