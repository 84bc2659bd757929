"""The grant form's products: a client with many products is offered the first ones by family
and name, finds the others by name, and never loses sight of those already chosen."""

from __future__ import annotations

from portal.clients import queries
from portal.products.tables import Product
from tests.factories.organisations import insert_organisation
from tests.factories.products import insert_product


async def client_with_products(names_by_code: dict[str, list[str]]) -> tuple[int, dict]:
    client = await insert_organisation("Client GmbH")
    ids = {}
    for code, names in names_by_code.items():
        for name in names:
            ids[name] = await insert_product(client, code, name)
    return client, ids


def names(choices) -> list[str]:
    return [row["name"] for row in choices]


async def test_the_first_products_by_family_and_name_and_whether_more_follow(db):
    client, _ = await client_with_products(
        {"web-pro": ["b.example", "a.example", "c.example"], "domain-ch": ["z.ch"]}
    )
    everything = await queries.client_product_choices(client, limit=10)
    assert not everything.more
    ordered = names(everything)
    assert ordered == ["z.ch", "a.example", "b.example", "c.example"]  # domain, then web hosting

    first = await queries.client_product_choices(client, limit=2)
    assert names(first) == ordered[:2]
    assert first.more and first.limit == 2

    exact = await queries.client_product_choices(client, limit=4)
    assert names(exact) == ordered and not exact.more


async def test_a_name_finds_products_beyond_the_first_literally(db):
    client, _ = await client_with_products(
        {"web-pro": ["a.example", "b.example", "shop_1.example", "shop1x.example", "100%.ch"]}
    )
    found = await queries.client_product_choices(client, text="SHOP_1", limit=2)
    assert names(found) == ["shop_1.example"]  # "_" is no wildcard, case is ignored
    assert not found.more and found.text == "SHOP_1"
    assert names(await queries.client_product_choices(client, text="%", limit=2)) == ["100%.ch"]
    assert names(await queries.client_product_choices(client, text="nothing")) == []


async def test_chosen_products_are_always_offered_and_only_the_clients(db):
    client, ids = await client_with_products({"web-pro": ["a.example", "b.example", "z.example"]})
    other, foreign = await client_with_products({"web-pro": ["other.example"]})
    cancelled = await insert_product(client, "web-pro", "gone.example")
    await Product.update({Product.status: "cancelled"}).where(Product.id == cancelled)

    chosen = [ids["z.example"], foreign["other.example"], cancelled, 2**40]
    offered = await queries.client_product_choices(client, chosen, limit=1)
    assert names(offered) == ["a.example", "z.example"]
    assert offered.more
    narrowed = await queries.client_product_choices(client, chosen, text="b.", limit=1)
    assert names(narrowed) == ["b.example", "z.example"]
    assert other != client
