"""The directory's results page by place, not by number: with partners in two ranking windows,
the next pages go through the whole ranking without a gap or a repeat, the previous pages come
back the same way, a filtered search pages within its matches, and each page is the same as a
whole page and as the htmx fragment."""

from __future__ import annotations

import re

import asyncpg
import pytest

from portal.directory import rules
from portal.directory.demo import bulk_partners

HTMX = {"HX-Request": "true"}
PARTNERS = 230  # the first window holds 200


def slugs(html: str) -> list[str]:
    return re.findall(r'class="directory-card-link" href="/directory/([^"]+)"', html)


def link(html: str, rel: str) -> str | None:
    found = re.search(r'<a href="([^"]+)"[^>]* rel="' + rel + '"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
async def big_directory(db):
    connection = await asyncpg.connect(db)
    try:
        await bulk_partners(connection, PARTNERS)
        # the evidence is synthetic: no refresh of the ranking in the middle of the test
        await connection.execute(
            "UPDATE directory_state SET refreshed_at = now() + interval '1 day'"
        )
        rows = await connection.fetch(
            "SELECT slug, rank_window, country FROM directory_listing "
            "WHERE published AND partner_active "
            "ORDER BY rank_window, rank_score DESC, rank_tiebreak, organisation"
        )
    finally:
        await connection.close()
    assert {row["rank_window"] for row in rows} == {1, 2}
    return rows


async def walk(client, start: str, rel: str, headers=None) -> tuple[list[str], list[str]]:
    """The slugs of every page from START following REL, in reading order, and the pages."""
    seen, pages, path = [], [], start
    while path:
        response = await client.get(path, headers=headers or {})
        assert response.status_code == 200, path
        pages.append(path)
        shown = slugs(response.text)
        assert len(shown) <= rules.PAGE_SIZE
        seen = seen + shown if rel == "next" else shown + seen
        path = link(response.text, rel)
    return seen, pages


async def test_the_pages_go_through_the_ranking_and_back(client, big_directory):
    expected = [row["slug"] for row in big_directory]
    forward, pages = await walk(client, "/directory", "next")
    assert forward == expected
    assert len(pages) == -(-PARTNERS // rules.PAGE_SIZE)

    last = await client.get(pages[-1])
    backward, _ = await walk(client, link(last.text, "prev"), "prev", HTMX)
    assert backward + slugs(last.text) == expected
    assert link((await client.get(pages[3])).text, "first") == "/directory"


async def test_a_filtered_search_pages_within_its_matches(client, big_directory):
    expected = [row["slug"] for row in big_directory if row["country"] == "CH"]
    assert len(expected) > 2 * rules.PAGE_SIZE
    forward, pages = await walk(client, "/directory?country=CH", "next", HTMX)
    assert forward == expected
    assert all("country=CH" in page for page in pages)
    middle = await client.get(pages[2], headers=HTMX)
    assert "<html" not in middle.text and middle.headers["hx-push-url"] == pages[2]
    whole = await client.get(pages[2])
    assert slugs(whole.text) == slugs(middle.text) and "<html" in whole.text
