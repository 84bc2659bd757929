"""Ids of another organisation answer 404, exactly like ids that do not exist, on every route
that takes an id; and nothing of the other organisation changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.organisations.tables import Invitation, Membership, Team, TeamMember
from tests.factories.accounts import account_id, sign_up
from tests.factories.organisations import create_team, invite, membership_id
from tests.factories.web import another_browser, post_form

MISSING = 987_654


@dataclass
class OtherOrganisation:
    membership: int
    invitation: int
    team: int
    account: int


async def other_organisation(client) -> OtherOrganisation:
    """Otto's organisation, with a member in a team and an invitation waiting."""
    async with another_browser(client) as otto:
        await sign_up(otto, "otto@example.net", name="Otto", organisation="Otto Hosting GmbH")
        team = await create_team(otto, "Otto's team")
        otto_id = await account_id("otto@example.net")
        await post_form(otto, f"/organisation/teams/{team}/members", {"account": str(otto_id)})
        await invite(otto, "ida@example.net")
        invitation = await Invitation.select(Invitation.id).where(
            Invitation.email == "ida@example.net"
        )
        return OtherOrganisation(
            membership=await membership_id(otto, "otto@example.net"),
            invitation=invitation[0]["id"],
            team=team,
            account=otto_id,
        )


# (method, path with {membership}/{invitation}/{team}/{account}, form data)
ROUTES_WITH_IDS = [
    ("POST", "/organisation/members/{membership}", {"role": "user"}),
    ("POST", "/organisation/members/{membership}/remove", {}),
    ("GET", "/organisation/members/{membership}/products", None),
    ("POST", "/organisation/members/{membership}/products", {}),
    ("POST", "/organisation/members/invitations/{invitation}/resend", {}),
    ("POST", "/organisation/members/invitations/{invitation}/withdraw", {}),
    ("GET", "/organisation/teams/{team}", None),
    ("POST", "/organisation/teams/{team}/rename", {"name": "Taken over"}),
    ("POST", "/organisation/teams/{team}/delete", {}),
    ("POST", "/organisation/teams/{team}/members", {"account": "{account}"}),
    ("POST", "/organisation/teams/{team}/members/{account}/remove", {}),
    ("POST", "/organisation/teams/{team}/leader", {"leader": "{account}"}),
    ("POST", "/organisation/teams/{team}/invite", {"email": "spy@example.ch"}),
]


async def ask(client, method: str, path: str, data: dict | None, ids: dict):
    path = path.format(**ids)
    if method == "GET":
        return await client.get(path)
    filled = {key: value.format(**ids) for key, value in (data or {}).items()}
    return await post_form(client, path, filled)


def without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"|"x-csrftoken": "[^"]*"', "", html)


async def test_another_organisations_ids_answer_like_missing_ones_on_every_route(client):
    other = await other_organisation(client)
    await sign_up(client)
    own_team = await create_team(client, "Anna's team")
    missing_ids = dict.fromkeys(("membership", "invitation", "team", "account"), MISSING)
    wrong = []
    for method, path, data in ROUTES_WITH_IDS:
        foreign = await ask(client, method, path, data, other.__dict__)
        missing = await ask(client, method, path, data, missing_ids)
        if not (
            foreign.status_code == missing.status_code == 404
            and without_tokens(foreign.text) == without_tokens(missing.text)
            and "Otto" not in foreign.text
        ):
            wrong.append(f"{method} {path}: {foreign.status_code} vs {missing.status_code}")
    assert wrong == [], "\n".join(wrong)
    await the_other_organisation_is_untouched(other)
    assert (await client.get(f"/organisation/teams/{own_team}")).status_code == 200


ORGANISATION_ROUTES = {"portal.organisations.routes", "portal.products.routes"}


def test_every_organisation_route_taking_an_id_is_checked(app):
    """A new route with an id under /organisation (portal/organisations, and the members'
    products in portal/products) must join ROUTES_WITH_IDS."""
    with_ids = set()
    for route in app.routes:
        for handler in route.route_handlers:
            if handler.fn.__module__ in ORGANISATION_ROUTES and route.path_parameters:
                for method in set(handler.http_methods) - {"OPTIONS", "HEAD"}:
                    with_ids.add((method, re.sub(r"\{(\w+)_id:\w+\}", r"{\1}", route.path)))
    with_ids = {(m, p) for m, p in with_ids if not p.startswith("/invitations/")}  # tokens
    assert with_ids == {(method, path) for method, path, _data in ROUTES_WITH_IDS}


async def the_other_organisation_is_untouched(other: OtherOrganisation) -> None:
    membership = await Membership.select().where(Membership.id == other.membership).first()
    assert membership["role"] == "legal_representative"
    team = await Team.select().where(Team.id == other.team).first()
    assert team["name"] == "Otto's team" and team["leader"] is None
    assert await TeamMember.count().where(TeamMember.team == other.team) == 1
    invitation = await Invitation.select().where(Invitation.id == other.invitation).first()
    assert invitation["revoked_at"] is None
    assert await Invitation.count() == 1  # no invitation made to the other team


async def test_a_member_of_another_organisation_cannot_be_put_in_a_team(client):
    other = await other_organisation(client)
    await sign_up(client)
    team = await create_team(client, "Anna's team")
    response = await post_form(
        client, f"/organisation/teams/{team}/members", {"account": str(other.account)}
    )
    assert response.status_code == 422
    assert "Choose a member of the organisation" in response.text
    assert "otto@example.net" not in response.text


async def test_someone_outside_the_team_cannot_be_removed_from_it(client):
    other = await other_organisation(client)
    await sign_up(client)
    team = await create_team(client, "Anna's team")
    response = await post_form(client, f"/organisation/teams/{team}/members/{other.account}/remove")
    assert response.status_code == 404
