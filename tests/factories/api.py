"""The API's, webhooks' and billing feed's tests: the demo world, tokens made as `portal
api-token create` makes them, a demo person's browser, and the portal on a granian server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack

import httpx
import pytest
from piccolo.querystring import QueryString

from portal import demo
from portal.access import ALL_SCOPES
from portal.accounts import queries as account_queries
from portal.accounts import services as account_services
from portal.piccolo_conf import DB
from tests.factories.accounts import log_in
from tests.factories.servers import ROOT, free_port

ALPINE = "Alpine Web Studio GmbH"
HUBER = "Bäckerei Huber AG"
ALICE = "alice@demo.partner-portal.test"


async def scalar(sql: str, *args):
    rows = await DB.run_querystring(QueryString(sql, *args))
    return next(iter(rows[0].values())) if rows else None


async def organisation_id(name: str) -> int:
    return await scalar("SELECT id FROM organisation WHERE name = {}", name)


async def make_token(
    email: str, organisation: str | int, scopes=ALL_SCOPES, *, days: int | None = None
) -> str:
    """A token for EMAIL in ORGANISATION (a name or an id), as an operator makes one."""
    account = await account_queries.account_by_email(email)
    organisation_id_ = (
        organisation if isinstance(organisation, int) else await organisation_id(organisation)
    )
    request = account_services.TokenRequest("test", organisation_id_, days, frozenset(scopes))
    return await account_services.create_api_token(
        account["id"],
        request,
        await account_queries.organisations_of(account["id"]),
        confirmed_by=None,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def demo_world(db):
    """The demo data (no generated organisations); the database's URL."""
    assert await demo.load(db, 0)
    return db


async def demo_browser(client, email: str) -> httpx.AsyncClient:
    """A browser of its own on CLIENT's app, logged in as a demo person."""
    browser = httpx.AsyncClient(transport=client._transport, base_url=client.base_url)
    assert (await log_in(browser, email, demo.DEMO_PASSWORD)).status_code == 303
    return browser


def start_server(stack: ExitStack, database_url: str, data_dir) -> str:
    """The portal on granian (one worker) on 127.0.0.1, stopped when STACK closes; its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
         "portal.app:app_from_environment", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    stack.callback(_stop, process)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
