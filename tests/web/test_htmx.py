"""htmx through litestar-htmx: the same URL answers a page or a block, flash messages end
with a whole page, a write made from a block answers that block or sends the browser to the
page, and an error page is never put inside the block that asked."""

from __future__ import annotations

from litestar.plugins.jinja import JinjaTemplateEngine

from portal import formatting
from tests.factories.accounts import account_id, sign_up
from tests.factories.organisations import create_team
from tests.factories.web import post_form

HTMX = {"HX-Request": "true"}
BOOSTED = HTMX | {"HX-Boosted": "true"}
FLASH = "__Host-flash"


def flash_cookies(response) -> list[str]:
    return [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{FLASH}=")]


async def anna_with_a_team(client) -> tuple[int, int]:
    await sign_up(client)
    return await create_team(client, "Support"), await account_id("anna@example.ch")


async def test_pages_go_through_litestars_template_support_with_the_portals_environment(app):
    engine = app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    assert formatting.FILTERS.items() <= engine.engine.filters.items()


async def test_a_flash_outlives_the_fragments_and_ends_with_the_whole_page(client):
    team, anna = await anna_with_a_team(client)
    added = await post_form(client, f"/organisation/teams/{team}/members", {"account": anna})
    assert added.status_code == 303 and flash_cookies(added)

    fragment = await client.get(f"/organisation/teams/{team}", headers=HTMX)
    assert "<html" not in fragment.text and "The member is added." not in fragment.text
    assert flash_cookies(fragment) == []  # the block did not show it: it stays

    page = await client.get(f"/organisation/teams/{team}")
    assert "The member is added." in page.text
    assert [c for c in flash_cookies(page) if "max-age=0" in c.lower()]
    assert "The member is added." not in (await client.get(f"/organisation/teams/{team}")).text


async def test_a_write_from_a_block_answers_the_block_or_sends_the_browser_to_the_page(client):
    team, anna = await anna_with_a_team(client)
    members = f"/organisation/teams/{team}/members"

    block = await post_form(client, members, {"account": anna}, headers=HTMX)
    assert block.status_code == 200 and "<html" not in block.text
    assert block.text.lstrip().startswith('<section class="card" id="team-members">')

    # a boosted form wants a whole page: htmx is sent to it, with the flash
    removed = await post_form(client, f"{members}/{anna}/remove", headers=BOOSTED)
    assert removed.status_code == 200
    assert removed.headers["hx-redirect"] == f"/organisation/teams/{team}"
    assert "location" not in removed.headers
    assert flash_cookies(removed)

    plain = await post_form(client, members, {"account": anna})
    assert plain.status_code == 303 and plain.headers["location"] == f"/organisation/teams/{team}"
    assert "hx-redirect" not in plain.headers


async def test_an_error_page_takes_the_place_of_the_page_not_of_the_block_that_asked(client):
    await sign_up(client)
    missing = "/organisation/teams/987654"

    to_htmx = await client.get(missing, headers=HTMX)
    assert to_htmx.status_code == 404 and "<html" in to_htmx.text
    assert to_htmx.headers["hx-retarget"] == "body"
    assert to_htmx.headers["hx-reswap"] == "innerHTML"
    assert to_htmx.headers["cache-control"] == "no-store"

    for headers in ({}, BOOSTED, HTMX | {"HX-History-Restore-Request": "true"}):
        whole = await client.get(missing, headers=headers)
        assert whole.status_code == 404 and "<html" in whole.text
        assert "hx-retarget" not in whole.headers and "hx-reswap" not in whole.headers


async def test_every_answer_says_it_varies_with_htmx(client):
    for path in ("/login", "/organisation/teams", "/nowhere"):
        response = await client.get(path)
        assert "HX-Request" in response.headers["vary"]
