"""Delegation decisions stay with legal representatives; administrators see them
(docs/rules.md, Who may do what).

On each side of a link, for each decision — create (invite a client, add a partner), accept or
refuse, change, stop, choose the collaborators — the legal representative finds the form and
may use it; the administrator sees the link, its grant and its history, finds no such form, and
is refused (403) if they post it anyway, with nothing changed.
"""

from __future__ import annotations

import re
from contextlib import AsyncExitStack

import pytest

from portal.clients.tables import ClientAssignment, PartnerLink
from tests.factories.accounts import PASSWORD
from tests.factories.clients import AWAITING_CLIENT, AWAITING_PARTNER, FULL, build_world, snapshot
from tests.factories.web import post_form


@pytest.fixture
async def closing():
    async with AsyncExitStack() as stack:
        yield stack


async def open_world(client, closing, state):
    world = await build_world(client, state)
    for browser in world.browsers.values():
        closing.push_async_callback(browser.aclose)
    return world


# Each decision: the state it is taken in, the side, the page that shows it, the form's action
# and what the form posts.
DECISIONS = [
    (AWAITING_PARTNER, "partner", "/clients/{link}", "/clients/{link}/accept", {}),
    (AWAITING_PARTNER, "partner", "/clients/{link}", "/clients/{link}/refuse", {}),
    (FULL, "partner", "/clients/{link}", "/clients/{link}/stop", {"password": PASSWORD}),
    (FULL, "partner", "/clients/{link}", "/clients/{link}/collaborators", {"clear_all": "1"}),
    (
        FULL,
        "client",
        "/organisation/partners/{link}",
        "/organisation/partners/{link}/change",
        {"access": "restricted", "families": ["domain"]},
    ),
    (
        FULL,
        "client",
        "/organisation/partners/{link}",
        "/organisation/partners/{link}/stop",
        {"password": PASSWORD},
    ),
]


@pytest.mark.parametrize(("state", "side", "page", "action", "data"), DECISIONS)
async def test_the_administrator_sees_the_decision_but_the_legal_representative_takes_it(
    client, closing, state, side, page, action, data
):
    world = await open_world(client, closing, state)
    page, action = (p.format(link=world.link) for p in (page, action))
    administrator = world.browsers[f"{side} administrator"]
    legal = world.browsers[f"{side} legal rep"]

    seen = await administrator.get(page)
    assert seen.status_code == 200
    assert "Client GmbH" in seen.text or "Partner AG" in seen.text
    assert f'action="{action}"' not in seen.text  # no form to take the decision
    before = await snapshot()
    refused = await post_form(administrator, action, data)
    assert refused.status_code == 403
    assert await snapshot() == before

    shown = await legal.get(page)
    assert f'action="{action}"' in shown.text
    taken = await post_form(legal, action, data)
    assert taken.status_code == 303, taken.text
    assert await snapshot() != before


async def test_only_legal_representatives_start_a_collaboration_from_either_side(client, closing):
    world = await open_world(client, closing, AWAITING_CLIENT)  # the client has no partner yet
    starts = [
        ("partner", "/clients", "/clients/invite", {"email": "new@client.example"}),
        (
            "client",
            "/organisation/partners",
            "/organisation/partners/add",
            {"partner": str(world.organisations["other partner"])},
        ),
    ]
    for side, page, action, data in starts:
        data = {**data, "access": "restricted", "families": ["web_hosting"]}
        administrator = world.browsers[f"{side} administrator"]
        assert f'action="{action}"' not in (await administrator.get(page)).text
        before = await PartnerLink.count()
        assert (await post_form(administrator, action, data)).status_code == 403
        assert await PartnerLink.count() == before
        legal = world.browsers[f"{side} legal rep"]
        assert f'action="{action}"' in (await legal.get(page)).text
        taken = await post_form(legal, action, data)
        assert taken.status_code == 303, (
            side,
            re.findall(r'class="error"[^>]*>([^<]*)', taken.text),
        )
        assert await PartnerLink.count() == before + 1


async def test_administrators_see_the_links_and_who_acts_for_the_client(client, closing):
    world = await open_world(client, closing, FULL)
    partner_admin = world.browsers["partner administrator"]
    listing = (await partner_admin.get("/clients")).text
    assert f'href="/clients/{world.link}"' in listing
    assert "Support" in listing  # the team given the client, as the legal representative chose
    assigned = await ClientAssignment.count().where(ClientAssignment.link == world.link)
    assert assigned == 2  # the collaborator in person, and the team
    client_admin = world.browsers["client administrator"]
    partners = (await client_admin.get("/organisation/partners")).text
    assert f'href="/organisation/partners/{world.link}"' in partners
    assert "Full" in (await client_admin.get(f"/organisation/partners/{world.link}")).text
