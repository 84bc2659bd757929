"""Work teams: create, rename, delete, members (htmx fragments), leader, external guests."""

from __future__ import annotations

from tests.factories.accounts import account_id, sign_up
from tests.factories.organisations import (
    colleague,
    create_team,
    invite,
    join_by_signing_up,
    outbox_link,
)
from tests.factories.web import another_browser, post_form

HTMX = {"HX-Request": "true"}


async def anna_with_a_team(client, name: str = "Support") -> tuple[int, int]:
    await sign_up(client)
    return await create_team(client, name), await account_id("anna@example.ch")


async def add_member(client, team: int, account: int, **kwargs):
    return await post_form(
        client, f"/organisation/teams/{team}/members", {"account": str(account)}, **kwargs
    )


async def test_a_team_is_created_and_listed(client):
    team, _ = await anna_with_a_team(client)
    listing = await client.get("/organisation/teams")
    assert f'href="/organisation/teams/{team}">Support</a>' in listing.text
    assert "<h1>Support</h1>" in (await client.get(f"/organisation/teams/{team}")).text


async def test_a_duplicate_team_name_is_a_form_error(client):
    await anna_with_a_team(client)
    response = await post_form(client, "/organisation/teams", {"name": "  support "})
    assert response.status_code == 422
    assert "A team of this name exists already." in response.text
    assert 'value="  support "' in response.text or 'value="support"' in response.text


async def test_an_empty_or_too_long_team_name_is_a_form_error(client):
    await sign_up(client)
    empty = await post_form(client, "/organisation/teams", {"name": "   "})
    assert empty.status_code == 422 and "Give the team a name." in empty.text
    long = await post_form(client, "/organisation/teams", {"name": "x" * 101})
    assert long.status_code == 422 and "at most 100 characters" in long.text


async def test_a_team_is_renamed_but_not_to_a_taken_name(client):
    team, _ = await anna_with_a_team(client)
    await create_team(client, "Sales")
    taken = await post_form(client, f"/organisation/teams/{team}/rename", {"name": "SALES"})
    assert taken.status_code == 422 and "exists already" in taken.text
    renamed = await post_form(client, f"/organisation/teams/{team}/rename", {"name": "Helpdesk"})
    assert renamed.status_code == 303
    assert "<h1>Helpdesk</h1>" in (await client.get(f"/organisation/teams/{team}")).text


async def test_a_deleted_team_is_gone(client):
    team, _ = await anna_with_a_team(client)
    response = await post_form(client, f"/organisation/teams/{team}/delete")
    assert response.status_code == 303
    assert (await client.get(f"/organisation/teams/{team}")).status_code == 404
    assert "No team yet." in (await client.get("/organisation/teams")).text


async def test_adding_and_removing_a_member_with_htmx_answers_only_the_fragment(client):
    team, anna = await anna_with_a_team(client)
    added = await add_member(client, team, anna, headers=HTMX)
    assert added.status_code == 200
    assert "<html" not in added.text
    assert added.text.lstrip().startswith('<section class="card" id="team-members">')
    assert "anna@example.ch" in added.text
    removed = await post_form(
        client, f"/organisation/teams/{team}/members/{anna}/remove", headers=HTMX
    )
    assert removed.status_code == 200 and "<html" not in removed.text
    assert "Nobody in this team yet." in removed.text


async def test_without_htmx_adding_a_member_redirects_to_the_team_page(client):
    team, anna = await anna_with_a_team(client)
    added = await add_member(client, team, anna)
    assert added.status_code == 303
    assert added.headers["location"] == f"/organisation/teams/{team}"
    page = await client.get(f"/organisation/teams/{team}")
    assert "<html" in page.text and "anna@example.ch" in page.text


async def test_the_team_page_itself_answers_a_fragment_to_htmx(client):
    team, _ = await anna_with_a_team(client)
    fragment = await client.get(f"/organisation/teams/{team}", headers=HTMX)
    assert "<html" not in fragment.text and 'id="team-members"' in fragment.text
    boosted = await client.get(f"/organisation/teams/{team}", headers=HTMX | {"HX-Boosted": "true"})
    assert "<html" in boosted.text


async def test_the_leader_must_be_a_member_of_the_team(client):
    team, anna = await anna_with_a_team(client)
    refused = await post_form(client, f"/organisation/teams/{team}/leader", {"leader": str(anna)})
    assert refused.status_code == 422
    assert "The leader must be a member of the team." in refused.text
    await add_member(client, team, anna)
    chosen = await post_form(client, f"/organisation/teams/{team}/leader", {"leader": str(anna)})
    assert chosen.status_code == 303
    listing = (await client.get("/organisation/teams")).text
    assert "<td>Anna Muster</td>" in listing
    cleared = await post_form(client, f"/organisation/teams/{team}/leader", {"leader": ""})
    assert cleared.status_code == 303
    assert "<td>Anna Muster</td>" not in (await client.get("/organisation/teams")).text


async def test_a_team_member_of_the_organisation_is_added_not_an_outsider(client):
    team, _ = await anna_with_a_team(client)
    response = await add_member(client, team, 424242, headers=HTMX)
    assert response.status_code == 422
    assert "Choose a member of the organisation" in response.text
    assert "<html" not in response.text


async def invite_external(client, team: int, email: str = "ext@example.net") -> str:
    response = await post_form(client, f"/organisation/teams/{team}/invite", {"email": email})
    assert response.status_code == 303, response.text
    return await outbox_link(email, "/invitations/")


async def test_an_external_user_joins_the_team_not_the_organisation(client):
    team, _ = await anna_with_a_team(client)
    secret = await create_team(client, "Management")
    path = await invite_external(client, team)
    async with another_browser(client) as ext:
        invitation = await ext.get(path)
        assert "the work team “Support”" in invitation.text
        assert (await join_by_signing_up(ext, path, "Eva Extern")).status_code == 303
        home = await ext.get("/")
        assert "a guest through a work team" in home.text
        assert "Manage members" not in home.text  # nothing of the organisation's people
        assert '<p class="figure">1</p>' in home.text  # their one team, not the two
        assert 'value="1" class="link" aria-current="true">Muster Web AG</button>' in home.text
        teams = await ext.get("/organisation/teams")
        assert teams.status_code == 200
        assert "Support" in teams.text and "Management" not in teams.text
        assert (await ext.get(f"/organisation/teams/{team}")).status_code == 200
        assert (await ext.get(f"/organisation/teams/{secret}")).status_code == 404
        assert (await ext.get("/organisation/members")).status_code == 404
        assert (await ext.get("/organisation/audit")).status_code == 404
    team_page = (await client.get(f"/organisation/teams/{team}")).text
    assert "Eva Extern" in team_page and "External" in team_page
    assert "ext@example.net" not in (await client.get("/organisation/members")).text


async def test_an_external_user_cannot_manage_the_team_unless_leading_it(client):
    team, _ = await anna_with_a_team(client)
    path = await invite_external(client, team)
    async with another_browser(client) as ext:
        await join_by_signing_up(ext, path, "Eva Extern")
        eva = await account_id("ext@example.net")
        anna = await account_id("anna@example.ch")
        assert (await add_member(ext, team, anna)).status_code == 403
        rename = await post_form(ext, f"/organisation/teams/{team}/rename", {"name": "Mine"})
        assert rename.status_code == 403
        await post_form(client, f"/organisation/teams/{team}/leader", {"leader": str(eva)})
        assert (await add_member(ext, team, anna)).status_code == 303
        assert (await post_form(ext, f"/organisation/teams/{team}/delete")).status_code == 403


async def test_a_plain_team_leader_manages_the_members_of_their_team_only(client):
    team, _ = await anna_with_a_team(client)
    other = await create_team(client, "Sales")
    await invite(client, "carl@example.ch")
    path = await outbox_link("carl@example.ch", "/invitations/")
    async with another_browser(client) as carl_browser:
        await join_by_signing_up(carl_browser, path, "Carl")
        carl = await account_id("carl@example.ch")
        anna = await account_id("anna@example.ch")
        assert (await add_member(carl_browser, team, carl)).status_code == 403
        await add_member(client, team, carl)
        await post_form(client, f"/organisation/teams/{team}/leader", {"leader": str(carl)})
        assert (await add_member(carl_browser, team, anna)).status_code == 303
        assert (await add_member(carl_browser, other, anna)).status_code == 403
        creating = await post_form(carl_browser, "/organisation/teams", {"name": "Carl's"})
        assert creating.status_code == 403


# --- outsiders and teams that act for clients (docs/rules.md, Who may do what) ----------


async def give_the_team_a_client(team: int) -> None:
    """Muster Web AG (a partner) manages Client GmbH, and the team acts for it."""
    from portal.clients.tables import ClientAssignment
    from portal.organisations.tables import Organisation
    from tests.factories.exports import insert_link
    from tests.factories.organisations import insert_organisation

    partner = (
        await Organisation.select(Organisation.id)
        .where(Organisation.name == "Muster Web AG")
        .first()
    )
    await Organisation.update({Organisation.partner_status: "active"}).where(
        Organisation.id == partner["id"]
    )
    link = await insert_link(partner["id"], await insert_organisation("Client GmbH"), "full")
    await ClientAssignment.insert(ClientAssignment(link=link, team=team))


async def invitations_to(email: str) -> int:
    from portal.organisations.tables import Invitation

    return await Invitation.count().where(Invitation.email == email)


async def test_only_a_legal_representative_brings_an_outsider_into_a_team_acting_for_clients(
    client,
):
    team, anna = await anna_with_a_team(client)
    await give_the_team_a_client(team)
    async with (
        colleague(client, "carl@example.ch") as carl_browser,
        colleague(client, "bert@example.ch", "administrator") as bert_browser,
    ):
        carl = await account_id("carl@example.ch")
        await add_member(client, team, carl)
        await post_form(client, f"/organisation/teams/{team}/leader", {"leader": str(carl)})

        # the leader manages the team among the organisation's members …
        assert (await add_member(carl_browser, team, anna)).status_code == 303
        # … and brings nobody from outside into it; nor does an administrator
        for browser in (carl_browser, bert_browser):
            refused = await post_form(
                browser, f"/organisation/teams/{team}/invite", {"email": "eve@example.com"}
            )
            assert refused.status_code == 403
        assert await invitations_to("eve@example.com") == 0
        page = (await carl_browser.get(f"/organisation/teams/{team}")).text
        assert f'action="/organisation/teams/{team}/invite"' not in page
        assert 'data-testid="outsiders-by-legal-representatives"' in page

    path = await invite_external(client, team, "eve@example.com")  # the legal representative
    async with another_browser(client) as eve:
        assert (await join_by_signing_up(eve, path, "Eve Outsider")).status_code == 303


async def test_an_outsider_invited_before_the_team_acted_for_clients_cannot_join_it(client):
    team, _ = await anna_with_a_team(client)
    async with colleague(client, "carl@example.ch") as carl_browser:
        carl = await account_id("carl@example.ch")
        await add_member(client, team, carl)
        await post_form(client, f"/organisation/teams/{team}/leader", {"leader": str(carl)})
        path = await invite_external(carl_browser, team, "eve@example.com")  # no client yet
    await give_the_team_a_client(team)
    async with another_browser(client) as eve:
        opened = await eve.get(path)
        assert opened.status_code == 409
        assert "only a legal representative" in opened.text
        joining = await join_by_signing_up_anyway(eve, path)
        assert joining.status_code == 409
    page = (await client.get(f"/organisation/teams/{team}")).text
    assert "eve@example.com" not in page


async def join_by_signing_up_anyway(browser, path: str):
    return await post_form(
        browser, path + "/signup", {"full_name": "Eve Outsider", "password": "Correct-9-Horse"}
    )
