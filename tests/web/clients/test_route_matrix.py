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
from datetime import UTC, datetime, timedelta

import pytest

from portal.access import (
    Action,
    ClientProductResource,
    Decision,
    LinkResource,
    OrganisationResource,
)
from portal.clients.tables import (
    ClientAssignment,
    DelegatedProduct,
    LinkRequest,
    LinkTransfer,
    PartnerLink,
)
from tests.factories.access import expected_decision
from tests.factories.accounts import PASSWORD
from tests.factories.clients import (
    ACTIVE_STATES,
    AWAITING_CLIENT,
    AWAITING_PARTNER,
    DELIVERED,
    ELEVATED,
    FULL,
    PEOPLE,
    RESTRICTED,
    STOPPED,
    TRANSFER_CODE,
    Someone,
    World,
    _product_names,
    build_world,
    put_back,
    snapshot,
)
from tests.factories.web import post_form

# --- the world -----------------------------------------------------------------------------------


STATES = [FULL, RESTRICTED, ELEVATED, AWAITING_CLIENT, DELIVERED, AWAITING_PARTNER, STOPPED]
AWAITING_STATES = {AWAITING_CLIENT, DELIVERED, AWAITING_PARTNER}


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
        # not while temporary full access runs: it is ended first
        outcome=_in_state({FULL, RESTRICTED}, otherwise=(422, False)),
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
            ELEVATED: (303, False),
        }.get(w.state, (404, False)),  # no grant: nothing to withdraw
        effect=_hosting_withdrawn,
    ),
    Route(
        "withdraw the domain from the partner",
        "POST",
        "/organisation/partners/{link}/products/{domain}/withdraw",
        Action.CHANGE_LINK,
        outcome=lambda w, s: (303, False) if w.state in (FULL, ELEVATED) else (404, False),
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
        outcome=_in_state({AWAITING_CLIENT, DELIVERED}),
        effect=_status_becomes("refused"),
    ),
]


async def _ends_later(world, someone, before, after) -> None:
    link = await the_link(world)
    assert link["ends_at"] - datetime.now(UTC) > timedelta(days=150)


async def _ends_in_sixty_days(world, someone, before, after) -> None:
    link = await the_link(world)
    assert 59 <= (link["ends_at"] - datetime.now(UTC)).days <= 61


async def _access_becomes(world, expected: str) -> None:
    assert (await the_link(world))["access"] == expected


async def _request_becomes(world, kind: str, status: str) -> None:
    row = await LinkRequest.select().where(LinkRequest.id == world.requests[kind]).first()
    assert row["status"] == status


def _effect(check):
    async def effect(world, someone, before, after) -> None:
        await check(world)

    return effect


async def _extension_asked(world, someone, before, after) -> None:
    asked = await LinkRequest.select().where(LinkRequest.kind == "extension").first()
    assert asked["days"] == 90 and asked["status"] == "pending"


async def _new_transfer_code(world, someone, before, after) -> None:
    rows = await LinkTransfer.select().where(LinkTransfer.cancelled_at.is_null())
    assert len(rows) == 1 and rows[0]["id"] != world.transfer


IN_SIXTY_DAYS = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
ACTIVE_OR_FLASH = _in_state(ACTIVE_STATES, otherwise=(303, False))

LIFETIME_ROUTES = [
    Route(
        "set the end date",
        "POST",
        "/organisation/partners/{link}/ending",
        Action.CHANGE_LINK,
        data=lambda w, s: {"ends_on": IN_SIXTY_DAYS},
        outcome=ACTIVE_OR_FLASH,
        effect=_ends_in_sixty_days,
    ),
    Route(
        "extend in one step",
        "POST",
        "/organisation/partners/{link}/extend",
        Action.CHANGE_LINK,
        data=lambda w, s: {"days": "90"},
        outcome=ACTIVE_OR_FLASH,
        effect=_ends_later,
    ),
    Route(
        "approve temporary full access",
        "POST",
        "/organisation/partners/{link}/requests/{elevation}/approve",
        Action.CHANGE_LINK,
        data=lambda w, s: {"password": PASSWORD},
        outcome=_in_state({RESTRICTED}, otherwise=(303, False)),
        effect=_effect(lambda w: _access_becomes(w, "full")),
    ),
    Route(
        "refuse a request for other access",
        "POST",
        "/organisation/partners/{link}/requests/{change}/refuse",
        Action.CHANGE_LINK,
        outcome=ACTIVE_OR_FLASH,
        effect=_effect(lambda w: _request_becomes(w, "change", "refused")),
    ),
    Route(
        "end temporary full access (client's url)",
        "POST",
        "/organisation/partners/{link}/elevation/end",
        Action.END_ELEVATION,
        outcome=_in_state({ELEVATED}, otherwise=(303, False)),
        effect=_effect(lambda w: _access_becomes(w, "restricted")),
    ),
    Route(
        "make a transfer code",
        "POST",
        "/organisation/partners/{link}/transfer",
        Action.CHANGE_LINK,
        data=lambda w, s: {"partner": str(w.organisations["third"]), "keep_grant": "yes"},
        outcome=_in_state(ACTIVE_STATES, success=(200, True), otherwise=(303, False)),
        effect=_new_transfer_code,
    ),
    Route(
        "cancel the transfer code",
        "POST",
        "/organisation/partners/{link}/transfer/{transfer}/cancel",
        Action.CHANGE_LINK,
        outcome=ACTIVE_OR_FLASH,
    ),
    Route(
        "grant a delivered invitation",
        "POST",
        "/organisation/partners/{link}/grant",
        Action.DECIDE_AS_CLIENT,
        data=lambda w, s: {"access": "restricted", "families": ["web_hosting"]},
        outcome=_in_state({DELIVERED}, otherwise=(303, False)),
        effect=_status_becomes("active"),
    ),
    Route(
        "decline a delivered invitation",
        "POST",
        "/organisation/partners/{link}/decline",
        Action.DECIDE_AS_CLIENT,
        outcome=_in_state({DELIVERED}, otherwise=(303, False)),
        effect=_status_becomes("refused"),
    ),
    Route(
        "ask for temporary full access",
        "POST",
        "/clients/{link}/elevation",
        Action.REQUEST_ON_LINK,
        data=lambda w, s: {"length": "2", "unit": "hours", "reason": "Moving the mailboxes."},
        # one request at a time; full access (or none) needs no more: the form says why
        outcome=lambda w, s: (303, False) if w.state == RESTRICTED else (422, False),
    ),
    Route(
        "end temporary full access (partner's url)",
        "POST",
        "/clients/{link}/elevation/end",
        Action.END_ELEVATION,
        outcome=_in_state({ELEVATED}, otherwise=(303, False)),
        effect=_effect(lambda w: _access_becomes(w, "restricted")),
    ),
    Route(
        "ask for a later end date",
        "POST",
        "/clients/{link}/extension",
        Action.REQUEST_ON_LINK,
        data=lambda w, s: {"days": "90"},
        outcome=ACTIVE_OR_FLASH,
        effect=_extension_asked,
    ),
    Route(
        "ask for other access",
        "POST",
        "/clients/{link}/change-request",
        Action.REQUEST_ON_LINK,
        data=lambda w, s: {"access": "restricted", "families": ["domain"]},
        outcome=lambda w, s: (303, False),  # one waits already: a flash says so
    ),
    Route(
        "withdraw a request for other access",
        "POST",
        "/clients/{link}/requests/{change}/withdraw",
        Action.REQUEST_ON_LINK,
        outcome=ACTIVE_OR_FLASH,
        effect=_effect(lambda w: _request_becomes(w, "change", "withdrawn")),
    ),
]


LINK_ROUTES = [*LINK_ROUTES, *LIFETIME_ROUTES]


def expected_status(world: World, route: Route, someone: Someone) -> tuple[int, bool]:
    """(status, whether the request changes anything), from the oracle and the route."""
    actor = world.actor(someone)
    if route.path.startswith("/links/invitations/"):
        return _expected_on_invitation(world, route, someone, actor)
    link = world.link_resource()
    decision = expected_decision(actor, route.action, link)
    if decision is Decision.ALLOWED and route.product is not None:
        may_order = world.state in (FULL, ELEVATED)
        product = ClientProductResource(link, world.covers(route.product), may_order)
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
    if world.state not in (AWAITING_CLIENT, DELIVERED):
        return (409, False)  # answered, or never sent: the token opens nothing
    if route.method == "GET":  # delivered to the organisation that opens it, unless it has it
        delivered_to = None if world.state == AWAITING_CLIENT else world.organisations["client"]
        moves = actor.organisation_id not in (world.organisations["partner"], delivered_to)
        return (200, moves)
    if route.name == "grant the invitation" and someone.side == "partner":
        return (422, False)  # an organisation cannot be its own partner
    as_client = LinkResource(world.organisations["partner"], actor.organisation_id, active=False)
    decision = expected_decision(actor, route.action, as_client)
    if decision is not Decision.ALLOWED:
        return (404, False) if decision is Decision.HIDDEN else (403, False)
    return route.outcome(world, someone)


def url(world: World, route: Route) -> str:
    return route.path.format(
        link=world.link,
        token=world.token,
        transfer=world.transfer,
        **world.requests,
        **world.products,
    )


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
    """/clients lists the partner's open links (a collaborator: the active ones given to them)
    and those that ended; /organisation/partners the client's inbox, pending requests, partners
    and ended collaborations. Each shows a link to exactly the people access.py lets view it."""
    world = await build_world(client, state)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    problems = []
    for someone in PEOPLE:
        decision = expected_decision(world.actor(someone), Action.VIEW_LINK, world.link_resource())
        may_view = decision is Decision.ALLOWED
        browser = world.browsers[someone.key]
        for path, side, listed_states in [  # an ended one under "Ended", a delivered one in
            ("/clients", "partner", set(STATES)),  # the client's inbox
            ("/organisation/partners", "client", set(STATES) - {AWAITING_CLIENT}),
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


async def test_the_partner_wide_routes_of_delegation(client, closing):
    """Asking many clients at once, the request templates and taking a client over with a
    transfer code are decided on the actor's own organisation (INVITE_CLIENT: its legal
    representatives, in the programme). Whoever may not gets 403 or 404 and changes nothing;
    who may gets the route's own answer for their organisation: the partner asks its client,
    the code is Third SA's to use."""
    world = await build_world(client, RESTRICTED)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    partner, third = world.organisations["partner"], world.organisations["third"]
    routes = [  # name, method, path, data, {organisation: (status, changes)}
        (
            "ask the ticked clients for a later end date",
            "POST",
            lambda: "/clients/bulk",
            lambda: {"links": [str(world.link)], "kind": "extension", "days": "90"},
            {partner: (303, True), third: (303, False)},  # Third SA ticked none of its own
        ),
        ("see the request templates", "GET", lambda: "/clients/templates", None, {}),
        (
            "save a request template",
            "POST",
            lambda: "/clients/templates",
            lambda: {"name": world.unique("Mail "), "families": ["mail_service"]},
            {partner: (303, True), third: (303, True)},
        ),
        (
            "delete a request template",
            "POST",
            lambda: f"/clients/templates/{world.template}/delete",
            lambda: {},
            {partner: (303, True), third: (404, False)},
        ),
        (
            "open a transfer code",
            "GET",
            lambda: f"/clients/transfer?code={TRANSFER_CODE}",
            None,
            {partner: (422, False), third: (200, False)},  # the code is not the partner's
        ),
        (
            "take the client over",
            "POST",
            lambda: "/clients/transfer",
            lambda: {"code": TRANSFER_CODE},
            {partner: (303, False), third: (303, True)},
        ),
    ]
    problems = []
    seen = set()
    for someone in PEOPLE:
        actor = world.actor(someone)
        browser = world.browsers[someone.key]
        decision = expected_decision(
            actor, Action.INVITE_CLIENT, OrganisationResource(actor.organisation_id)
        )
        for name, method, path, data, outcomes in routes:
            if decision is Decision.ALLOWED:
                default = (200, False) if method == "GET" else (303, True)
                status, changes = outcomes.get(actor.organisation_id, default)
            else:
                status = 403 if decision is Decision.FORBIDDEN else 404
                changes = False
            seen.add(status)
            before = await snapshot()
            if method == "GET":
                response = await browser.get(path())
            else:
                response = await post_form(browser, path(), data())
            after = await snapshot()
            label = f"{someone.key} → {name} ({method} {path()})"
            if response.status_code != status:
                problems.append(f"{label}: {response.status_code}, expected {status}")
            elif changes is not (after != before):
                problems.append(f"{label}: answered {status}, changed: {after != before}")
            if after != before:
                await put_back(world)
    assert not problems, "\n".join(problems)
    assert {200, 303, 403, 404} <= seen
