"""The staff area through HTTP: only the host's staff find it (everyone else gets 404, as if it
did not exist); staff see applications to review and flagged partners with their checklist,
and approve or reject them."""

from __future__ import annotations

import pytest

from portal.accounts.tables import Account
from portal.jobs.rules import MAIL_PRIORITY
from portal.organisations.tables import Membership, Organisation
from portal.partners.tables import StaffDecision
from tests.factories.accounts import log_in, sign_up
from tests.factories.mail import delivered_by_the_worker
from tests.factories.partners import linked_client, organisation, person, status_of
from tests.factories.web import post_form

STAFF_PATHS = ["/staff", "/staff/organisations/{id}"]


async def make_staff(email: str) -> None:
    await Account.update({Account.is_staff: True}).where(Account.email == email)


@pytest.fixture
async def waiting(db):
    """An application under review (a register the portal cannot check) and a flagged
    partner, each with a legal representative."""
    review = await organisation(
        "Acme Inc", country="US", status="review", registration_number="12-3456789"
    )
    await person(review, "legal@acme.example")
    flagged = await organisation("Flagged AG", status="flagged")
    await person(flagged, "legal@flagged.ch")
    return {"review": review, "flagged": flagged}


async def test_staff_see_applications_to_review_and_flagged_partners(client, waiting, catalogue):
    await linked_client(waiting["flagged"], "Small client", await catalogue.offer(CHF="1200.00"))
    await sign_up(client, "sam@host.example", organisation="Host AG")
    await make_staff("sam@host.example")
    page = await client.get("/staff")
    assert page.status_code == 200
    review_part, flagged_part = page.text.split("Flagged partners")
    assert "Acme Inc" in review_part and "Flagged AG" not in review_part
    assert "Flagged AG" in flagged_part and "Acme Inc" not in flagged_part
    assert 'data-criterion="registration" data-verdict="review"' in review_part
    assert "CHF\xa01’200.00" in flagged_part
    detail = await client.get(f"/staff/organisations/{waiting['review']}")
    assert detail.status_code == 200 and "12-3456789" in detail.text
    assert 'value="approved"' in detail.text and 'value="rejected"' in detail.text


async def test_staff_approve_an_application_and_the_organisation_is_told(
    mail_client, mail_settings, smtp, waiting
):
    client = mail_client
    await sign_up(client, "sam@host.example", organisation="Host AG")
    await make_staff("sam@host.example")
    response = await post_form(
        client, f"/staff/organisations/{waiting['review']}/decide", {"decision": "approved"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    assert await status_of(waiting["review"]) == "active"
    told = await delivered_by_the_worker(mail_settings, smtp, "legal@acme.example", MAIL_PRIORITY)
    assert "active partner" in told
    listing = await client.get("/staff")
    assert "now active partner" in listing.text  # the flash
    assert "No application waits for a decision." in listing.text


async def test_staff_reject_with_a_reason_and_bad_input_is_422(client, waiting):
    await sign_up(client, "sam@host.example", organisation="Host AG")
    await make_staff("sam@host.example")
    path = f"/staff/organisations/{waiting['flagged']}/decide"
    for data, message in [
        ({"decision": "rejected"}, "Say why"),
        ({"decision": "maybe"}, "approve or reject"),
        ({"decision": "rejected", "reason": "x" * 1001}, "at most 1000"),
        ({"decision": "rejected", "reason": "bad\x00"}, "control characters"),
    ]:
        response = await post_form(client, path, data)
        assert response.status_code == 422, data
        assert message in response.text
    assert await StaffDecision.count() == 0
    response = await post_form(client, path, {"decision": "rejected", "reason": "Volume low"})
    assert response.status_code == 303
    assert await status_of(waiting["flagged"]) == "rejected"


async def test_deciding_what_does_not_wait_is_refused_clearly(client, waiting):
    await sign_up(client, "sam@host.example", organisation="Host AG")
    await make_staff("sam@host.example")
    active = await organisation("Active AG", status="active")
    response = await post_form(
        client, f"/staff/organisations/{active}/decide", {"decision": "rejected", "reason": "No"}
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "nothing to decide" in page.text
    assert await status_of(active) == "active"
    outsider = await organisation("Outsider AG")  # never applied: not the staff's business
    assert (await client.get(f"/staff/organisations/{outsider}")).status_code == 404
    for missing in ("987654", "99999999999999999999"):
        assert (await client.get(f"/staff/organisations/{missing}")).status_code == 404


@pytest.mark.parametrize("role", ["legal representative", "administrator"])
async def test_the_staff_area_does_not_exist_for_anyone_else(client, waiting, role):
    await sign_up(client, "anna@muster.ch", organisation="Muster Web AG")
    if role == "administrator":
        await Organisation.update({Organisation.partner_status: "active"}).where(
            Organisation.name == "Muster Web AG"
        )
    for path in STAFF_PATHS:
        response = await client.get(path.format(id=waiting["review"]))
        assert response.status_code == 404, path
    response = await post_form(
        client, f"/staff/organisations/{waiting['review']}/decide", {"decision": "approved"}
    )
    assert response.status_code == 404
    assert await status_of(waiting["review"]) == "review"


async def test_staff_rights_are_read_fresh_on_each_request(client, waiting):
    await sign_up(client, "sam@host.example", organisation="Host AG")
    await make_staff("sam@host.example")
    assert (await client.get("/staff")).status_code == 200
    await Account.update({Account.is_staff: False}).where(Account.email == "sam@host.example")
    assert (await client.get("/staff")).status_code == 404


async def test_a_staff_member_without_an_organisation_reaches_the_staff_area(client, waiting):
    await sign_up(client, "sam@host.example", organisation="Host AG")
    await make_staff("sam@host.example")
    await Membership.delete().where(
        Membership.account
        == (await Account.select(Account.id).where(Account.email == "sam@host.example").first())[
            "id"
        ]
    )
    await log_in(client, "sam@host.example")
    home = await client.get("/")  # staff land on their area
    assert home.status_code == 303 and home.headers["location"] == "/staff"
    staff = await client.get("/staff")
    assert staff.status_code == 200
    assert 'href="/staff"' in staff.text and 'href="/programme"' not in staff.text
