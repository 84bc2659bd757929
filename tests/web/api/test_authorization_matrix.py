"""The pages' authorization matrix (tests/web/clients/test_route_matrix.py: every person, every
state of a link), replayed through the API with tokens of every person and of each kind of
scope. The oracle is the same (tests/unit/clients/test_link_access.py): what the owner may not
see answers 404, what they may see but not do 403, what the token's scopes do not cover 403;
a refused call writes nothing, an allowed write has its effect."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest

from portal.access import (
    ALL_SCOPES,
    Action,
    ApiArea,
    ApiLevel,
    ClientProductResource,
    Decision,
    scope,
)
from portal.products.tables import Product
from tests.factories.access import expected_decision
from tests.factories.api import bearer, make_token
from tests.factories.clients import (
    ACTIVE_STATES,
    AWAITING_CLIENT,
    AWAITING_PARTNER,
    FULL,
    PEOPLE,
    RESTRICTED,
    STOPPED,
    build_world,
    put_back,
    snapshot,
)

READ_ALL = frozenset(scope(area, ApiLevel.READ) for area in ApiArea)
WITHOUT_CLIENTS = frozenset(s for s in ALL_SCOPES if not s.startswith("clients:"))
STATES = [FULL, RESTRICTED, AWAITING_CLIENT, AWAITING_PARTNER, STOPPED]
TOKENS = {"read and write": ALL_SCOPES, "read only": READ_ALL, "no clients": WITHOUT_CLIENTS}


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    area: ApiArea
    level: ApiLevel = ApiLevel.READ


CALLS = [
    Call("show the link", "GET", "/api/v1/links/{link}", ApiArea.CLIENTS),
    Call("the link's products", "GET", "/api/v1/links/{link}/products", ApiArea.CLIENTS),
    Call(
        "rename the hosting",
        "PATCH",
        "/api/v1/links/{link}/products/{hosting}",
        ApiArea.PRODUCTS,
        ApiLevel.WRITE,
    ),
    Call(
        "rename another client's product",
        "PATCH",
        "/api/v1/links/{link}/products/{foreign}",
        ApiArea.PRODUCTS,
        ApiLevel.WRITE,
    ),
]


def covers_scope(scopes: frozenset[str], area: ApiArea, level: ApiLevel) -> bool:
    return scope(area, ApiLevel.WRITE) in scopes or (
        level is ApiLevel.READ and scope(area, level) in scopes
    )


def expected(world, call: Call, someone, scopes: frozenset[str]) -> tuple[int, bool]:
    """The status and whether the call changes anything, from the pages' oracle."""
    if not covers_scope(scopes, call.area, call.level):
        return 403, False  # the operation's own scope, before anything is read
    actor = world.actor(someone)
    link = world.link_resource()
    decision = expected_decision(actor, Action.ACT_FOR_CLIENT, link)
    if call.name == "show the link":
        decision = expected_decision(actor, Action.VIEW_LINK, link)
    if decision is Decision.ALLOWED and not covers_scope(scopes, ApiArea.CLIENTS, ApiLevel.READ):
        decision = Decision.FORBIDDEN  # the owner may, the token's scopes do not
    if decision is Decision.HIDDEN:
        return 404, False
    if decision is Decision.FORBIDDEN:
        return 403, False
    if call.name == "show the link":
        return 200, False
    partner_side = someone.side == "partner"
    if call.name == "the link's products":
        return (200, False) if partner_side and world.state in ACTIVE_STATES else (404, False)
    product = "hosting" if "hosting" in call.path else "foreign"
    resource = ClientProductResource(link, world.covers(product), world.state == FULL)
    decision = expected_decision(actor, Action.MANAGE_CLIENT_PRODUCT, resource)
    if decision is Decision.HIDDEN:
        return 404, False
    if decision is Decision.FORBIDDEN:
        return 403, False
    return 200, True


@pytest.fixture
async def closing():
    async with AsyncExitStack() as stack:
        yield stack


@pytest.mark.parametrize("state", STATES)
async def test_every_person_and_scope_on_every_call_about_a_link(client, closing, state):
    world = await build_world(client, state)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    problems, seen = [], set()
    for someone in PEOPLE:
        email = someone.key.replace(" ", ".") + "@example.ch"
        organisation = world.organisations[someone.side]
        for kind, scopes in TOKENS.items():
            token = await make_token(email, organisation, scopes)
            for call in CALLS:
                status, changes = expected(world, call, someone, scopes)
                seen.add(status)
                path = call.path.format(link=world.link, **world.products)
                before = await snapshot()
                body = {"name": f"renamed by {someone.key}"} if call.method == "PATCH" else None
                response = await client.request(call.method, path, json=body, headers=bearer(token))
                after = await snapshot()
                label = f"{someone.key} with a {kind} token → {call.name} ({call.method} {path})"
                if response.status_code != status:
                    problems.append(f"{label}: {response.status_code}, expected {status}")
                elif changes != (after != before):
                    problems.append(f"{label}: answered {status}, changed: {after != before}")
                elif changes:
                    product = await Product.select(Product.name).where(
                        Product.id == world.products["hosting"]
                    )
                    if product[0]["name"] != body["name"]:
                        problems.append(f"{label}: not renamed")
                if after != before:
                    await put_back(world)
    assert not problems, "\n".join(problems)
    assert {403, 404, 200} <= seen or state not in ACTIVE_STATES
