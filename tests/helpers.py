"""Helpers for tests that go through the HTTP layer like a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


# --- organisations: members, invitations, teams (added for tests/web/organisations) ----------


@asynccontextmanager
async def another_browser(client: AsyncTestClient) -> AsyncIterator[AsyncTestClient]:
    """A second person on the same app as CLIENT, with cookies of their own."""
    async with AsyncTestClient(transport=client._transport, base_url=client.base_url) as other:
        yield other


async def invite(
    client: AsyncTestClient, email: str, role: str = "user", *, billing_rights: bool = False
):
    data = {"email": email, "role": role, "message": "Welcome aboard"}
    if billing_rights:
        data["billing_rights"] = "on"
    return await post_form(client, "/organisation/members/invite", data)


async def outbox_link(recipient: str, path: str) -> str:
    """The path of the link to PATH in the last mail written to RECIPIENT (the outbox keeps
    every mail, also when no SMTP server is set)."""
    from portal.mail.tables import OutboxMail

    mail = (
        await OutboxMail.select(OutboxMail.body)
        .where(OutboxMail.recipient == recipient)
        .order_by(OutboxMail.id, ascending=False)
        .first()
    )
    assert mail, f"no mail to {recipient}"
    return link_in(mail["body"], path)


async def join_by_signing_up(client: AsyncTestClient, invitation_path: str, name: str):
    """Follow an invitation link as a newcomer and create the account there."""
    assert (await client.get(invitation_path)).status_code == 200
    return await post_form(
        client, invitation_path + "/signup", {"full_name": name, "password": PASSWORD}
    )


async def membership_id(client: AsyncTestClient, email: str) -> int:
    """The id of EMAIL's membership, read from the members page."""
    page = (await client.get("/organisation/members")).text
    match = re.search(
        r'<tr id="member-(\d+)">\s*<td><strong>[^<]*</strong><br>'
        r'<span class="muted">' + re.escape(email) + "</span>",
        page,
    )
    assert match, f"{email} is not on the members page"
    return int(match.group(1))


async def create_team(client: AsyncTestClient, name: str) -> int:
    response = await post_form(client, "/organisation/teams", {"name": name})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


async def account_id(email: str) -> int:
    from portal.accounts.queries import account_by_email

    account = await account_by_email(email)
    assert account, f"no account {email}"
    return account["id"]


@asynccontextmanager
async def colleague(
    client: AsyncTestClient, email: str, role: str = "user", *, billing_rights: bool = False
) -> AsyncIterator[AsyncTestClient]:
    """Someone who joined CLIENT's organisation by invitation, in a browser of their own."""
    response = await invite(client, email, role, billing_rights=billing_rights)
    assert response.status_code == 303, response.text
    path = await outbox_link(email, "/invitations/")
    async with another_browser(client) as browser:
        joined = await join_by_signing_up(browser, path, email.split("@")[0].title())
        assert joined.status_code == 303, joined.text
        yield browser


# --- accounts: browsers, sessions, second factor (added for tests/*/accounts) ----------------

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


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now, or STEPS_AHEAD 30-second steps later."""
    import time

    import pyotp

    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def text_by_testid(html: str, testid: str) -> str:
    match = re.search(r'data-testid="' + re.escape(testid) + r'"[^>]*>([^<]*)<', html)
    assert match, f'no data-testid="{testid}" in the page'
    return match.group(1)


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


def set_cookie_headers(response) -> dict[str, str]:
    """Each cookie name the response sets → its whole Set-Cookie header."""
    headers = response.headers.get_list("set-cookie")
    return {header.split("=", 1)[0]: header for header in headers}


async def is_logged_in(client: AsyncTestClient) -> bool:
    """Whether CLIENT's session opens a page behind login (else it is sent to /login)."""
    response = await client.get("/account/security")
    assert response.status_code in (200, 303), response.status_code
    return response.status_code == 200


# --- delegation: worlds written straight into the database (added for tests/*/clients) -------


async def insert_organisation(
    name: str, *, partner_status: str = "none", country: str = "CH", currency: str = "CHF"
) -> int:
    from portal.organisations.tables import Organisation

    rows = await Organisation.insert(
        Organisation(name=name, country=country, currency=currency, partner_status=partner_status)
    ).returning(Organisation.id)
    return rows[0]["id"]


async def insert_person(
    email: str, organisation_id: int | None = None, role: str | None = None
) -> int:
    """An account whose password is PASSWORD; with ROLE, a member of ORGANISATION_ID."""
    from portal.accounts import passwords
    from portal.accounts.tables import Account
    from portal.organisations.tables import Membership

    rows = await Account.insert(
        Account(
            email=email,
            full_name=email.split("@")[0].replace(".", " ").title(),
            password_hash=passwords.hash_password(PASSWORD),
        )
    ).returning(Account.id)
    account = rows[0]["id"]
    if role is not None:
        await Membership.insert(
            Membership(organisation=organisation_id, account=account, role=role)
        )
    return account


async def insert_team(organisation_id: int, name: str, member_ids: list[int]) -> int:
    from portal.organisations.tables import Team, TeamMember

    rows = await Team.insert(Team(organisation=organisation_id, name=name)).returning(Team.id)
    team = rows[0]["id"]
    if member_ids:
        await TeamMember.insert(*[TeamMember(team=team, account=a) for a in member_ids])
    return team


async def insert_product(organisation_id: int, code: str, name: str | None = None) -> int:
    """A yearly product of catalogue item CODE in the organisation."""
    from datetime import date

    from portal.products.tables import CatalogueItem, Product

    item = await CatalogueItem.select().where(CatalogueItem.code == code).first()
    assert item, f"no catalogue item {code}"
    rows = await Product.insert(
        Product(
            organisation=organisation_id,
            item=item["id"],
            family=item["family"],
            name=name or f"{code}.example",
            period="yearly",
            started_on=date(2026, 1, 1),
            renews_on=date(2027, 1, 1),
        )
    ).returning(Product.id)
    return rows[0]["id"]


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


# --- the job queue: what waits in it, and the worker working it off (tenders, mail) ----------


async def queued_jobs(names) -> int:
    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB

    rows = await DB.run_querystring(
        QueryString("SELECT count(*) AS n FROM pgqueuer WHERE entrypoint = ANY({})", list(names))
    )
    return rows[0]["n"]


async def work_off_queue(settings, jobs=None) -> None:
    """Run the real worker with JOBS (the tenders' and the mail's) until none of them is left
    queued, as the worker beside `portal serve` would."""
    import asyncio
    import time

    from portal.jobs.worker import run_worker
    from portal.mail.jobs import JOBS as MAIL_JOBS
    from portal.tenders.jobs import JOBS

    jobs = [*JOBS, *MAIL_JOBS] if jobs is None else jobs
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop, jobs=jobs, periodic=()))
    try:
        deadline = time.monotonic() + 30
        while await queued_jobs(job.name for job in jobs):
            assert time.monotonic() < deadline, "the queued jobs were not worked off"
            assert not worker.done(), worker
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=30)


async def queued_mails_to(recipient: str) -> list[dict]:
    """The outbox's mails to RECIPIENT, oldest first, each with the priority of the
    `mail.deliver` job queued for it (None: no such job waits, e.g. it was worked off)."""
    from piccolo.querystring import QueryString

    from portal.mail.services import DELIVER_MAIL
    from portal.piccolo_conf import DB

    return await DB.run_querystring(
        QueryString(
            "SELECT o.id, o.subject, o.body, o.sent_at, q.priority FROM outbox_mail o "
            "LEFT JOIN pgqueuer q ON q.entrypoint = {} "
            "AND (convert_from(q.payload, 'UTF8')::jsonb ->> 'outbox_id')::int = o.id "
            "WHERE o.recipient = {} ORDER BY o.id",
            DELIVER_MAIL,
            recipient,
        )
    )


async def delivered_by_the_worker(settings, smtp, recipient: str, priority: int) -> str:
    """The last mail to RECIPIENT: written to the outbox and queued by the change, not handed
    to SMTP there (a `mail.deliver` job of PRIORITY waits for it); then the worker delivers
    it to SMTP (the catcher SMTP). Its body, as received."""
    queued = (await queued_mails_to(recipient))[-1]
    assert queued["sent_at"] is None and queued["priority"] == priority, queued
    await work_off_queue(settings)
    received = smtp.to(recipient)[-1]
    assert received["Message-ID"].startswith(f"<outbox-{queued['id']}."), received["Message-ID"]
    return received.get_content()
