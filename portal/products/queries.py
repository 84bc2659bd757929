"""Reads and writes of the catalogue and of clients' products."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.core.enums import ProductStatus
from portal.database import storable_id
from portal.products.lifecycle import recorded_state
from portal.products.tables import CatalogueItem, Product, ProductAccess


async def catalogue_item(item_id: int | None) -> dict | None:
    if item_id is None or not storable_id(item_id):
        return None
    return await CatalogueItem.select().where(CatalogueItem.id == item_id).first()


async def catalogue(currency: str) -> list[dict]:
    """Offers with their public prices in CURRENCY, for the order form."""
    return await Product.raw(
        """SELECT i.id, i.name, i.family,
                  max(p.amount) FILTER (WHERE p.period = 'monthly') AS monthly,
                  max(p.amount) FILTER (WHERE p.period = 'yearly') AS yearly
           FROM catalogue_item i JOIN catalogue_price p ON p.item = i.id AND p.currency = {}
           GROUP BY i.id ORDER BY i.family, i.name""",
        currency,
    )


async def public_price(item_id: int, currency: str, period: str) -> Decimal | None:
    rows = await Product.raw(
        "SELECT amount FROM catalogue_price WHERE item = {} AND currency = {} AND period = {}",
        item_id,
        currency,
        period,
    )
    return rows[0]["amount"] if rows else None


async def organisation_for_billing(organisation_id: int | None) -> dict | None:
    rows = await Product.raw(
        "SELECT id, name, country, currency, vat_number FROM organisation WHERE id = {}",
        organisation_id,
    )
    return rows[0] if rows else None


async def product_in(client_id: int, product_id: int) -> dict | None:
    if not storable_id(product_id):
        return None
    return (
        await Product.select()
        .where(Product.id == product_id, Product.organisation == client_id)
        .first()
    )


# The organisation's products a person sees: with ONLY_OF_MEMBER (a plain user's account),
# only the products given to that user.
PRODUCTS_SEEN_SQL = """
SELECT p.id, p.name, p.family, p.period, p.status, p.renewal_step, p.started_on, p.renews_on,
       i.name AS offer
FROM product p JOIN catalogue_item i ON i.id = p.item
WHERE p.organisation = {organisation}
  AND ({member}::int IS NULL OR p.id IN (
        SELECT pa.product FROM product_access pa JOIN membership m ON m.id = pa.membership
        WHERE m.account = {member_again} AND m.organisation = p.organisation))
  {condition}
ORDER BY p.family, p.name, p.id LIMIT {limit} OFFSET {offset}
"""


async def products_of(
    client_id: int,
    page: int,
    size: int = 50,
    *,
    only_of_member: int | None = None,
    after: tuple[str, str, int] | None = None,
) -> tuple[list[dict], bool]:
    """The organisation's products; with ONLY_OF_MEMBER (a plain user's account), only the
    products given to that user. Page number PAGE, or those after AFTER (family, name, id)."""
    condition, values = "", ()
    if after:
        condition, values = "AND (p.family, p.name, p.id) > ({}, {}, {})", tuple(after)
    rows = await Product.raw(
        PRODUCTS_SEEN_SQL.format(
            organisation="{}",
            member="{}",
            member_again="{}",
            condition=condition,
            limit="{}",
            offset="{}",
        ),
        client_id,
        only_of_member,
        only_of_member,
        *values,
        size + 1,
        0 if after else (page - 1) * size,
    )
    return with_states(rows[:size]), len(rows) > size


def with_states(rows: list[dict]) -> list[dict]:
    """ROWS (with status and renewal_step), each with the state the renewal run recorded."""
    for row in rows:
        row["state"] = recorded_state(row["status"], row["renewal_step"])
    return rows


async def product_seen(
    organisation_id: int, product_id: int, *, only_of_member: int | None = None
) -> dict | None:
    """One product of the organisation, if the person sees it (as `products_of`)."""
    if not storable_id(product_id):
        return None
    rows = await Product.raw(
        PRODUCTS_SEEN_SQL.format(
            organisation="{}",
            member="{}",
            member_again="{}",
            condition="AND p.id = {}",
            limit="1",
            offset="0",
        ),
        organisation_id,
        only_of_member,
        only_of_member,
        product_id,
    )
    return rows[0] if rows else None


async def products_given(membership_id: int) -> set[int]:
    rows = await ProductAccess.select(ProductAccess.product).where(
        ProductAccess.membership == membership_id
    )
    return {row["product"] for row in rows}


async def product_choices(organisation_id: int) -> list[dict]:
    return await Product.raw(
        """SELECT p.id, p.name, p.family FROM product p WHERE p.organisation = {}
           AND p.status <> 'cancelled' ORDER BY p.family, p.name LIMIT 1000""",
        organisation_id,
    )


async def give_products(membership_id: int, product_ids: list[int]) -> None:
    await ProductAccess.delete().where(ProductAccess.membership == membership_id)
    if product_ids:
        await ProductAccess.insert(
            *[ProductAccess(membership=membership_id, product=pid) for pid in product_ids]
        )


async def hosting_count(client_id: int) -> int:
    """Web and mail hostings of the client: the volume discount counts them."""
    return await Product.count().where(
        Product.organisation == client_id,
        Product.status == ProductStatus.ACTIVE,
        Product.family.is_in(["web_hosting", "mail_service"]),
    )


async def insert_products(
    client_id: int,
    item: dict,
    period: str,
    names: list[str],
    started: date,
    renews: date,
    *,
    warranty: bool = False,
) -> list[dict]:
    """New products of one offer, ordered together: their periods share one calendar; WARRANTY:
    their renewal warranty (docs/rules.md, Renewals)."""
    return await Product.insert(
        *[
            Product(
                organisation=client_id,
                item=item["id"],
                family=item["family"],
                name=name[:200],
                period=period,
                status=ProductStatus.ACTIVE,
                started_on=started,
                renews_on=renews,
                renewal_warranty=warranty,
            )
            for name in names
        ]
    ).returning(*Product.all_columns())


async def lock_products(client_id: int, product_ids) -> list[dict]:
    """The client's products among PRODUCT_IDS, locked for the rest of the transaction."""
    ids = [pid for pid in set(product_ids) if storable_id(pid)]
    if not ids:
        return []
    return await Product.raw(
        """SELECT * FROM product WHERE organisation = {} AND id = ANY({}::int[])
           ORDER BY id FOR NO KEY UPDATE""",
        client_id,
        ids,
    )


async def set_renewals(product_ids: list[int], renews_on: date) -> None:
    await Product.update(
        {Product.renews_on: renews_on, Product.status: ProductStatus.ACTIVE}
    ).where(Product.id.is_in(product_ids))
