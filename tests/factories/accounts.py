"""People with accounts: signing up and logging in through the pages, or made in the database."""

from __future__ import annotations

import re
from dataclasses import dataclass

from httpx import AsyncClient as AsyncTestClient

from portal.accounts import services
from portal.core.origin import Origin
from portal.organisations.rules import OrganisationDetails
from portal.organisations.services import sign_up as sign_up_with_organisation
from tests.factories.web import post_form, text_by_testid

PASSWORD = "Correct-Horse-Battery-9"


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


async def account_id(email: str) -> int:
    from portal.accounts.queries import account_by_email

    account = await account_by_email(email)
    assert account, f"no account {email}"
    return account["id"]


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now, or STEPS_AHEAD 30-second steps later."""
    import time

    import pyotp

    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


@dataclass
class TwoFactor:
    secret: str
    backup_codes: list[str]


async def turn_on_two_factor(client: AsyncTestClient, password: str = PASSWORD) -> TwoFactor:
    """Set up TOTP as a user does: read the key, confirm with the app's code, keep the codes.
    The confirming code's step is spent: log in with `totp_code(secret, steps_ahead=1)`."""
    setup = await post_form(client, "/account/two-factor/setup")
    assert setup.status_code == 200, setup.text
    secret = text_by_testid(setup.text, "totp-secret").replace(" ", "")
    confirm = await post_form(
        client, "/account/two-factor/confirm", {"code": totp_code(secret), "password": password}
    )
    assert confirm.status_code == 200, confirm.text
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", confirm.text)
    return TwoFactor(secret, codes)


async def enter_second_factor(client: AsyncTestClient, code: str, next_path: str = "/"):
    return await post_form(client, "/login/second-factor", {"code": code, "next": next_path})


async def is_logged_in(client: AsyncTestClient) -> bool:
    """Whether CLIENT's session opens a page behind login (else it is sent to /login)."""
    response = await client.get("/account/security")
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


async def logged_in_browser(
    client: AsyncTestClient, email: str, organisation_id: int | None = None
) -> AsyncTestClient:
    """A browser of its own on CLIENT's app, logged in as EMAIL (acting in ORGANISATION_ID
    when given: a team guest has no organisation of their own to start in). Close it with
    `await browser.aclose()`."""
    browser = AsyncTestClient(transport=client._transport, base_url=client.base_url)
    response = await log_in(browser, email)
    assert response.status_code == 303, response.text
    if organisation_id is not None:
        switched = await post_form(
            browser, "/organisations/switch", {"organisation_id": str(organisation_id)}
        )
        assert switched.status_code == 303, switched.text
    return browser


HERE = Origin(ip_address="192.0.2.10", user_agent="pytest browser")


async def new_account(email: str = "anna@example.ch", name: str = "Anna Muster") -> int:
    details = OrganisationDetails(name=f"{name} GmbH", kind="company", country="CH", currency="CHF")
    await sign_up_with_organisation(name, email, PASSWORD, details, HERE)
    account = await services.queries.account_by_email(email)
    return account["id"]
