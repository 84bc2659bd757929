"""Every route of delegation, for every person, in every state of a link, through HTTP.

The expected status comes from the oracle of tests/unit/clients/test_link_access.py (one source
of truth): HIDDEN → 404, FORBIDDEN → 403; when the access allows, the route's own outcome for the
link's state (200 or 303; a clear 4xx when the state does not allow the step). A refused
request must change nothing at all; an allowed one must have its effect, after which the world
is put back as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest

from portal.access import (
    Action,
    ClientProductResource,
    Decision,
    LinkResource,
    OrganisationResource,
)
from portal.clients.tables import ClientAssignment, DelegatedProduct, PartnerLink
from tests.factories.access import expected_decision
from tests.factories.accounts import PASSWORD
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
    _product_names,
    build_world,
    put_back,
    snapshot,
)
from tests.factories.web import post_form

# --- the world -----------------------------------------------------------------------------------


STATES = [FULL, RESTRICTED, AWAITING_CLIENT, AWAITING_PARTNER, STOPPED]
AWAITING_STATES = {AWAITING_CLIENT, AWAITING_PARTNER}


async def the_link(world: World) -> dict:
    return await PartnerLink.select().where(PartnerLink.id == world.link).first()


# --- the routes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # {link}, {token} and {hosting}/{mail}/{domain}/{foreign} are filled in
    action: Action  # what load_link (or the invitation) asks access.py
    product: str | None = None  # then asked about this product of the client, through the link
    product_action: Action | None = None
    page_of: str | None = None  # the page of one side: the other side gets 404
    data: Callable[[World, Someone], dict] = lambda world, someone: {}
    # when access allows: the status, and whether the request changes anything
    outcome: Callable[[World, Someone], tuple[int, bool]] = lambda world, someone: (303, True)
    effect: Callable | None = None  # async check of the change, when there is one


def _in_state(states, success=(303, True), otherwise=(409, False)):
    return lambda world, someone: success if world.state in states else otherwise


def _status_becomes(expected: str):
    async def check(world, someone, before, after) -> None:
        assert (await the_link(world))["status"] == expected

    return check


async def _assigned_only_unassigned_user(world, someone, before, after) -> None:
    rows = await ClientAssignment.select().where(ClientAssignment.link == world.link)
    assert [(r["account"], r["team"]) for r in rows] == [(world.accounts["unassigned user"], None)]


async def _renamed(world, someone, before, after) -> None:
    names = await _product_names()
    assert names[world.products["hosting"]] == "renamed by " + someone.key


async def _one_more_invoice(world, someone, before, after) -> None:
    assert after["invoices"] == before["invoices"] + 1


async def _grant_is_domains_only(world, someone, before, after) -> None:
    link = await the_link(world)
    assert (link["access"], link["families"]) == ("restricted", ["domain"])


async def _hosting_withdrawn(world, someone, before, after) -> None:
    link = await the_link(world)
    delegated = await DelegatedProduct.select(DelegatedProduct.product).where(
        DelegatedProduct.link == world.link
    )
    assert link["families"] == [] and [d["product"] for d in delegated] == [world.products["mail"]]


async def _granted_to_the_actors_organisation(world, someone, before, after) -> None:
    link = await the_link(world)
    assert (link["status"], link["client"]) == ("active", world.organisations[someone.side])


def _rename_data(world, someone):
    return {"name": "renamed by " + someone.key}


LINK_ROUTES = [
    Route(
        "partner's page of the link",
        "GET",
        "/clients/{link}",
        Action.VIEW_LINK,
        page_of="partner",
        outcome=lambda w, s: (200, False),
    ),
    Route(
        "client's page of the link",
        "GET",
        "/organisation/partners/{link}",
        Action.VIEW_LINK,
        page_of="client",
        outcome=lambda w, s: (200, False),
    ),
    # answer_request's Conflict (not awaiting the partner) comes back as a flash on the page
    Route(
        "accept a client's request",
        "POST",
        "/clients/{link}/accept",
        Action.DECIDE_AS_PARTNER,
        outcome=_in_state({AWAITING_PARTNER}, otherwise=(303, False)),
        effect=_status_becomes("active"),
    ),
    Route(
        "refuse a client's request",
        "POST",
        "/clients/{link}/refuse",
        Action.DECIDE_AS_PARTNER,
        outcome=_in_state({AWAITING_PARTNER}),
        effect=_status_becomes("refused"),
    ),
    Route(
        "withdraw a request (partner's url)",
        "POST",
        "/clients/{link}/withdraw",
        Action.WITHDRAW_REQUEST,
        outcome=_in_state(AWAITING_STATES),
        effect=_status_becomes("withdrawn"),
    ),
    Route(
        "withdraw a request (client's url)",
        "POST",
        "/organisation/partners/{link}/withdraw",
        Action.WITHDRAW_REQUEST,
        outcome=_in_state(AWAITING_STATES),
        effect=_status_becomes("withdrawn"),
    ),
    Route(
        "stop (partner's url)",
        "POST",
        "/clients/{link}/stop",
        Action.STOP_LINK,
        data=lambda w, s: {"password": PASSWORD},
        outcome=_in_state(ACTIVE_STATES),
        effect=_status_becomes("stopped"),
    ),
    Route(
        "stop (client's url)",
        "POST",
        "/organisation/partners/{link}/stop",
        Action.STOP_LINK,
        data=lambda w, s: {"password": PASSWORD},
        outcome=_in_state(ACTIVE_STATES),
        effect=_status_becomes("stopped"),
    ),
    Route(
        "assign collaborators",
        "POST",
        "/clients/{link}/collaborators",
        Action.ASSIGN_COLLABORATORS,
        data=lambda w, s: {"people": [str(w.accounts["unassigned user"])]},
        effect=_assigned_only_unassigned_user,
    ),
    Route(
        "invite a user into the client",
        "POST",
        "/clients/{link}/people/invite",
        Action.INVITE_CLIENT_USER,
        data=lambda w, s: {"email": w.unique("newcomer") + "@client.example"},
    ),
    *[
        Route(
            f"rename the client's {product}",
            "POST",
            f"/clients/{{link}}/products/{{{product}}}/rename",
            Action.ACT_FOR_CLIENT,
            product=product,
            product_action=Action.MANAGE_CLIENT_PRODUCT,
            data=_rename_data,
            effect=_renamed if product == "hosting" else None,
        )
        for product in ("hosting", "domain", "foreign")
    ],
    Route(
        "order web hosting for the client",
        "POST",
        "/clients/{link}/order",
        Action.ACT_FOR_CLIENT,
        product="new",
        product_action=Action.ORDER_FOR_CLIENT,
        data=lambda w, s: {"item": str(w.web_pro_item), "period": "yearly", "name": "new.ch"},
        effect=_one_more_invoice,
    ),
    *[
        Route(
            f"renew the client's {product}",
            "POST",
            f"/clients/{{link}}/products/{{{product}}}/renew",
            Action.ACT_FOR_CLIENT,
            product=product,
            product_action=Action.ORDER_FOR_CLIENT,
            effect=_one_more_invoice,
        )
        for product in ("hosting", "domain", "foreign")
    ],
    Route(
        "change the grant",
        "POST",
        "/organisation/partners/{link}/change",
        Action.CHANGE_LINK,
        data=lambda w, s: {"access": "restricted", "families": ["domain"]},
        outcome=_in_state(ACTIVE_STATES, otherwise=(422, False)),
        effect=_grant_is_domains_only,
    ),
    Route(
        "withdraw the hosting from the partner",
        "POST",
        "/organisation/partners/{link}/products/{hosting}/withdraw",
        Action.CHANGE_LINK,
        outcome=lambda w, s: {
            RESTRICTED: (303, True),
            FULL: (303, False),  # full access covers everything: a flash explains
        }.get(w.state, (404, False)),  # no grant: nothing to withdraw
        effect=_hosting_withdrawn,
    ),
    Route(
        "withdraw the domain from the partner",
        "POST",
        "/organisation/partners/{link}/products/{domain}/withdraw",
        Action.CHANGE_LINK,
        outcome=lambda w, s: (303, False) if w.state == FULL else (404, False),
    ),
    Route(
        "see the emailed invitation",
        "GET",
        "/links/invitations/{token}",
        Action.VIEW_LINK,
        outcome=lambda w, s: (200, False) if w.state == AWAITING_CLIENT else (409, False),
    ),
    Route(
        "grant the invitation",
        "POST",
        "/links/invitations/{token}/grant",
        Action.DECIDE_AS_CLIENT,
        data=lambda w, s: {"access": "restricted", "families": ["web_hosting"]},
        effect=_granted_to_the_actors_organisation,
    ),
    Route(
        "decline the invitation",
        "POST",
        "/links/invitations/{token}/decline",
        Action.DECIDE_AS_CLIENT,
        outcome=_in_state({AWAITING_CLIENT}),
        effect=_status_becomes("refused"),
    ),
]


def expected_status(world: World, route: Route, someone: Someone) -> tuple[int, bool]:
    """(status, whether the request changes anything), from the oracle and the route."""
    actor = world.actor(someone)
    if route.path.startswith("/links/invitations/"):
        return _expected_on_invitation(world, route, someone, actor)
    link = world.link_resource()
    decision = expected_decision(actor, route.action, link)
    if decision is Decision.ALLOWED and route.product is not None:
        product = ClientProductResource(link, world.covers(route.product), world.state == FULL)
        decision = expected_decision(actor, route.product_action, product)
    if decision is Decision.HIDDEN:
        return (404, False)
    if decision is Decision.FORBIDDEN:
        return (403, False)
    if route.page_of is not None and route.page_of != someone.side:
        return (404, False)
    return route.outcome(world, someone)


def _expected_on_invitation(world, route, someone, actor) -> tuple[int, bool]:
    """The token is the invitation: whoever holds it sees it; the organisation they act in
    answers as the client, if access.py lets them decide for it."""
    if world.state != AWAITING_CLIENT:
        return (409, False)  # answered, or never sent: the token opens nothing
    if route.method == "GET":
        return (200, False)
    if route.name == "grant the invitation" and someone.side == "partner":
        return (422, False)  # an organisation cannot be its own partner
    as_client = LinkResource(world.organisations["partner"], actor.organisation_id, active=False)
    decision = expected_decision(actor, route.action, as_client)
    if decision is not Decision.ALLOWED:
        return (404, False) if decision is Decision.HIDDEN else (403, False)
    return route.outcome(world, someone)


def url(world: World, route: Route) -> str:
    return route.path.format(link=world.link, token=world.token, **world.products)


async def request(world: World, route: Route, someone: Someone):
    browser = world.browsers[someone.key]
    if route.method == "GET":
        return await browser.get(url(world, route))
    return await post_form(browser, url(world, route), route.data(world, someone))


@pytest.fixture
async def closing():
    async with AsyncExitStack() as stack:
        yield stack


@pytest.mark.parametrize("state", STATES)
async def test_every_person_on_every_route_of_a_link(client, closing, state):
    world = await build_world(client, state)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    problems = []
    seen = set()
    for route in LINK_ROUTES:
        for someone in PEOPLE:
            status, changes = expected_status(world, route, someone)
            seen.add(status)
            before = await snapshot()
            response = await request(world, route, someone)
            after = await snapshot()
            label = f"{someone.key} → {route.name} ({route.method} {url(world, route)})"
            if response.status_code != status:
                problems.append(f"{label}: {response.status_code}, expected {status}")
            elif changes and after == before:
                problems.append(f"{label}: answered {status} and changed nothing")
            elif not changes and after != before:
                problems.append(f"{label}: answered {status} but changed something")
            elif changes and route.effect is not None:
                try:
                    await route.effect(world, someone, before, after)
                except AssertionError as error:
                    problems.append(f"{label}: not the expected change: {error}")
            if after != before:
                await put_back(world)
    assert not problems, "\n".join(problems)
    assert {403, 404, 303} <= seen  # the world has someone for each answer


@pytest.mark.parametrize("state", STATES)
async def test_the_lists_of_clients_and_partners_show_a_link_only_to_whom_may_view_it(
    client, closing, state
):
    """/clients lists the partner's open links (a collaborator: the active ones given to them);
    /organisation/partners the client's pending requests and partners. Each shows a link to
    exactly the people access.py lets view it."""
    world = await build_world(client, state)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    problems = []
    for someone in PEOPLE:
        decision = expected_decision(world.actor(someone), Action.VIEW_LINK, world.link_resource())
        may_view = decision is Decision.ALLOWED
        browser = world.browsers[someone.key]
        for path, side, listed_states in [
            ("/clients", "partner", {FULL, RESTRICTED, AWAITING_CLIENT, AWAITING_PARTNER}),
            ("/organisation/partners", "client", {FULL, RESTRICTED, AWAITING_PARTNER}),
        ]:
            response = await browser.get(path)
            expected = may_view and someone.side == side and state in listed_states
            shown = f'href="{path}/{world.link}"' in response.text
            if response.status_code != 200 or shown is not expected:
                problems.append(
                    f"{someone.key} → GET {path}: {response.status_code}, "
                    f"{'shows' if shown else 'hides'} the link (expected "
                    f"{'shown' if expected else 'hidden'})"
                )
    assert not problems, "\n".join(problems)


async def test_starting_a_link_from_either_side(client, closing):
    """Inviting a client (POST /clients/invite) and adding a partner (POST
    /organisation/partners/add) are decided on the actor's own organisation; the partner search
    answers everyone of an organisation, with results for those who may add a partner."""
    world = await build_world(client, AWAITING_CLIENT)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    other_partner = world.organisations["other partner"]
    starts = [
        (
            "/clients/invite",
            Action.INVITE_CLIENT,
            lambda: {
                "email": world.unique("client") + "@example.ch",
                "access": "restricted",
                "families": ["web_hosting"],
            },
        ),
        (
            "/organisation/partners/add",
            Action.ADD_PARTNER,
            lambda: {
                "partner": str(other_partner),
                "access": "restricted",
                "families": ["domain"],
            },
        ),
    ]
    problems = []
    seen = set()
    for someone in PEOPLE:
        actor = world.actor(someone)
        browser = world.browsers[someone.key]
        search = await browser.get("/organisation/partners/search", params={"q": "Other"})
        may_add = expected_decision(
            actor, Action.ADD_PARTNER, OrganisationResource(actor.organisation_id)
        )
        found = "Other Partner AG" in search.text  # the results belong to the form to add one
        if search.status_code != 200 or found is not (may_add is Decision.ALLOWED):
            problems.append(f"{someone.key} → partner search: {search.status_code}, {found=}")
        for path, action, data in starts:
            decision = expected_decision(actor, action, OrganisationResource(actor.organisation_id))
            status = {Decision.ALLOWED: 303, Decision.FORBIDDEN: 403, Decision.HIDDEN: 404}[
                decision
            ]
            seen.add(status)
            before = await PartnerLink.count()
            response = await post_form(browser, path, data())
            created = await PartnerLink.count() - before
            if response.status_code != status or created != (status == 303):
                problems.append(
                    f"{someone.key} → POST {path}: {response.status_code}, expected {status}; "
                    f"{created} link(s) created"
                )
            if created:
                await put_back(world)
    assert not problems, "\n".join(problems)
    assert seen == {303, 403, 404}  # the world has someone for each answer
