"""Tokens: made on the security page with the password (and the second factor when on), shown
once, stored hashed, listed with their last use, revoked at once; a removed member's token
stops at once; the operators' command prints one."""

from __future__ import annotations

import re
import subprocess
import sys

from portal.core.tokens import token_hash
from tests.factories.accounts import PASSWORD, log_in, sign_up, totp_code, turn_on_two_factor
from tests.factories.api import ALPINE, bearer, scalar
from tests.factories.organisations import colleague, membership_id
from tests.factories.servers import ROOT
from tests.factories.web import post_form

ALICE = "alice@demo.partner-portal.test"
FORM = {
    "token_name": "CRM sync",
    "expires": "30",
    "scope_clients": "read",
    "scope_products": "write",
}


async def create(client, **fields) -> str:
    organisation = await scalar("SELECT id FROM organisation ORDER BY id LIMIT 1")
    data = {**FORM, "organisation": str(organisation), "token_password": PASSWORD, **fields}
    response = await post_form(client, "/account/tokens", data)
    assert response.status_code == 200, response.text
    found = re.search(r'data-testid="api-token">([^<]+)<', response.text)
    assert found, response.text
    return found[1]


async def test_a_token_is_shown_once_stored_hashed_used_and_revoked(client, db):
    await sign_up(client)
    token = await create(client)
    assert token.startswith("ppt_")
    stored = await scalar("SELECT token_hash FROM api_token")
    assert stored == token_hash(token) and token not in (await client.get("/account/security")).text
    assert (await client.get("/api/v1/organisation", headers=bearer(token))).json()[
        "token_scopes"
    ] == ["clients:read", "products:write"]
    page = (await client.get("/account/security")).text
    assert "CRM sync" in page and "Never used" not in page  # its last use is listed
    token_id = await scalar("SELECT id FROM api_token")
    revoked = await post_form(client, f"/account/tokens/{token_id}/revoke")
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/organisation", headers=bearer(token))).status_code == 401


async def test_making_a_token_asks_for_the_password_and_the_second_factor(client, db):
    await sign_up(client)
    organisation = await scalar("SELECT id FROM organisation ORDER BY id LIMIT 1")
    data = {**FORM, "organisation": str(organisation), "token_password": "Wrong-Horse-1"}
    refused = await post_form(client, "/account/tokens", data)
    assert refused.status_code == 422 and "This is not your password." in refused.text
    two_factor = await turn_on_two_factor(client)
    without_code = await post_form(client, "/account/tokens", {**data, "token_password": PASSWORD})
    assert without_code.status_code == 422
    assert await scalar("SELECT count(*) FROM api_token") == 0
    token = await create(client, token_code=totp_code(two_factor.secret, steps_ahead=1))
    assert token.startswith("ppt_")


async def test_a_token_needs_a_scope_and_one_of_the_persons_organisations(client, db):
    await sign_up(client)
    data = {
        "token_name": "x",
        "expires": "never",
        "organisation": "999",
        "token_password": PASSWORD,
    }
    refused = await post_form(client, "/account/tokens", data)
    assert refused.status_code == 422
    assert "Choose one of your organisations." in refused.text
    assert "Give the token access to at least one area." in refused.text
    assert await scalar("SELECT count(*) FROM api_token") == 0


async def test_an_access_level_the_list_does_not_offer_is_a_field_error(client, db):
    await sign_up(client)
    organisation = await scalar("SELECT id FROM organisation ORDER BY id LIMIT 1")
    data = {**FORM, "organisation": str(organisation), "token_password": PASSWORD}
    refused = await post_form(client, "/account/tokens", {**data, "scope_clients": "admin"})
    assert refused.status_code == 422
    assert "Choose an access level from the list." in refused.text
    assert await scalar("SELECT count(*) FROM api_token") == 0


async def test_a_removed_members_token_stops_at_once(client, db):
    await sign_up(client, organisation="Muster Web AG")
    async with colleague(client, "bea@example.ch", role="administrator") as bea:
        token = await create(bea)
        assert (await client.get("/api/v1/organisation", headers=bearer(token))).status_code == 200
        member = await membership_id(client, "bea@example.ch")
        removed = await post_form(client, f"/organisation/members/{member}/remove")
        assert removed.status_code == 303, removed.text
        stopped = await client.get("/api/v1/organisation", headers=bearer(token))
        assert stopped.status_code == 401
        assert "no longer belongs" in stopped.json()["detail"]


async def test_a_right_taken_from_the_owner_is_taken_from_the_token_at_once(client, db):
    await sign_up(client, organisation="Muster Web AG")
    async with colleague(client, "bea@example.ch", billing_rights=True) as bea:
        token = await create(bea, scope_billing="read")
        invoices = await client.get("/api/v1/invoices", headers=bearer(token))
        assert invoices.status_code == 200, invoices.text
        member = await membership_id(client, "bea@example.ch")
        changed = await post_form(client, f"/organisation/members/{member}", {"role": "user"})
        assert changed.status_code == 303, changed.text
        refused = await client.get("/api/v1/invoices", headers=bearer(token))
        assert refused.status_code == 403, refused.text
        assert (await client.get("/api/v1/organisation", headers=bearer(token))).status_code == 200


def portal_command(database_url: str, data_dir, *arguments: str):
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", "api-token", "create", *arguments],
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url,
             "PORTAL_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_the_operators_command_refuses_what_is_wrong(database_url, tmp_path):
    """`portal api-token create` refuses what is wrong before it starts anything."""
    result = portal_command(
        database_url, tmp_path, "--email", "x@example.ch", "--organisation", "1", "--name", "n",
        "--scope", "clients:admin",
    )  # fmt: skip
    assert result.returncode == 2 and "Unknown scope clients:admin" in result.stderr
    assert result.stdout == ""


async def test_the_operators_command_prints_a_token_once(client, demo_world, tmp_path):
    alpine = await scalar("SELECT id FROM organisation WHERE name = {}", ALPINE)
    arguments = ("--email", ALICE, "--organisation", str(alpine), "--name", "Helpdesk")
    made = portal_command(demo_world, tmp_path, *arguments, "--scope", "tenders:write")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("ppt_") and "\n" not in token and token not in made.stderr
    assert await scalar("SELECT name FROM api_token WHERE token_hash = {}", token_hash(token)) == (
        "Helpdesk"
    )
    seen = (await client.get("/api/v1/organisation", headers=bearer(token))).json()
    assert seen["id"] == alpine and seen["token_scopes"] == ["tenders:write"]
    again = portal_command(demo_world, tmp_path, *arguments)
    assert again.returncode == 0 and again.stdout.strip() != token  # a new token each time
    stranger = portal_command(demo_world, tmp_path, "--email", "nobody@example.ch",
                              "--organisation", str(alpine), "--name", "x")  # fmt: skip
    assert stranger.returncode == 2 and stranger.stdout == ""


async def test_the_demo_lists_a_used_token_on_alices_security_page(client, demo_world):
    from portal.demo import DEMO_PASSWORD

    assert (await log_in(client, ALICE, DEMO_PASSWORD)).status_code == 303
    page = (await client.get("/account/security")).text
    assert "Accounting export" in page and "from 203.0.113.24" in page
