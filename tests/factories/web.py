"""The HTTP side of the tests: forms with their CSRF token, cookies, links in pages, more
browsers."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from httpx import AsyncClient as AsyncTestClient


def csrf(client: AsyncTestClient) -> str:
    return client.cookies.get("__Host-csrf", "")


async def post_form(client: AsyncTestClient, url: str, data: dict | None = None, **kwargs):
    """POST a form with the CSRF token, fetching a page first if no token cookie exists."""
    if not csrf(client):
        await client.get("/login")
    return await client.post(url, data={"_csrf_token": csrf(client), **(data or {})}, **kwargs)


def link_in(body: str, path: str) -> str:
    """The path of the first link to PATH found in a mail body."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", body)
    assert match, f"no link to {path} in: {body}"
    return match.group(1)


@asynccontextmanager
async def another_browser(client: AsyncTestClient) -> AsyncIterator[AsyncTestClient]:
    """A second person on the same app as CLIENT, with cookies of their own."""
    async with AsyncTestClient(transport=client._transport, base_url=client.base_url) as other:
        yield other


SESSION_COOKIE = "__Host-session"


DEVICE_COOKIE = "__Host-device"


def session_cookie(client: AsyncTestClient) -> str:
    return client.cookies.get(SESSION_COOKIE, "")


def browser_at(app, ip: str = "127.0.0.1", user_agent: str = "Test browser") -> AsyncTestClient:
    """A browser of its own on APP (use it with `async with`), coming from address IP."""
    import httpx

    transport = httpx.ASGITransport(app=app, client=(ip, 50123))
    return AsyncTestClient(
        transport=transport, base_url="https://portal.test", headers={"user-agent": user_agent}
    )


def text_by_testid(html: str, testid: str) -> str:
    match = re.search(r'data-testid="' + re.escape(testid) + r'"[^>]*>([^<]*)<', html)
    assert match, f'no data-testid="{testid}" in the page'
    return match.group(1)


def set_cookie_headers(response) -> dict[str, str]:
    """Each cookie name the response sets → its whole Set-Cookie header."""
    headers = response.headers.get_list("set-cookie")
    return {header.split("=", 1)[0]: header for header in headers}


def pager_link(page: str, rel: str) -> str | None:
    """The path of the pager's link REL (first, prev, next, last) on PAGE; None if absent."""
    found = re.search(r'<a href="([^"]+)" rel="' + rel + '"', page)
    return html.unescape(found.group(1)) if found else None
