"""Text is never cut to fit: up to its column's length it is stored whole, one character more
is a field error and nothing is written. The limits are read from the schema, so a column
that shrinks makes these tests fail instead of truncating."""

from __future__ import annotations

import pytest

from portal.accounts.tables import Account
from portal.billing import queries as billing_queries
from portal.billing.rules import TIER_NAME_MAX
from portal.mail.tables import OutboxMail
from portal.organisations.tables import Organisation, Team
from portal.tenders.tables import Tender
from tests.factories.accounts import sign_up
from tests.factories.organisations import invite
from tests.factories.tenders import tender_form
from tests.factories.web import post_form

TOO_LONG = "Use at most"


def text_of(length: int) -> str:
    """LENGTH characters of a name, accents included, without spaces to trim."""
    return ("Zoë-Müller-" * (length // 11 + 1))[:length]


@pytest.mark.parametrize(
    ("field", "column"),
    [("full_name", Account.full_name), ("organisation_name", Organisation.name)],
)
async def test_sign_up_names_fit_their_columns(client, field, column):
    limit = column.length
    refused = await sign_up_with(client, field, text_of(limit + 1))
    assert refused.status_code == 422 and TOO_LONG in refused.text
    assert await Account.count() == 0
    accepted = await sign_up_with(client, field, text_of(limit))
    assert accepted.status_code == 303
    assert text_of(limit) in {
        (await Account.select(Account.full_name).first())["full_name"],
        (await Organisation.select(Organisation.name).first())["name"],
    }


async def sign_up_with(client, field: str, value: str):
    data = {
        "full_name": "Anna Muster",
        "email": "anna@example.ch",
        "password": "Correct-Horse-Battery-9",
        "organisation_name": "Muster Web AG",
        "kind": "company",
        "country": "DE",  # a register number of any form, checked for its length
        "currency": "EUR",
        "terms": "on",
    }
    return await post_form(client, "/signup", {**data, field: value})


@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("name", Organisation.name),
        ("registration_number", Organisation.registration_number),
        ("website", Organisation.website),
    ],
)
async def test_organisation_details_fit_their_columns(client, field, column):
    await sign_up(client, country="DE", currency="EUR")
    limit = column.length
    value = text_of(limit) if field != "website" else "https://example.de/" + "a" * (limit - 19)
    longer = value + "x"
    before = await Organisation.select().first()
    refused = await post_form(client, "/organisation/settings", {"name": "Muster", field: longer})
    assert refused.status_code == 422 and TOO_LONG in refused.text
    assert await Organisation.select().first() == before
    accepted = await post_form(client, "/organisation/settings", {"name": "Muster", field: value})
    assert accepted.status_code == 303, accepted.text
    assert (await Organisation.select(column).first())[field] == value


async def test_a_website_typed_without_its_scheme_counts_the_scheme(client):
    await sign_up(client)
    typed = "example.ch/" + "a" * (Organisation.website.length - len("https://example.ch/") + 1)
    response = await post_form(client, "/organisation/settings", {"name": "M", "website": typed})
    assert response.status_code == 422
    assert "at most 300 characters, https:// included" in response.text


async def test_a_team_name_fits_its_column(client):
    await sign_up(client)
    limit = Team.name.length
    refused = await post_form(client, "/organisation/teams", {"name": text_of(limit + 1)})
    assert refused.status_code == 422 and TOO_LONG in refused.text
    assert await Team.count() == 0
    assert (await post_form(client, "/organisation/teams", {"name": text_of(limit)})).status_code
    assert (await Team.select(Team.name).first())["name"] == text_of(limit)


@pytest.mark.parametrize(
    ("field", "column"),
    [
        ("title", Tender.title),
        ("author_name", Tender.author_name),
        ("author_company", Tender.author_company),
    ],
)
async def test_a_tender_fits_its_columns(client, field, column):
    limit = column.length
    refused = await post_form(client, "/tenders/new", tender_form(**{field: text_of(limit + 1)}))
    assert refused.status_code == 422 and TOO_LONG in refused.text
    assert await Tender.count() == 0
    accepted = await post_form(client, "/tenders/new", tender_form(**{field: text_of(limit)}))
    assert accepted.status_code == 303
    assert (await Tender.select(column).first())[field] == text_of(limit)


async def test_a_tier_name_is_refused_when_too_long_not_cut(client):
    await sign_up(client, "sam@host.ch", name="Sam Staff", organisation="Host SA")
    await Account.update({Account.is_staff: True}).where(Account.email == "sam@host.ch")
    rows = {
        "CHF_rate": ["15"],
        "CHF_threshold": ["2000"],
        "EUR_name": ["Bronze"],
        "EUR_rate": ["15"],
        "EUR_threshold": ["1800"],
    }
    before = await billing_queries.tiers("CHF")
    long_name = "Platinum Plus Premium Partner Tier Level"  # 40 characters
    refused = await post_form(
        client, "/staff/programme/tiers", {**rows, "CHF_name": [long_name + "s"]}
    )
    assert refused.status_code == 422 and f"at most {TIER_NAME_MAX} characters" in refused.text
    assert await billing_queries.tiers("CHF") == before
    saved = await post_form(client, "/staff/programme/tiers", {**rows, "CHF_name": [long_name]})
    assert saved.status_code == 303
    assert [tier.name for tier in await billing_queries.tiers("CHF")] == [long_name]


async def test_the_longest_names_still_make_an_invitation_mail(client):
    """A 200-character person inviting into a 200-character organisation: the subject is
    shortened to fit its column, the body names both in full."""
    name, organisation = text_of(Account.full_name.length), text_of(Organisation.name.length)
    await sign_up(client, name=name, organisation=organisation)
    response = await invite(client, "bob@example.ch")
    assert response.status_code == 303
    mail = await OutboxMail.select().where(OutboxMail.recipient == "bob@example.ch").first()
    assert len(mail["subject"]) == OutboxMail.subject.length and mail["subject"].endswith("…")
    assert name in mail["body"] and organisation in mail["body"]
