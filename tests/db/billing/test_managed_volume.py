"""The managed volume is maintained data (`managed_link`, kept by triggers): whatever happens to
products, links, delegated products and prices, it equals the volume computed from scratch."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest

from portal.billing import queries
from portal.clients.tables import DelegatedProduct, PartnerLink
from portal.database import execute_script
from portal.piccolo_conf import DB
from portal.products.tables import CatalogueItem, CataloguePrice, Product
from tests.factories.billing import link, organisation, product

# The definition of criterion 3 (docs/rules.md, The partner programme), computed from the products
# themselves.
FROM_SCRATCH_SQL = """
SELECT l.partner, coalesce(sum(CASE WHEN cp.period = 'yearly' THEN cp.amount
                                    ELSE cp.amount * 12 END), 0) AS volume,
       count(DISTINCT l.client) AS clients, min(p.renews_on) AS next_renewal
FROM partner_link l
JOIN organisation o ON o.id = l.partner
JOIN product p ON p.organisation = l.client AND p.status = 'active'
JOIN catalogue_price cp ON cp.item = p.item AND cp.currency = o.currency AND cp.period = p.period
WHERE l.status = 'active'
  AND (l.access = 'full' OR p.family = ANY(l.families)
       OR EXISTS (SELECT 1 FROM delegated_product d WHERE d.link = l.id AND d.product = p.id))
GROUP BY l.partner
"""

MAINTAINED_SQL = """
SELECT partner, sum(volume) AS volume, count(DISTINCT client) AS clients,
       min(next_renewal) AS next_renewal
FROM managed_link GROUP BY partner
"""

CODES = ["web-pro", "domain-ch", "mail-5", "kdrive-solo", "cloud-2"]


async def by_partner(sql: str) -> dict:
    rows = await DB.run_querystring(_query(sql))
    return {r["partner"]: (D(r["volume"]), r["clients"], r["next_renewal"]) for r in rows}


def _query(sql: str):
    from piccolo.querystring import QueryString

    return QueryString(sql)


async def assert_maintained() -> None:
    assert await by_partner(MAINTAINED_SQL) == await by_partner(FROM_SCRATCH_SQL)


@pytest.fixture
async def prices_put_back(db):
    """The scenario changes catalogue prices; the next tests get the catalogue as migrated."""
    saved = await CataloguePrice.select(CataloguePrice.id, CataloguePrice.amount)
    yield
    for row in saved:
        await CataloguePrice.update({CataloguePrice.amount: row["amount"]}).where(
            CataloguePrice.id == row["id"]
        )


async def test_the_volume_follows_products_links_delegations_and_prices(prices_put_back):
    chf_partner = await organisation("Alpha Partner", partner=True)
    eur_partner = await organisation("Beta Partner", country="FR", currency="EUR", partner=True)
    clients = [await organisation(f"Client {n}") for n in range(6)]
    items = {
        code: await CatalogueItem.select().where(CatalogueItem.code == code).first()
        for code in CODES
    }
    assert all(items.values()), "the catalogue has the items the scenario uses"
    for n, client in enumerate(clients):
        partner = chf_partner if n % 2 else eur_partner
        if n % 3 == 0:
            await link(partner, client, "full", billing="client")
        else:
            await link(partner, client, "restricted", families=["web_hosting"])
    await assert_maintained()

    chance = random.Random(2026)
    products: list[int] = []
    for _ in range(80):
        action = chance.choice(
            [
                "order",
                "order",
                "cancel",
                "renew",
                "delegate",
                "undelegate",
                "families",
                "access",
                "stop",
                "restart",
                "price",
            ]
        )
        client = chance.choice(clients)
        if action == "order":
            products.append(
                await product(client, chance.choice(CODES), chance.choice(["yearly", "monthly"]))
            )
        elif action == "cancel" and products:
            await Product.update({Product.status: "cancelled"}).where(
                Product.id == chance.choice(products)
            )
        elif action == "renew" and products:
            await Product.update(
                {Product.renews_on: date.today() + timedelta(days=chance.randint(1, 400))}
            ).where(Product.id == chance.choice(products))
        elif action in ("delegate", "undelegate"):
            await _change_delegation(action, client, chance)
        elif action == "families":
            await PartnerLink.update(
                {
                    PartnerLink.families: chance.choice(
                        [[], ["domain"], ["web_hosting", "mail_service"]]
                    )
                }
            ).where(PartnerLink.client == client)
        elif action == "access":
            full = chance.random() < 0.5
            await PartnerLink.update(
                {
                    PartnerLink.access: "full" if full else "restricted",
                    PartnerLink.billing_mode: "client" if full else None,
                }
            ).where(PartnerLink.client == client)
        elif action == "stop":
            await PartnerLink.update(
                {PartnerLink.status: "stopped", PartnerLink.ended_at: datetime.now(UTC)}
            ).where(PartnerLink.client == client)
        elif action == "restart":
            await PartnerLink.update({PartnerLink.status: "active"}).where(
                PartnerLink.client == client
            )
        elif action == "price":
            item_id = items[chance.choice(CODES)]["id"]
            await execute_script(
                f"UPDATE catalogue_price SET amount = amount + 1 WHERE item = {item_id}"
            )
        await assert_maintained()
    assert await by_partner(MAINTAINED_SQL), "the scenario left some volume to compare"


async def _change_delegation(action: str, client: int, chance: random.Random) -> None:
    links = await PartnerLink.select(PartnerLink.id).where(PartnerLink.client == client)
    owned = await Product.select(Product.id).where(Product.organisation == client)
    if not links or not owned:
        return
    if action == "delegate":
        chosen = chance.choice(owned)["id"]
        taken = await DelegatedProduct.exists().where(DelegatedProduct.product == chosen)
        if not taken:
            await DelegatedProduct.insert(
                DelegatedProduct(link=links[0]["id"], product=chosen, client=client)
            )
    else:
        await DelegatedProduct.delete().where(DelegatedProduct.client == client)


async def test_a_link_handed_to_another_client_moves_its_volume(db):
    partner = await organisation("Gamma Partner", partner=True)
    first, second = await organisation("First"), await organisation("Second")
    await link(partner, first, "full", billing="client")
    await product(first, "web-pro")
    await product(second, "domain-ch")
    before, _ = await queries.managed_volume(partner)
    assert before > 0
    await PartnerLink.update(
        {PartnerLink.client: None, PartnerLink.status: "awaiting_client"}
    ).where(PartnerLink.partner == partner)
    assert await queries.managed_volume(partner) == (D("0.00"), 0)
    await PartnerLink.update({PartnerLink.client: second, PartnerLink.status: "active"}).where(
        PartnerLink.partner == partner
    )
    await assert_maintained()
    assert (await queries.managed_volume(partner))[1] == 1


async def test_the_maintained_rows_can_be_rebuilt_from_scratch(db):
    partner = await organisation("Epsilon Partner", partner=True)
    client = await organisation("Client")
    await link(partner, client, "full", billing="client")
    await product(client, "web-pro", "monthly")
    await execute_script("TRUNCATE managed_link")
    await execute_script("SELECT refresh_managed_links(ARRAY(SELECT client FROM partner_link))")
    await assert_maintained()


async def test_each_kind_of_change_moves_the_volume_at_once(prices_put_back):
    partner = await organisation("Zeta Partner", partner=True)
    client = await organisation("Client")
    await link(partner, client, "restricted", families=["web_hosting"])
    link_id = (await PartnerLink.select(PartnerLink.id).first())["id"]
    await product(client, "web-pro")  # CHF 119.04 a year
    cloud = await product(client, "cloud-2")  # CHF 324.00 a year

    async def volume() -> D:
        return (await queries.managed_volume(partner))[0]

    assert await volume() == D("119.04")
    await DelegatedProduct.insert(DelegatedProduct(link=link_id, product=cloud, client=client))
    assert await volume() == D("443.04")
    await DelegatedProduct.delete().where(DelegatedProduct.product == cloud)
    assert await volume() == D("119.04")
    await PartnerLink.update({PartnerLink.families: ["cloud_server"]}).where(
        PartnerLink.id == link_id
    )
    assert await volume() == D("324.00")
    await PartnerLink.update(
        {PartnerLink.access: "full", PartnerLink.billing_mode: "client"}
    ).where(PartnerLink.id == link_id)
    assert await volume() == D("443.04")
    await execute_script(
        "UPDATE catalogue_price SET amount = amount + 1 WHERE period = 'yearly' AND currency = "
        "'CHF' AND item = (SELECT id FROM catalogue_item WHERE code = 'web-pro')"
    )
    assert await volume() == D("444.04")
    await Product.update({Product.status: "cancelled"}).where(Product.id == cloud)
    assert await volume() == D("120.04")
    await Product.delete().where(Product.organisation == client)
    assert await volume() == D("0.00")
    await product(client, "cloud-2", "monthly")  # CHF 27.00 a month
    assert await volume() == D("324.00")
    await PartnerLink.update({PartnerLink.status: "stopped"}).where(PartnerLink.id == link_id)
    assert await queries.managed_volume(partner) == (D("0.00"), 0)
