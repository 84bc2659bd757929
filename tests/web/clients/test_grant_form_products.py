"""The grant form of a client with many products: it lists the first ones and says so, a name
typed in the form finds the others (htmx asks the same page), and the products a partner
already manages stay listed and ticked, so saving the form never drops them unseen."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from portal.clients.tables import DelegatedProduct, PartnerLink
from portal.products import queries as product_queries
from tests.factories.accounts import logged_in_browser
from tests.factories.organisations import insert_organisation, insert_person
from tests.factories.products import insert_product
from tests.factories.web import post_form

LISTED_NOTE = "Only the first 2 products are listed, with those already chosen."


def offered(html: str) -> dict[int, bool]:
    """The products the form offers: id → ticked."""
    return {
        int(value): bool(ticked)
        for value, ticked in re.findall(r'name="products" value="(\d+)" ?(checked)?', html)
    }


@pytest.fixture
async def client_side(client, monkeypatch):
    """A client with five products (two domains, hosting, mail, a shop) whose partner manages
    its mail by name; its legal representative's browser."""
    monkeypatch.setattr(product_queries, "PRODUCT_CHOICES", 2)
    client_id = await insert_organisation("Client GmbH")
    partner = await insert_organisation("Partner AG", partner_status="active")
    products = {
        "domain": await insert_product(client_id, "domain-ch", "client.ch"),
        "domain 2": await insert_product(client_id, "domain-ch", "client-shop.ch"),
        "hosting": await insert_product(client_id, "web-pro", "client.example"),
        "mail": await insert_product(client_id, "mail-5", "mail.client.example"),
    }
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client_id,
            status="active",
            initiated_by="client",
            access="restricted",
            families=[],
            requested_access="restricted",
            requested_products=[products["mail"]],
            decided_at=datetime.now(UTC),
        )
    ).returning(PartnerLink.id)
    link = rows[0]["id"]
    await DelegatedProduct.insert(
        DelegatedProduct(link=link, product=products["mail"], client=client_id)
    )
    await insert_person("legal@client.example", client_id, "legal_representative")
    browser = await logged_in_browser(client, "legal@client.example")
    yield browser, link, products
    await browser.aclose()


async def test_the_first_products_are_listed_and_a_name_finds_the_others(client_side):
    browser, _, products = client_side
    page = (await browser.get("/organisation/partners")).text
    assert set(offered(page)) == {products["domain"], products["domain 2"]}
    assert LISTED_NOTE in page
    assert 'name="products_q"' in page

    found = await browser.get(
        "/organisation/partners",
        params={"products_q": "MAIL.client"},
        headers={"HX-Request": "true"},
    )
    assert found.status_code == 200
    assert offered(found.text) == {products["mail"]: False}
    assert LISTED_NOTE not in found.text

    shop = await browser.get("/organisation/partners", params={"products_q": "shop"})
    assert set(offered(shop.text)) == {products["domain 2"]}
    without_javascript = await post_form(
        browser,
        "/organisation/partners/search",
        {"q": "Partner", "products_q": "shop", "products": [str(products["mail"])]},
    )
    assert offered(without_javascript.text) == {products["domain 2"]: False, products["mail"]: True}
    nothing = await browser.get("/organisation/partners", params={"products_q": "%"})
    assert offered(nothing.text) == {}
    assert "name holds “%”." in nothing.text


async def test_the_products_ticked_stay_ticked_from_search_to_search(client_side):
    browser, link, products = client_side
    ticked = [str(products["domain 2"])]
    found = await browser.get(
        f"/organisation/partners/{link}",
        params={"products_q": "mail", "products": ticked},
        headers={"HX-Request": "true"},
    )
    # the mail the partner manages was unticked in the form: found, it shows unticked
    assert offered(found.text) == {products["domain 2"]: True, products["mail"]: False}
    everything = await browser.get(
        "/organisation/partners", params={"products_q": "", "products": ticked}
    )
    assert offered(everything.text) == {products["domain"]: False, products["domain 2"]: True}


async def test_a_product_the_partner_manages_stays_listed_and_ticked(client_side):
    browser, link, products = client_side
    page = (await browser.get(f"/organisation/partners/{link}")).text
    assert offered(page) == {products["domain"]: False, products["domain 2"]: False,
                             products["mail"]: True}  # fmt: skip
    assert LISTED_NOTE in page


@pytest.mark.parametrize("text", ["\x07mail", "mail\u202e"])
async def test_a_search_with_control_characters_lists_the_first_products(client_side, text):
    browser, _, products = client_side
    page = await browser.get("/organisation/partners", params={"products_q": text})
    assert page.status_code == 200
    assert set(offered(page.text)) == {products["domain"], products["domain 2"]}


async def test_an_over_long_search_is_cut_to_its_first_hundred_characters(client_side):
    browser, _, products = client_side
    page = await browser.get("/organisation/partners", params={"products_q": "client" + "x" * 5000})
    assert page.status_code == 200
    assert offered(page.text) == {}
    assert "“client" + "x" * 94 + "”" in page.text
