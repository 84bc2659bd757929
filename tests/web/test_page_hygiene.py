"""The main pages as each kind of person sees them, crawled from the overview through their
links on the demo data: every element id is unique on its page, no form can send the CSRF
token in a URL (a GET submission: it would land in browser history, proxy logs and Referer
headers), and no cell shows a status or a period as its stored code ("yearly", "active")
where every other page says "Yearly", "Active"."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import lxml.html
import pytest

from portal import demo
from portal.billing.rules import EntryKind
from portal.clients.rules import LinkStatus
from portal.core.enums import PartnerStatus
from portal.exports.reports.rules import Status as ReportStatus
from portal.tenders.rules import QuoteStatus, TenderStatus
from tests.factories.accounts import log_in, turn_on_two_factor

PEOPLE = {
    "a visitor": None,
    "a partner's legal representative": demo.ALICE.email,
    "a partner's administrator": demo.BRUNO.email,
    "a user with billing rights": demo.CHLOE.email,
    "a user": demo.DAVID.email,
    "a client's legal representative": demo.CLIENT_OWNER.email,
    "the host's staff": demo.STAFF.email,
    "a person with two-factor authentication": demo.ELISE.email,
}
PAGES_PER_PERSON = 80
# Fewer pages to reach: a visitor's public ones, staff's own area (they act in no organisation).
MINIMUM_PAGES = {"a visitor": 3, "the host's staff": 7}
SAME_KIND = 2  # pages of one kind visited (/clients/12 and /clients/15 are one kind)
SUBMITTERS = ".//button[not(@type) or @type='submit'] | .//input[@type='submit']"
STORED_CODES = {"monthly", "yearly", "active", "suspended", "cancelled"} | {
    code.value
    for kind in (EntryKind, LinkStatus, ReportStatus, PartnerStatus, QuoteStatus, TenderStatus)
    for code in kind
}
NOT_PAGES = re.compile(r"^/(static|logout)|/(download|export\.csv|logo)|\.(xlsx|csv|webp)$")


@pytest.fixture
async def demo_data(db):
    await demo.load(db, 10)


async def crawl(client, start: str = "/") -> dict[str, str]:
    """Path → HTML of the pages reached by following links from START."""
    pages, queue, kinds = {}, [start], Counter()
    while queue and len(pages) < PAGES_PER_PERSON:
        path = queue.pop(0)
        if path in pages:
            continue
        # the overview may send a person on to their area (staff land on theirs)
        response = await client.get(path, follow_redirects=path == start)
        if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
            continue
        pages[path] = response.text
        for href in lxml.html.fromstring(response.text).xpath("//a/@href"):
            target = urlsplit(href)
            if target.scheme or target.netloc or not target.path.startswith("/"):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            kind = (
                re.sub(r"\d+", "N", target.path)
                + "?"
                + ",".join(sorted(part.split("=")[0] for part in target.query.split("&") if part))
            )
            if NOT_PAGES.search(target.path) or link in pages or kinds[kind] >= SAME_KIND:
                continue
            kinds[kind] += 1
            queue.append(link)
    return pages


def duplicate_ids(html: str) -> list[str]:
    counts = Counter(lxml.html.fromstring(html).xpath("//@id"))
    return sorted(name for name, count in counts.items() if count > 1)


def token_sent_by_get(html: str) -> list[str]:
    """The forms holding the CSRF token that a GET submits: the form's own method, or a
    button's formmethod; and links carrying the token."""
    tree = lxml.html.fromstring(html)
    found = [f"a link: {href}" for href in tree.xpath("//a/@href") if "_csrf_token" in href]
    for form in tree.xpath("//form[.//input[@name='_csrf_token']]"):
        method = (form.get("method") or "get").lower()
        submitters = form.xpath(SUBMITTERS)
        methods = {method} | {(b.get("formmethod") or method).lower() for b in submitters}
        if "get" in methods:
            found.append(f"the form posting to {form.get('action')}")
    return found


def stored_codes_shown(html: str) -> list[str]:
    """Table cells, facts and list items whose text is a stored code, not its label."""
    cells = lxml.html.fromstring(html).xpath("//td | //dd | //li")
    return sorted({(cell.text or "").strip() for cell in cells} & STORED_CODES)


@pytest.mark.parametrize("person", PEOPLE)
async def test_the_main_pages_have_unique_ids_no_token_in_urls_and_labels_not_codes(
    client, demo_data, person
):
    if PEOPLE[person]:
        await log_in(client, PEOPLE[person], demo.DEMO_PASSWORD)
    if "two-factor" in person:
        await turn_on_two_factor(client, demo.DEMO_PASSWORD)
    pages = await crawl(client)
    assert len(pages) >= MINIMUM_PAGES.get(person, 8), sorted(pages)  # a real crawl
    problems = {
        path: {
            "duplicate ids": duplicate_ids(html),
            "CSRF token by GET": token_sent_by_get(html),
            "stored codes": stored_codes_shown(html),
        }
        for path, html in pages.items()
    }
    problems = {
        path: {what: found for what, found in kinds.items() if found}
        for path, kinds in problems.items()
        if any(kinds.values())
    }
    assert problems == {}, f"{person}, {len(pages)} pages crawled"
