"""Bad input never gives a 500: the invite form and the team forms, fuzzed, then a few
inputs that once crashed, kept as plain examples."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories.accounts import sign_up
from tests.factories.organisations import create_team
from tests.factories.web import post_form

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
any_text = st.text(max_size=120) | st.text(min_size=1, max_size=5).map(lambda t: t * 400)
numbers = st.integers().map(str)  # ids: negative, zero, beyond a PostgreSQL integer
roles = st.sampled_from(["user", "administrator", "legal_representative", ""]) | any_text


class SignedUpOnce:
    """Hypothesis runs many examples inside one test (one database): sign up only once."""

    def __init__(self) -> None:
        self.team_id: int | None = None

    async def team(self, client) -> int:
        if self.team_id is None:
            await sign_up(client)
            self.team_id = await create_team(client, "Support")
        return self.team_id


@pytest.fixture
def anna():
    return SignedUpOnce()


@FUZZ
@given(email=any_text, role=roles, billing=any_text, message=any_text)
async def test_the_invite_form_never_crashes(client, anna, email, role, billing, message):
    await anna.team(client)
    data = {"email": email, "role": role, "billing_rights": billing, "message": message}
    response = await post_form(client, "/organisation/members/invite", data)
    assert response.status_code in {303, 403, 413, 422}, response.status_code


@FUZZ
@given(name=any_text, route=st.sampled_from(["", "/{team}/rename"]))
async def test_the_team_forms_never_crash(client, anna, name, route):
    team = await anna.team(client)
    response = await post_form(
        client, "/organisation/teams" + route.format(team=team), {"name": name}
    )
    assert response.status_code in {303, 413, 422}, response.status_code


@FUZZ
@given(account=numbers | any_text, leader=numbers | any_text, email=any_text)
async def test_the_team_member_forms_never_crash(client, anna, account, leader, email):
    team = await anna.team(client)
    for path, data in [
        ("members", {"account": account}),
        ("leader", {"leader": leader}),
        ("invite", {"email": email}),
    ]:
        response = await post_form(client, f"/organisation/teams/{team}/{path}", data)
        assert response.status_code in {303, 404, 413, 422}, (path, response.status_code)


AWKWARD_NAMES = ["\x00", "Support\\", "a" * 101, "😀 Équipe", "<script>alert(1)</script>"]


async def test_awkward_team_names_are_answered_properly(client):
    await sign_up(client)
    for name in AWKWARD_NAMES:
        response = await post_form(client, "/organisation/teams", {"name": name})
        assert response.status_code in {303, 422}, name
        assert "<script>alert" not in response.text
    created = (await client.get("/organisation/teams")).text
    assert "😀 Équipe" in created and "Support\\" in created
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in created


async def test_an_invitation_message_with_a_nul_character_is_a_form_error(client):
    await sign_up(client)
    response = await post_form(
        client,
        "/organisation/members/invite",
        {"email": "carl@example.ch", "role": "user", "message": "Hi\x00"},
    )
    assert response.status_code == 422
    assert "control characters" in response.text


async def test_settings_with_a_nul_character_are_a_form_error(client):
    await sign_up(client)
    response = await post_form(
        client, "/organisation/settings", {"name": "Muster\x00", "website": "a.ch\x00"}
    )
    assert response.status_code == 422


TOO_BIG = "99999999999"  # larger than any PostgreSQL integer id


async def test_ids_too_big_for_the_database_answer_like_missing_ones(client):
    await sign_up(client)
    team = await create_team(client, "Support")
    for path in [
        f"/organisation/teams/{TOO_BIG}",
        f"/organisation/members/{TOO_BIG}",
        f"/organisation/members/{TOO_BIG}/remove",
        f"/organisation/members/invitations/{TOO_BIG}/resend",
        f"/organisation/members/invitations/{TOO_BIG}/withdraw",
        f"/organisation/teams/{team}/members/{TOO_BIG}/remove",
    ]:
        response = await (
            client.get(path)
            if "teams" in path and path.count("/") == 3
            else post_form(client, path, {"role": "user"})
        )
        assert response.status_code == 404, path
    for field, path in [("account", "members"), ("leader", "leader")]:
        response = await post_form(client, f"/organisation/teams/{team}/{path}", {field: TOO_BIG})
        assert response.status_code == 422, path
