"""Members and their roles: who may change what, and the last legal representative."""

from __future__ import annotations

from tests.factories.accounts import sign_up
from tests.factories.organisations import colleague, invite, membership_id
from tests.factories.web import post_form


async def change(client, membership: int, role: str, *, billing_rights: bool = False):
    data = {"role": role, **({"billing_rights": "on"} if billing_rights else {})}
    return await post_form(client, f"/organisation/members/{membership}", data)


def role_cell(page: str, membership: int) -> str:
    return page.split(f'id="member-{membership}"', 1)[1].split("</tr>", 1)[0]


async def test_a_legal_representative_changes_a_role_and_billing_rights(client):
    await sign_up(client)
    async with colleague(client, "carl@example.ch", "user"):
        carl = await membership_id(client, "carl@example.ch")
        response = await change(client, carl, "administrator", billing_rights=True)
        assert response.status_code == 303
        row = role_cell((await client.get("/organisation/members")).text, carl)
        assert '<option value="administrator" selected>' in row
        assert 'name="billing_rights" checked' in row


async def test_the_new_rights_apply_on_the_next_request(client):
    await sign_up(client)
    async with colleague(client, "carl@example.ch", "administrator") as carl_browser:
        assert (await carl_browser.get("/organisation/audit")).status_code == 200
        await change(client, await membership_id(client, "carl@example.ch"), "user")
        assert (await carl_browser.get("/organisation/audit")).status_code == 403


async def test_the_last_legal_representative_cannot_be_demoted(client):
    await sign_up(client)
    anna = await membership_id(client, "anna@example.ch")
    response = await change(client, anna, "administrator")
    assert response.status_code == 422
    assert "last legal representative" in role_cell(response.text, anna)
    assert "Legal representative" in (await client.get("/")).text


async def test_the_last_legal_representative_cannot_be_removed(client):
    await sign_up(client)
    anna = await membership_id(client, "anna@example.ch")
    response = await post_form(client, f"/organisation/members/{anna}/remove")
    assert response.status_code == 422
    assert "last legal representative" in response.text
    assert "anna@example.ch" in (await client.get("/organisation/members")).text


async def test_with_a_second_legal_representative_the_first_may_step_down(client):
    await sign_up(client)
    async with colleague(client, "lena@example.ch", "legal_representative"):
        anna = await membership_id(client, "anna@example.ch")
        assert (await change(client, anna, "administrator")).status_code == 303


async def test_an_administrator_cannot_make_someone_legal_representative(client):
    await sign_up(client)
    async with (
        colleague(client, "adam@example.ch", "administrator") as adam,
        colleague(client, "carl@example.ch", "user"),
    ):
        carl = await membership_id(client, "carl@example.ch")
        refused = await change(adam, carl, "legal_representative")
        assert refused.status_code == 403
        assert (await invite(adam, "lena@example.ch", "legal_representative")).status_code == 403
        anna = await membership_id(client, "anna@example.ch")
        assert (await change(adam, anna, "user")).status_code == 403
        assert (await post_form(adam, f"/organisation/members/{anna}/remove")).status_code == 403
        assert (await change(client, carl, "legal_representative")).status_code == 303


async def test_an_administrator_manages_plain_members(client):
    await sign_up(client)
    async with (
        colleague(client, "adam@example.ch", "administrator") as adam,
        colleague(client, "carl@example.ch", "user"),
    ):
        carl = await membership_id(client, "carl@example.ch")
        assert (await change(adam, carl, "user", billing_rights=True)).status_code == 303
        assert (await post_form(adam, f"/organisation/members/{carl}/remove")).status_code == 303
        assert "carl@example.ch" not in (await client.get("/organisation/members")).text


async def test_a_plain_user_sees_members_but_cannot_manage_them(client):
    await sign_up(client)
    async with colleague(client, "carl@example.ch", "user") as carl_browser:
        page = await carl_browser.get("/organisation/members")
        assert page.status_code == 200 and "anna@example.ch" in page.text
        assert "Invite someone" not in page.text
        assert "<select" not in page.text.split("</header>")[1]
        anna = await membership_id(client, "anna@example.ch")
        carl = await membership_id(client, "carl@example.ch")
        assert (await change(carl_browser, carl, "administrator")).status_code == 403
        assert (await change(carl_browser, anna, "user")).status_code == 403
        removal = await post_form(carl_browser, f"/organisation/members/{anna}/remove")
        assert removal.status_code == 403
        assert (await invite(carl_browser, "x@example.ch")).status_code == 403


async def test_a_removed_member_loses_access_at_once(client):
    await sign_up(client)
    async with colleague(client, "carl@example.ch", "user") as carl_browser:
        carl = await membership_id(client, "carl@example.ch")
        assert (await post_form(client, f"/organisation/members/{carl}/remove")).status_code == 303
        assert (await carl_browser.get("/organisation/members")).status_code == 404
        assert "not in an organisation" in (await carl_browser.get("/")).text


async def test_a_plain_user_reads_the_organisation_details_but_cannot_edit_them(client):
    await sign_up(client)
    async with colleague(client, "carl@example.ch", "user") as carl_browser:
        page = await carl_browser.get("/organisation/settings")
        assert page.status_code == 200 and "Only legal representatives" in page.text
        edit = await post_form(carl_browser, "/organisation/settings", {"name": "Carl AG"})
        assert edit.status_code == 403


async def test_the_members_page_answers_its_table_alone_to_htmx(client):
    await sign_up(client)
    response = await client.get("/organisation/members?page=1", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section class="card" id="members">')
    assert "anna@example.ch" in response.text
