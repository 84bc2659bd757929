"""Every name field of the portal refuses invisible and direction-changing characters with a
field error, and writes nothing; ordinary names in any script, with emoji, are stored as
typed."""

from __future__ import annotations

import pytest

from portal.accounts.tables import Account
from portal.forms import INVISIBLE_CHARACTERS
from portal.organisations.tables import Organisation, Team
from portal.tenders.tables import Tender
from tests.factories.accounts import sign_up
from tests.factories.organisations import create_team
from tests.factories.tenders import tender_form
from tests.factories.web import post_form

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "Anna\u202egnp.exe" shows as "Annaexe.png"
SIGN_UP = {
    "full_name": "Anna Muster",
    "email": "anna@example.ch",
    "password": "Correct-Horse-Battery-9",
    "organisation_name": "Muster Web AG",
    "kind": "company",
    "country": "CH",
    "currency": "CHF",
    "terms": "on",
}


@pytest.mark.parametrize("field", ["full_name", "organisation_name"])
@pytest.mark.parametrize("character", [RLO, "\u200b", "\u2066", "\ufeff"])
async def test_sign_up_refuses_invisible_characters_in_names(client, field, character):
    response = await post_form(client, "/signup", {**SIGN_UP, field: "Anna" + character + "x"})
    assert response.status_code == 422
    assert INVISIBLE_CHARACTERS in response.text
    assert await Account.count() == 0


async def test_organisation_and_team_names_refuse_them_too(client):
    await sign_up(client)
    before = await Organisation.select(Organisation.name).first()
    renamed = await post_form(client, "/organisation/settings", {"name": "Evil\u202eGA"})
    assert renamed.status_code == 422 and INVISIBLE_CHARACTERS in renamed.text
    assert await Organisation.select(Organisation.name).first() == before
    team = await post_form(client, "/organisation/teams", {"name": "Web\u200bTeam"})
    assert team.status_code == 422 and INVISIBLE_CHARACTERS in team.text
    assert await Team.count() == 0
    team_id = await create_team(client, "Web")
    rename = await post_form(client, f"/organisation/teams/{team_id}/rename", {"name": "W\u2060eb"})
    assert rename.status_code == 422
    assert (await Team.select(Team.name).first())["name"] == "Web"


async def test_a_visitors_tender_refuses_them_in_its_names(client):
    for field in ("title", "author_name", "author_company"):
        tender = await post_form(client, "/tenders/new", tender_form(**{field: "Ba\u202ekery"}))
        assert tender.status_code == 422 and INVISIBLE_CHARACTERS in tender.text, field
    assert await Tender.count() == 0


async def test_a_staff_tier_name_refuses_them(client):
    await sign_up(client, "sam@host.ch", name="Sam Staff", organisation="Host SA")
    await Account.update({Account.is_staff: True}).where(Account.email == "sam@host.ch")
    rows = {
        "CHF_name": ["Gold\u202e"],
        "CHF_rate": ["15"],
        "CHF_threshold": ["2000"],
        "EUR_name": ["Gold"],
        "EUR_rate": ["15"],
        "EUR_threshold": ["1800"],
    }
    response = await post_form(client, "/staff/programme/tiers", rows)
    assert response.status_code == 422 and INVISIBLE_CHARACTERS in response.text


async def test_names_in_any_script_with_emoji_are_stored_as_typed(client):
    await sign_up(client, name="Zoë Ångström 東京", organisation="Ñandú 👩‍💻 Diseño")
    assert (await Account.select(Account.full_name).first())["full_name"] == "Zoë Ångström 東京"
    organisation = await Organisation.select(Organisation.name).first()
    assert organisation["name"] == "Ñandú 👩‍💻 Diseño"
    await create_team(client, "🏳️‍🌈 Équipe")
    assert (await Team.select(Team.name).first())["name"] == "🏳️‍🌈 Équipe"
