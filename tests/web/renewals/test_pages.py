"""The renewals pages through HTTP: a client's own products and a partner's clients' products,
their states, filters, pages, CSV, and changes of many products at once — each only for whom
it is (another's product answers 404, a right one lacks 403, and nothing is written)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from portal.products.tables import Product
from tests.factories.accounts import PASSWORD, log_in, logged_in_browser
from tests.factories.renewals import TODAY, link, member, organisation, product, row, run
from tests.factories.web import post_form


async def client_with_products(client) -> dict:
    """Huber AG and its products in each state, its legal representative logged in."""
    huber = await organisation("Huber AG")
    await member(huber, "hans@huber.test")
    ids = {
        "soon": await product(huber, "domain-ch", TODAY + timedelta(days=10), name="huber.ch"),
        "later": await product(huber, "web-pro", TODAY + timedelta(days=200), name="shop"),
        "due": await product(huber, "domain-com", TODAY, name="huber.com"),
        "grace": await product(huber, "web-starter", TODAY - timedelta(days=3), name="blog"),
        "suspended": await product(huber, "mail-5", TODAY - timedelta(days=20), name="mail"),
    }
    assert (await log_in(client, "hans@huber.test")).status_code == 303
    return {"huber": huber, **ids}


def states(html: str) -> dict[str, str]:
    found = re.findall(
        r'<tr id="renewal-\d+"[^>]*>.*?<strong>([^<]+)</strong>.*?data-testid="state">([^<]+)<',
        html,
        re.S,
    )
    return dict(found)


async def test_the_client_sees_each_product_in_its_state_by_date(client, db):
    await client_with_products(client)

    page = await client.get("/renewals")

    assert page.status_code == 200
    assert states(page.text) == {
        "mail": "Suspended",
        "blog": "In grace",
        "huber.com": "Due",
        "huber.ch": "Active",
        "shop": "Active",
    }
    assert list(states(page.text)) == ["mail", "blog", "huber.com", "huber.ch", "shop"]


@pytest.mark.parametrize(
    ("state", "names"),
    [
        ("due", {"huber.com", "huber.ch"}),
        ("grace", {"blog"}),
        ("suspended", {"mail"}),
        ("nonsense", {"mail", "blog", "huber.com", "huber.ch", "shop"}),
    ],
)
async def test_filters_show_what_they_say(client, db, state, names):
    await client_with_products(client)
    page = await client.get(f"/renewals?state={state}")
    assert set(states(page.text)) == names


async def test_an_htmx_filter_answers_with_the_list_alone(client, db):
    await client_with_products(client)
    page = await client.get("/renewals?family=domain", headers={"HX-Request": "true"})
    assert page.text.lstrip().startswith('<section class="card" id="renewals">')
    assert set(states(page.text)) == {"huber.com", "huber.ch"}


async def test_the_warranty_for_all_domains_in_one_step(client, db):
    world = await client_with_products(client)

    answer = await post_form(
        client,
        "/renewals/change",
        {"change": "warranty_on", "scope": "matching", "state": "all", "family": "domain"},
    )

    assert answer.status_code == 303 and answer.headers["location"] == "/renewals?family=domain"
    warranty = {p: (await row(world[p]))["renewal_warranty"] for p in ("soon", "due", "later")}
    assert warranty == {"soon": True, "due": True, "later": False}
    page = await client.get(answer.headers["location"])
    assert "The renewal warranty is now on. Products changed: 2." in page.text


async def test_ticked_products_change_and_a_late_option_brings_the_run_at_once(client, db):
    world = await client_with_products(client)
    # the run has seen it in grace, and would look again on the day it is suspended
    in_grace = {Product.renewal_step: 5, Product.next_renewal_check: TODAY + timedelta(days=12)}
    await Product.update(in_grace).where(Product.id == world["grace"])

    answer = await post_form(
        client,
        "/renewals/change",
        {
            "change": "automatic_on",
            "scope": "selected",
            "state": "all",
            "family": "",
            "product": [str(world["grace"]), str(world["later"])],
        },
    )

    assert answer.status_code == 303
    grace, later = await row(world["grace"]), await row(world["later"])
    assert grace["automatic_renewal"] and later["automatic_renewal"]
    assert grace["next_renewal_check"] == TODAY  # its date has passed: the next run tries
    assert later["next_renewal_check"] == later["renews_on"] - timedelta(days=30)


async def test_renew_now_issues_the_manual_renewal(client, db):
    world = await client_with_products(client)
    before = await row(world["grace"])

    answer = await post_form(
        client,
        "/renewals/change",
        {
            "change": "renew_now",
            "scope": "selected",
            "state": "all",
            "family": "",
            "product": str(world["grace"]),
        },
    )

    assert answer.status_code == 303
    renewed = await row(world["grace"])
    assert renewed["renews_on"] > before["renews_on"] and renewed["renewal_step"] == 0
    invoices = await client.get("/billing")
    assert "Huber AG" in invoices.text


async def test_nothing_ticked_is_a_field_error_and_changes_nothing(client, db):
    world = await client_with_products(client)
    answer = await post_form(
        client,
        "/renewals/change",
        {"change": "warranty_on", "scope": "selected", "state": "all", "family": ""},
    )
    assert answer.status_code == 422 and "Tick at least one product." in answer.text
    assert not (await row(world["soon"]))["renewal_warranty"]


async def test_another_organisations_product_is_not_found_and_nothing_changes(client, db):
    world = await client_with_products(client)
    other = await organisation("Other AG")
    theirs = await product(other, "domain-ch", name="other.ch")

    answer = await post_form(
        client,
        "/renewals/change",
        {
            "change": "warranty_on",
            "scope": "selected",
            "state": "all",
            "family": "",
            "product": [str(world["soon"]), str(theirs)],
        },
    )

    assert answer.status_code == 404
    assert not (await row(theirs))["renewal_warranty"]
    assert not (await row(world["soon"]))["renewal_warranty"]


async def test_a_user_without_billing_rights_sees_only_their_products_and_changes_none(client, db):
    world = await client_with_products(client)
    await member(world["huber"], "dev@huber.test", role="user")
    from portal.organisations.tables import Membership
    from portal.products.tables import ProductAccess

    membership = (
        await Membership.select(Membership.id)
        .where(Membership.organisation == world["huber"], Membership.role == "user")
        .first()
    )
    await ProductAccess.insert(ProductAccess(membership=membership["id"], product=world["grace"]))
    browser = await logged_in_browser(client, "dev@huber.test")
    try:
        page = await browser.get("/renewals")
        assert set(states(page.text)) == {"blog"}
        assert 'name="change"' not in page.text
        answer = await post_form(
            browser,
            "/renewals/change",
            {
                "change": "warranty_on",
                "scope": "selected",
                "state": "all",
                "family": "",
                "product": str(world["grace"]),
            },
        )
        assert answer.status_code == 403
        assert not (await row(world["grace"]))["renewal_warranty"]
    finally:
        await browser.aclose()


async def test_pages_go_by_date_with_no_product_twice_or_missing(client, db):
    huber = await organisation("Huber AG")
    await member(huber, "hans@huber.test")
    made = set()
    for number in range(120):
        made.add(
            await product(
                huber, "domain-ch", TODAY + timedelta(days=number % 7), name=f"d{number:03d}.ch"
            )
        )
    await log_in(client, "hans@huber.test")

    seen, url, pages = [], "/renewals", []
    while url:
        page = await client.get(url)
        pages.append(page.text)
        seen += re.findall(r'<tr id="renewal-(\d+)"', page.text)
        found = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(pages) == 3 and len(seen) == 120 and {int(i) for i in seen} == made
    back = re.search(r'<a href="([^"]+)" rel="prev">', pages[2]).group(1).replace("&amp;", "&")
    previous = await client.get(back)
    assert re.findall(r'<tr id="renewal-(\d+)"', previous.text) == seen[50:100]


async def test_the_csv_lists_the_filter_in_date_order_never_as_formulas(client, db):
    world = await client_with_products(client)
    await Product.update({Product.name: "=HYPERLINK(1)"}).where(Product.id == world["soon"])

    answer = await client.get("/renewals/csv?state=due")

    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Client", "Product", "Offer"]
    assert [line[1] for line in lines[1:]] == ["huber.com", "'=HYPERLINK(1)"]
    assert lines[1][6] == "Due" and lines[1][9] == "Huber AG"


# --- the partner's page ------------------------------------------------------------------------


async def partner_world(client) -> dict:
    alpine = await organisation("Alpine AG", partner=True)
    await member(alpine, "alice@alpine.test")
    full = await organisation("Full AG")
    restricted = await organisation("Restricted AG")
    stranger = await organisation("Stranger AG")
    await link(alpine, full, "full", "partner")
    await link(alpine, restricted, "restricted", families=["domain"])
    ids = {
        "full": await product(full, "web-pro", TODAY + timedelta(days=5), name="full-shop"),
        "restricted": await product(
            restricted, "domain-ch", TODAY + timedelta(days=6), name="restricted.ch"
        ),
        "unmanaged": await product(
            restricted, "web-pro", TODAY + timedelta(days=7), name="not-delegated"
        ),
        "stranger": await product(stranger, "domain-ch", name="stranger.ch"),
    }
    await log_in(client, "alice@alpine.test")
    return ids


async def test_the_partner_sees_the_products_it_manages_and_who_pays(client, db):
    await partner_world(client)
    page = await client.get("/partner/renewals")
    assert page.status_code == 200
    assert list(states(page.text)) == ["full-shop", "restricted.ch"]
    assert page.text.count('name="product"') == 1  # only the full-access client's
    full_row = re.search(r"full-shop.*?</tr>", page.text, re.S).group(0)
    assert "<td>Alpine AG</td>" in full_row  # the partner pays under this agreement


async def test_a_restricted_clients_product_is_forbidden_a_strangers_not_found(client, db):
    ids = await partner_world(client)
    for product_id, status in (
        (ids["restricted"], 403),
        (ids["stranger"], 404),
        (ids["unmanaged"], 404),
    ):
        answer = await post_form(
            client,
            "/partner/renewals/change",
            {
                "change": "warranty_on",
                "scope": "selected",
                "state": "all",
                "family": "",
                "product": [str(ids["full"]), str(product_id)],
            },
        )
        assert answer.status_code == status
    assert not any([(await row(i))["renewal_warranty"] for i in ids.values()])


async def test_all_that_match_changes_the_full_clients_and_says_what_was_left(client, db):
    ids = await partner_world(client)
    answer = await post_form(
        client,
        "/partner/renewals/change",
        {"change": "warranty_on", "scope": "matching", "state": "due", "family": ""},
    )
    assert answer.status_code == 303
    assert (await row(ids["full"]))["renewal_warranty"]
    assert not (await row(ids["restricted"]))["renewal_warranty"]
    page = await client.get(answer.headers["location"])
    assert "left as they were: 1." in page.text
    assert PASSWORD  # the form asks no password: switching options is not a sensitive action


async def catalogue_id(code: str) -> int:
    from portal.products.tables import CatalogueItem

    return (await CatalogueItem.select(CatalogueItem.id).where(CatalogueItem.code == code))[0]["id"]


@pytest.mark.parametrize(("ticked", "warranty"), [({"warranty": "on"}, True), ({}, False)])
async def test_the_warranty_is_chosen_when_ordering(client, db, ticked, warranty):
    huber = await organisation("Huber AG")
    await member(huber, "hans@huber.test")
    await log_in(client, "hans@huber.test")
    assert 'name="warranty"' in (await client.get("/products")).text
    form = {"item": str(await catalogue_id("web-pro")), "period": "yearly", "name": "shop"}

    ordered = await post_form(client, "/products/order", form | ticked)

    assert ordered.status_code == 303
    [bought] = await Product.select().where(Product.organisation == huber)
    assert bought["renewal_warranty"] is warranty


async def test_a_full_access_partner_orders_for_its_client_with_the_warranty(client, db):
    partner = await organisation("Partner AG", partner=True)
    await member(partner, "paula@partner.test")
    huber = await organisation("Huber AG")
    link_id = await link(partner, huber, access="full")
    await log_in(client, "paula@partner.test")
    assert 'name="warranty"' in (await client.get(f"/clients/{link_id}")).text
    form = {"item": str(await catalogue_id("domain-ch")), "period": "yearly", "name": "huber.ch"}

    ordered = await post_form(client, f"/clients/{link_id}/order", form | {"warranty": "on"})

    assert ordered.status_code == 303
    [bought] = await Product.select().where(Product.organisation == huber)
    assert bought["renewal_warranty"] is True
    assert bought["automatic_renewal"] is True  # on by default for domains
    assert bought["managed_by"] == partner


async def test_the_products_pages_show_the_state_the_run_recorded(client, db):
    partner = await organisation("Partner AG", partner=True)
    await member(partner, "paula@partner.test")
    huber = await client_with_products(client)
    link_id = await link(partner, huber["huber"], access="full")
    await run(TODAY)  # takes each product to its step: due, grace, suspended

    def state_in_row(html: str, name: str) -> str | None:
        for row_html in html.split("<tr")[1:]:
            if f"<td>{name}</td>" in row_html or f'value="{name}"' in row_html:  # renamable
                found = re.search(r"<td>(Active|Due|In grace|Suspended)", row_html)
                return found and found.group(1)
        return None

    expected = {"huber.com": "Due", "blog": "In grace", "mail": "Suspended", "shop": "Active"}
    own = (await client.get("/products")).text
    assert {name: state_in_row(own, name) for name in expected} == expected
    await log_in(client, "paula@partner.test")
    managed = (await client.get(f"/clients/{link_id}")).text
    assert {name: state_in_row(managed, name) for name in expected} == expected
