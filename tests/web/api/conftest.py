"""The API's tests: the demo world, and tokens made as `portal api-token create` makes them."""

from __future__ import annotations

import pytest
from piccolo.querystring import QueryString

from portal import demo
from portal.access import ALL_SCOPES
from portal.accounts import queries as account_queries
from portal.accounts import services as account_services
from portal.piccolo_conf import DB

ALPINE = "Alpine Web Studio GmbH"
HUBER = "Bäckerei Huber AG"


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
    assert await demo.load(db, 0)
    return db
