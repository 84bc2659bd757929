"""Every renewals route, for every person of the delegation world (tests/web/clients), in every
state of the link: the status the oracle (tests/unit/renewals/test_access.py) gives, and a
refused request changes nothing."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from portal.access import Action, ClientProductResource, Decision, OrganisationResource
from portal.products.tables import Product
from tests.factories.access import expected_renewal_decision as expected
from tests.factories.clients import (
    ACTIVE_STATES,
    AWAITING_CLIENT,
    AWAITING_PARTNER,
    FULL,
    PEOPLE,
    RESTRICTED,
    STOPPED,
    Someone,
    World,
    build_world,
    put_back,
)
from tests.factories.web import post_form

STATES = [FULL, RESTRICTED, AWAITING_CLIENT, AWAITING_PARTNER, STOPPED]

PAGES = ["/renewals", "/renewals/csv", "/partner/renewals", "/partner/renewals/csv"]
CHANGES = [
    ("/partner/renewals/change", "hosting"),
    ("/partner/renewals/change", "domain"),
    ("/partner/renewals/change", "foreign"),
    ("/renewals/change", "hosting"),
    ("/renewals/change", "foreign"),
]


STATUS = {Decision.ALLOWED: 200, Decision.FORBIDDEN: 403, Decision.HIDDEN: 404}


def viewing(path: str) -> Action:
    """What a renewals page asks: the organisation's own products, or its clients'."""
    return Action.VIEW_CLIENT_RENEWALS if path.startswith("/partner/") else Action.VIEW_RENEWALS


def page_status(world: World, someone: Someone, path: str) -> int:
    actor = world.actor(someone)
    own = OrganisationResource(actor.organisation_id)
    return STATUS[expected(actor, viewing(path), own)]


def sees_client(world: World, someone: Someone) -> bool:
    link = world.link_resource()
    return (
        someone.role is not None
        and link.active
        and (
            someone.role.value in ("legal_representative", "administrator")
            or someone.assigned
            or someone.in_team
        )
    )


def change_status(world: World, someone: Someone, path: str, product: str) -> int:
    actor = world.actor(someone)
    own = OrganisationResource(actor.organisation_id)
    if (decision := expected(actor, viewing(path), own)) is not Decision.ALLOWED:
        return STATUS[decision]
    if path == "/renewals/change":
        if expected(actor, Action.MANAGE_RENEWALS, own) is Decision.FORBIDDEN:
            return 403
        owner = "third" if product == "foreign" else "client"  # the third owns "foreign"
        mine = someone.side == owner
        return 303 if mine else 404
    managed = (
        someone.side == "partner"
        and world.state in ACTIVE_STATES
        and product != "foreign"
        and world.covers(product)
        and sees_client(world, someone)
    )
    if not managed:
        return 404
    resource = ClientProductResource(world.link_resource(), True, world.state == FULL)
    decision = expected(actor, Action.MANAGE_RENEWALS, resource)
    return 303 if decision is Decision.ALLOWED else 403


async def warranties() -> dict[int, bool]:
    rows = await Product.select(Product.id, Product.renewal_warranty)
    return {row["id"]: row["renewal_warranty"] for row in rows}


@pytest.fixture
async def closing():
    async with AsyncExitStack() as stack:
        yield stack


@pytest.mark.parametrize("state", STATES)
async def test_every_person_on_every_renewals_route(client, closing, state):
    world = await build_world(client, state)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    problems, seen = [], set()
    for someone in PEOPLE:
        browser = world.browsers[someone.key]
        for path in PAGES:
            status = page_status(world, someone, path)
            answer = await browser.get(path)
            if answer.status_code != status:
                problems.append(f"{someone.key} → GET {path}: {answer.status_code}, not {status}")
        for path, product in CHANGES:
            status = change_status(world, someone, path, product)
            seen.add(status)
            before = await warranties()
            answer = await post_form(
                browser,
                path,
                {
                    "change": "warranty_on",
                    "scope": "selected",
                    "state": "all",
                    "family": "",
                    "product": str(world.products[product]),
                },
            )
            after = await warranties()
            label = f"{someone.key} → POST {path} {product}"
            if answer.status_code != status:
                problems.append(f"{label}: {answer.status_code}, expected {status}")
            elif status == 303 and not after[world.products[product]]:
                problems.append(f"{label}: answered 303 and changed nothing")
            elif status != 303 and after != before:
                problems.append(f"{label}: answered {status} but changed something")
            if after != before:
                await Product.update({Product.renewal_warranty: False}).where(
                    Product.renewal_warranty.eq(True)
                )
                await put_back(world)
    assert not problems, "\n".join(problems)
    if state in ACTIVE_STATES:
        assert {303, 403, 404} <= seen
