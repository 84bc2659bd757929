"""Helpers for tests that go through the HTTP layer like a browser would."""

from __future__ import annotations

import re
from dataclasses import dataclass

from httpx import AsyncClient as AsyncTestClient

PASSWORD = "Correct-Horse-Battery-9"


def csrf(client: AsyncTestClient) -> str:
    return client.cookies.get("__Host-csrf", "")


async def post_form(client: AsyncTestClient, url: str, data: dict | None = None, **kwargs):
    """POST a form with the CSRF token, fetching a page first if no token cookie exists."""
    if not csrf(client):
        await client.get("/login")
    return await client.post(url, data={"_csrf_token": csrf(client), **(data or {})}, **kwargs)


@dataclass
class SignedUp:
    email: str
    password: str
    name: str


async def sign_up(
    client: AsyncTestClient,
    email: str = "anna@example.ch",
    *,
    name: str = "Anna Muster",
    organisation: str = "Muster Web AG",
    country: str = "CH",
    currency: str = "CHF",
    password: str = PASSWORD,
) -> SignedUp:
    response = await post_form(
        client,
        "/signup",
        {
            "full_name": name,
            "email": email,
            "password": password,
            "organisation_name": organisation,
            "kind": "company",
            "country": country,
            "currency": currency,
            "terms": "on",
        },
    )
    assert response.status_code == 303, response.text
    return SignedUp(email, password, name)


async def log_in(client: AsyncTestClient, email: str, password: str = PASSWORD):
    return await post_form(client, "/login", {"email": email, "password": password})


async def log_out(client: AsyncTestClient):
    return await post_form(client, "/logout")


def link_in(body: str, path: str) -> str:
    """The path of the first link to PATH found in a mail body."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", body)
    assert match, f"no link to {path} in: {body}"
    return match.group(1)
