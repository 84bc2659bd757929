"""A plain user has access to specific products only (docs/rules.md, Roles and rights)."""

import re

from portal.products.tables import Product
from tests.factories.accounts import sign_up
from tests.factories.clients import give_products
from tests.factories.organisations import colleague, membership_id
from tests.factories.web import post_form


async def test_a_user_sees_only_the_products_given_to_them(client):
    await sign_up(client, organisation="Muster Web AG")
    products = await give_products("Muster Web AG", "web-pro", "domain-ch", "mail-5")
    async with colleague(client, "ulla@example.ch") as ulla:
        everything = await ulla.get("/products")
        assert "No product is given to you" in everything.text
        assert "web-pro.example" not in everything.text and "Order a product" not in everything.text

        member = await membership_id(client, "ulla@example.ch")
        saved = await post_form(
            client,
            f"/organisation/members/{member}/products",
            {"products": [str(products["domain-ch"])]},
        )
        assert saved.status_code == 303

        mine = await ulla.get("/products")
        assert "domain-ch.example" in mine.text
        assert "web-pro.example" not in mine.text and "mail-5.example" not in mine.text
        assert (await ulla.get(f"/organisation/members/{member}/products")).status_code == 403
        renew = await post_form(ulla, f"/products/{products['domain-ch']}/renew")
        assert renew.status_code == 403  # no billing rights

    audit = await client.get("/organisation/audit?action=member.products")
    assert "member.products_set" in audit.text


async def test_only_the_organisations_own_products_can_be_given(client):
    await sign_up(client, "other@example.ch", organisation="Other AG")
    foreign = await give_products("Other AG", "vps-lite")
    await post_form(client, "/logout")
    await sign_up(client, organisation="Muster Web AG")
    async with colleague(client, "ulla@example.ch"):
        member = await membership_id(client, "ulla@example.ch")
        refused = await post_form(
            client,
            f"/organisation/members/{member}/products",
            {"products": [str(foreign["vps-lite"])]},
        )
        assert refused.status_code == 422
        assert await Product.count() == 1
        own = await membership_id(client, "anna@example.ch")
        lr = await post_form(client, f"/organisation/members/{own}/products", {"products": []})
        assert lr.status_code == 422  # a legal representative sees every product already


async def many_products(organisation: str, count: int) -> list[int]:
    """COUNT web hostings of ORGANISATION named site0001.example…, in their listed order."""
    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB

    rows = await DB.run_querystring(
        QueryString(
            """INSERT INTO product (organisation, item, family, name, period, started_on,
                                   renews_on)
               SELECT o.id, i.id, i.family, format('site%s.example', lpad(n::text, 4, '0')),
                      'yearly', '2026-01-01', '2027-01-01'
               FROM organisation o, catalogue_item i, generate_series(1, {}) n
               WHERE o.name = {} AND i.code = 'web-pro'
               RETURNING id""",
            count,
            organisation,
        )
    )
    return sorted(row["id"] for row in rows)


async def test_a_big_organisation_gives_any_of_its_products_found_by_name(client, monkeypatch):
    """The form lists the first products and those given; a name finds the others; any of
    the organisation's products may be given, the 1,001st as well as the first."""
    from portal.products import queries

    await sign_up(client, organisation="Muster Web AG")
    products = await many_products("Muster Web AG", 1001)
    monkeypatch.setattr(queries, "PRODUCT_CHOICES", 3)
    async with colleague(client, "ulla@example.ch"):
        member = await membership_id(client, "ulla@example.ch")
        saved = await post_form(
            client, f"/organisation/members/{member}/products", {"products": [str(products[-1])]}
        )
        assert saved.status_code == 303  # refused while the form knew the first 1,000 only

        form = (await client.get(f"/organisation/members/{member}/products")).text
        assert "Only the first 3 products are listed, with those already chosen." in form
        listed = [int(v) for v in re.findall(r'name="products" value="(\d+)"', form)]
        assert listed == [*products[:3], products[-1]]
        assert f'value="{products[-1]}" checked' in form

        found = await client.get(
            f"/organisation/members/{member}/products",
            params={"products_q": "site0500", "products": [str(products[0])]},
            headers={"HX-Request": "true"},
        )
        ticked = re.findall(r'name="products" value="(\d+)" ?(checked)?', found.text)
        assert ticked == [(str(products[0]), "checked"), (str(products[499]), "")]
