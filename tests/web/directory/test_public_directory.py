"""The public directory through HTTP: the page and its live-search fragment, shareable URLs,
bad input answered with a clear 4xx or an empty result (never a 500), profiles, and the
conditional GET that makes repeated searches cheap."""

import re

import pytest

from portal.organisations.tables import Organisation
from tests.factories.accounts import log_in, sign_up
from tests.factories.directory import listed_partner

HTMX = {"HX-Request": "true"}


def cards(html: str) -> list[str]:
    return re.findall(r'class="directory-card-name">([^<]+)<', html)


@pytest.fixture
async def directory(db):
    await listed_partner(
        "Atelier Genève Web",
        region="CH-GE",
        languages=("fr", "en"),
        description="Sites web et boutiques en ligne à Genève.",
    )
    await listed_partner("Zürich Shop GmbH", region="CH-ZH", specialities=("e_shop",))
    await listed_partner("Hidden AG", published=False)
    await listed_partner("Flagged AG", status="flagged")


async def test_a_visitor_sees_only_active_partners_that_opted_in(client, directory):
    response = await client.get("/directory")
    assert response.status_code == 200
    assert sorted(cards(response.text)) == ["Atelier Genève Web", "Zürich Shop GmbH"]
    assert "2 partners match" in response.text


async def test_the_fragment_holds_only_the_results_and_pushes_the_canonical_url(client, directory):
    response = await client.get("/directory?language=fr&q=gen&country=", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="results"')
    assert "<html" not in response.text and 'id="directory-search"' not in response.text
    assert cards(response.text) == ["Atelier Genève Web"]
    assert response.headers["hx-push-url"] == "/directory?q=gen&language=fr"
    assert "HX-Request" in response.headers["vary"]


async def test_the_page_works_without_javascript_as_a_get_form(client, directory):
    page = (await client.get("/directory")).text
    assert re.search(r'<form id="directory-search"[^>]*action="/directory" method="get"', page)
    assert 'hx-trigger="input delay:300ms, submit"' in page and 'hx-push-url="true"' in page
    shared = await client.get("/directory?speciality=e_shop")
    assert cards(shared.text) == ["Zürich Shop GmbH"]
    assert '<option value="e_shop" selected>' in shared.text


@pytest.mark.parametrize(
    "text",
    [
        "' OR 1=1 --",
        "'; DROP TABLE directory_listing; --",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "a & | ! ( ) : * \\ ' \"",
        "%00%27",
        "🙂 ǅ ß ﬁ",
        "x" * 100,
        "!!!",
        ":*",
        "&&&",
    ],
)
async def test_search_strings_with_metacharacters_never_break_the_page(client, directory, text):
    for headers in ({}, HTMX):
        response = await client.get("/directory", params={"q": text}, headers=headers)
        assert response.status_code == 200, response.text
        assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert (await client.get("/directory")).status_code == 200  # the table is still there


async def test_control_characters_and_overlong_searches_are_explained(client, directory):
    response = await client.get("/directory", params={"q": "web\x1b"})
    assert response.status_code == 422
    assert "control characters" in response.text
    # a NUL byte is refused for every address before any route reads it
    assert (await client.get("/directory", params={"q": "web\x00"})).status_code == 400
    response = await client.get("/directory", params={"q": "w" * 101})
    assert response.status_code == 422 and "at most 100 characters" in response.text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("language=xx", "language"),
        ("speciality=plumbing", "speciality"),
        ("country=Narnia", "country"),
        ("region=CH-XX", "region"),
        ("country=FR&region=CH-GE", "region"),
        ("after=abc", "page"),
        ("before=1.2.3", "page"),
        ("after=9.1.2.3", "page"),
    ],
)
async def test_unknown_filter_values_are_a_422_that_says_what_was_ignored(
    client, directory, query, field
):
    response = await client.get(f"/directory?{query}")
    assert response.status_code == 422
    assert "error" in response.text and 'id="results"' in response.text
    fragment = await client.get(f"/directory?{query}", headers=HTMX)
    assert fragment.status_code == 422
    assert "etag" not in response.headers  # an explained mistake is not kept


async def test_a_page_past_the_results_is_an_empty_page_with_a_way_back(client, directory):
    response = await client.get("/directory?after=4.0.2147483647.2147483647")
    assert response.status_code == 200
    assert cards(response.text) == []
    assert "no more partners there" in response.text
    assert 'href="/directory"' in response.text


async def test_the_numbered_pages_of_old_links_show_the_first_page(client, directory):
    first = await client.get("/directory")
    for old in ("page=7", "page=51", "page=abc"):
        response = await client.get(f"/directory?{old}")
        assert response.status_code == 200, old
        assert cards(response.text) == cards(first.text), old


async def test_empty_states(client, db):
    assert "The directory is still empty" in (await client.get("/directory")).text
    await listed_partner("Only One AG")
    response = await client.get("/directory?q=nothingmatches")
    assert "No partner matches “nothingmatches”" in response.text
    assert cards(response.text) == []


async def test_a_profile_by_slug_and_by_id(client, directory):
    response = await client.get("/directory/atelier-geneve-web")
    assert response.status_code == 200
    assert "Atelier Genève Web" in response.text and "Verified registration" in response.text
    assert "Geneva" in response.text and "French, English" in response.text
    organisation = (
        await Organisation.select(Organisation.id)
        .where(Organisation.name == "Atelier Genève Web")
        .first()
    )
    moved = await client.get(f"/directory/{organisation['id']}")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/directory/atelier-geneve-web"


@pytest.mark.parametrize(
    ("old", "new", "there"),
    [
        ("/partners", "/directory", 200),
        ("/partners?q=web&language=fr", "/directory?q=web&language=fr", 200),
        ("/partners/atelier-geneve-web", "/directory/atelier-geneve-web", 200),
        # this partner has no logo: the new address answers as the old one would have
        ("/partners/atelier-geneve-web/logo?v=2", "/directory/atelier-geneve-web/logo?v=2", 404),
    ],
)
async def test_the_old_addresses_of_the_directory_move_permanently(
    client, directory, old, new, there
):
    moved = await client.get(old)
    assert moved.status_code == 301
    assert moved.headers["location"] == new
    assert (await client.get(new)).status_code == there


@pytest.mark.parametrize(
    "path",
    [
        "/directory/hidden-ag",
        "/directory/flagged-ag",
        "/directory/no-such-partner",
        "/directory/99999",
        "/directory/99999999999999999999",
        "/directory/%27%20OR%201%3D1",
        "/directory/hidden-ag/logo",
    ],
)
async def test_what_is_not_shown_does_not_exist(client, directory, path):
    response = await client.get(path)
    assert response.status_code == 404


# --- conditional GET and caching ----------------------------------------------------------


async def test_an_anonymous_visitor_gets_a_strong_etag_and_a_304(client, directory):
    first = await client.get("/directory?q=shop")
    tag = first.headers["etag"]
    assert tag.startswith('"') and "public" in first.headers["cache-control"]
    assert "set-cookie" not in first.headers  # a shared cache may keep it
    again = await client.get("/directory?q=shop", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag
    fragment = await client.get("/directory?q=shop", headers={**HTMX, "If-None-Match": tag})
    assert fragment.status_code == 200  # the fragment is another representation
    other = await client.get("/directory?q=zur", headers={"If-None-Match": tag})
    assert other.status_code == 200


async def test_a_changed_listing_changes_every_etag(client, directory):
    tag = (await client.get("/directory")).headers["etag"]
    profile_tag = (await client.get("/directory/atelier-geneve-web")).headers["etag"]
    await listed_partner("Newcomer AG")
    response = await client.get("/directory", headers={"If-None-Match": tag})
    assert response.status_code == 200 and "Newcomer AG" in cards(response.text)
    assert response.headers["etag"] != tag
    profile = await client.get(
        "/directory/atelier-geneve-web", headers={"If-None-Match": profile_tag}
    )
    assert profile.status_code == 200


async def test_a_deploy_changes_every_etag(client, directory, monkeypatch):
    """Review item 4: the same directory version rendered by a new build of the portal is
    not confirmed to a browser holding the old build's bytes."""
    from portal.directory import routes

    monkeypatch.setattr(routes, "build_id", lambda: "build-1")
    tag = (await client.get("/directory?q=shop")).headers["etag"]
    assert (
        await client.get("/directory?q=shop", headers={"If-None-Match": tag})
    ).status_code == 304
    monkeypatch.setattr(routes, "build_id", lambda: "build-2")
    response = await client.get("/directory?q=shop", headers={"If-None-Match": tag})
    assert response.status_code == 200 and response.headers["etag"] != tag


async def test_a_flagged_partner_leaves_the_cached_page_at_once(client, directory):
    assert "Zürich Shop GmbH" in cards((await client.get("/directory")).text)
    await Organisation.update({Organisation.partner_status: "flagged"}).where(
        Organisation.name == "Zürich Shop GmbH"
    )
    assert cards((await client.get("/directory")).text) == ["Atelier Genève Web"]
    assert (await client.get("/directory/zurich-shop-gmbh")).status_code == 404


async def test_a_logged_in_person_gets_their_menu_and_a_private_uncached_page(client, directory):
    await sign_up(client, "visitor@example.ch")
    await log_in(client, "visitor@example.ch")
    response = await client.get("/directory")
    assert response.status_code == 200
    assert "visitor@example.ch" in response.text
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    token = client.cookies.get("__Host-csrf")
    assert token and f'value="{token}"' in response.text  # the menu's forms still work


@pytest.mark.parametrize("path", ["/directory?q=gen", "/directory/atelier-geneve-web"])
async def test_public_pages_vary_on_every_header_that_changes_the_answer(client, directory, path):
    """htmx's history restore also sends HX-Request: a browser cache that varied on it alone
    gave the Back button the cached results fragment instead of the page."""
    for headers in ({}, HTMX):
        response = await client.get(path, headers=headers)
        vary = {name.strip().lower() for name in response.headers["vary"].split(",")}
        assert {"hx-request", "hx-history-restore-request", "hx-boosted", "cookie"} <= vary
        assert response.headers["cache-control"] == "public, no-cache"
    restore = await client.get(
        "/directory?q=gen", headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text and 'id="directory-search"' in restore.text


async def test_the_search_box_shows_the_canonical_words_the_cache_is_keyed_on(client, directory):
    """Two searches with the same words share an ETag and a cached page: the page must then
    show those words, not the raw text of whoever searched first."""
    poisoned = await client.get("/directory", params={"q": "☠☠ ☎ → !!! ☠☠"})
    home = await client.get("/directory")
    assert home.headers["etag"] == poisoned.headers["etag"]
    assert re.search(r'id="f-q"[^>]*value=""', home.text)
    assert "☠" not in home.text
    await client.get("/directory", params={"q": "gen!!! scam"})
    response = await client.get("/directory", params={"q": "gen scam"})
    assert re.search(r'id="f-q"[^>]*value="gen scam"', response.text)


async def test_a_decomposed_accent_is_one_letter_of_the_word(client, directory):
    composed = await client.get("/directory", params={"q": "Genève"}, headers=HTMX)
    decomposed = await client.get("/directory", params={"q": "Gene\u0300ve"}, headers=HTMX)
    assert cards(decomposed.text) == cards(composed.text) == ["Atelier Genève Web"]
    assert decomposed.headers["etag"] == composed.headers["etag"]


async def test_the_benchmarks_floor_reference_renders_the_same_fragment(
    client, directory, db, monkeypatch
):
    """bench/directory_reference.py runs the portal's SQL and fragment template with nothing
    else; its answer must stay the portal's, byte for byte, or the comparison means nothing."""
    from litestar.testing import AsyncTestClient

    from bench import directory_reference

    monkeypatch.setenv("DATABASE_URL", db)
    path = "/directory?q=web&language=fr"
    portal = await client.get(path, headers=HTMX)
    async with AsyncTestClient(app=directory_reference.create_app()) as reference_client:
        reference = await reference_client.get(path, headers=HTMX)
    assert reference.status_code == portal.status_code == 200
    assert cards(portal.text) == ["Atelier Genève Web"]
    assert reference.text == portal.text
