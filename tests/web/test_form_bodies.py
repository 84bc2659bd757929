"""Form endpoints take form bodies only: JSON, plain text or any other body is refused with
415 and the friendly error page, and writes nothing (it was read as an empty form before)."""

from __future__ import annotations

import json

import pytest

from portal.accounts.tables import Account
from portal.billing.tables import ProgrammeSetting
from portal.tenders.tables import TenderPreference
from tests.factories.accounts import log_in, sign_up
from tests.factories.tenders import partner
from tests.factories.web import csrf, post_form


async def staff(client) -> None:
    await sign_up(client, "sam@host.ch", name="Sam Staff", organisation="Host SA")
    await Account.update({Account.is_staff: True}).where(Account.email == "sam@host.ch")


async def settings_versions() -> list[dict]:
    return await ProgrammeSetting.select().order_by(ProgrammeSetting.id)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps({"count": [], "rate": [], "note": "x"})),
        ("text/plain", "count=5&rate=10"),
        ("application/xml", "<steps/>"),
        (None, "count=5&rate=10"),  # a body without a type
    ],
)
async def test_a_body_that_is_not_a_form_puts_no_volume_discount_in_force(
    client, content_type, body
):
    await staff(client)
    before = await settings_versions()
    headers = {"x-csrftoken": csrf(client)}
    if content_type:
        headers["content-type"] = content_type
    response = await client.post(
        "/staff/programme/volume-discount", content=body.encode(), headers=headers
    )
    assert response.status_code == 415
    assert "<html" in response.text and "Not a form" in response.text
    assert "takes a form sent from its page" in response.text
    assert await settings_versions() == before


async def test_a_json_body_does_not_clear_the_tender_settings(client):
    await partner("Alpine Web", "alice@alpine.ch", categories=["hosting"], languages=["de"])
    await log_in(client, "alice@alpine.ch")
    before = await TenderPreference.select().first()
    assert before["categories"] == ["hosting"]
    response = await client.post(
        "/partner/tenders/settings",
        json={"categories": [], "languages": [], "regions": []},
        headers={"x-csrftoken": csrf(client)},
    )
    assert response.status_code == 415
    assert await TenderPreference.select().first() == before


async def test_a_button_that_posts_nothing_but_its_token_still_works(client):
    """An empty body needs no type: the token may come in the header (htmx)."""
    await sign_up(client)
    response = await client.post("/logout", headers={"x-csrftoken": csrf(client)})
    assert response.status_code == 303


async def test_both_kinds_of_form_body_are_read(client):
    await sign_up(client)
    typed = await post_form(client, "/organisation/teams", {"name": "Web"})
    assert typed.status_code == 303
    multipart = await client.post(
        "/organisation/teams",
        data={"_csrf_token": csrf(client), "name": "Mail"},
        files={"unused": ("a.txt", b"x")},
    )
    assert multipart.status_code == 303


# --- a form that replaces a whole set refuses an empty one, unless "clear all" is pressed ----


async def volume_steps() -> list:
    from portal.billing import queries as billing_queries

    return await billing_queries.volume_steps()


async def test_an_empty_volume_discount_table_needs_its_clear_all_button(client):
    await staff(client)
    assert await volume_steps()  # the programme starts with a table
    page = (await client.get("/staff/programme")).text
    assert 'name="clear_all"' in page and "No volume discount" in page
    empty = await post_form(client, "/staff/programme/volume-discount", {"note": "oops"})
    assert empty.status_code == 422 and "No volume discount" in empty.text
    assert await volume_steps()
    cleared = await post_form(
        client, "/staff/programme/volume-discount", {"count": "", "clear_all": "1"}
    )
    assert cleared.status_code == 303
    assert await volume_steps() == []


async def test_empty_tender_settings_need_their_clear_all_button(client):
    await partner("Alpine Web", "alice@alpine.ch", categories=["hosting"], languages=["de"])
    await log_in(client, "alice@alpine.ch")
    empty = await post_form(client, "/partner/tenders/settings", {})
    assert empty.status_code == 422
    assert "Tick the categories you take on" in empty.text
    assert (await TenderPreference.select().first())["categories"] == ["hosting"]
    stopped = await post_form(
        client, "/partner/tenders/settings", {"languages": "de", "clear_all": "1"}
    )
    assert stopped.status_code == 303
    saved = await TenderPreference.select().first()
    assert saved["categories"] == [] and saved["languages"] == ["de"]


async def test_a_users_products_are_emptied_only_by_their_clear_all_button(client):
    from portal.organisations.tables import Organisation
    from portal.products.tables import ProductAccess
    from tests.factories.organisations import colleague, membership_id
    from tests.factories.products import insert_product

    await sign_up(client)
    organisation = (await Organisation.select(Organisation.id).first())["id"]
    product = await insert_product(organisation, "domain-ch")
    async with colleague(client, "ueli@example.ch"):
        member = await membership_id(client, "ueli@example.ch")
        url = f"/organisation/members/{member}/products"
        given = await post_form(client, url, {"products": str(product)})
        assert given.status_code == 303 and await ProductAccess.count() == 1
        assert "Remove all products" in (await client.get(url)).text
        empty = await post_form(client, url, {})
        assert empty.status_code == 422 and await ProductAccess.count() == 1
        cleared = await post_form(client, url, {"clear_all": "1"})
        assert cleared.status_code == 303 and await ProductAccess.count() == 0


async def test_a_clients_collaborators_are_emptied_only_by_their_clear_all_button(client):
    from portal.clients.tables import ClientAssignment
    from tests.factories.clients import Delegation

    world = await Delegation().build(client)
    url = f"/clients/{world.link}/collaborators"
    assert "Remove all collaborators" in (await world.paula.get(f"/clients/{world.link}")).text
    empty = await post_form(world.paula, url, {})
    assert empty.status_code == 422 and await ClientAssignment.count() == 1
    cleared = await post_form(world.paula, url, {"clear_all": "1"})
    assert cleared.status_code == 303 and await ClientAssignment.count() == 0
    await world.close()
