"""Reads and writes of the catalogue and of clients' products."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.core.enums import ProductStatus
from portal.database import storable_id
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page
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


# By family, name, then id: product_organisation_family_name reads any page directly.
PRODUCT_ORDER = Order(
    ("p.family", "p.name", "p.id"), ("family", "name", "id"), (Kind.TEXT, Kind.TEXT, Kind.ID)
)
# The organisation's products a person sees: with the member's account given (a plain
# user's), only the products given to that user.
PRODUCTS_SEEN = """
      FROM product p
      WHERE p.organisation = {{}}
        AND ({{}}::int IS NULL OR p.id IN (
              SELECT pa.product FROM product_access pa JOIN membership m ON m.id = pa.membership
              WHERE m.account = {{}} AND m.organisation = p.organisation))"""
PRODUCT_COLUMNS = (
    "p.id, p.name, p.family, p.period, p.status, p.renewal_step, p.started_on, p.renews_on, p.item"
)
PRODUCTS_SQL = (
    "SELECT p.*, i.name AS offer FROM (SELECT "
    + PRODUCT_COLUMNS
    + PRODUCTS_SEEN
    + """ {keyset}
      ORDER BY {order} LIMIT {limit}) p
JOIN catalogue_item i ON i.id = p.item
ORDER BY {outer_order}
"""
)
PRODUCT_SEEN_SQL = (
    "SELECT p.*, i.name AS offer FROM (SELECT "
    + PRODUCT_COLUMNS
    + PRODUCTS_SEEN.replace("{{}}", "{}")
    + " AND p.id = {}) p JOIN catalogue_item i ON i.id = p.item"
)


async def products_of(
    client_id: int, position: Position = FIRST, size: int = 50, *, only_of_member: int | None = None
) -> Page:
    """The organisation's products; with ONLY_OF_MEMBER (a plain user's account), only the
    products given to that user."""

    async def fetch(window: Window) -> list[dict]:
        sql = PRODUCTS_SQL.format(
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by_keys("p"),
        )
        rows = await Product.raw(sql, client_id, only_of_member, only_of_member, *window.arguments)
        return with_states(rows)

    return await read_page(PRODUCT_ORDER.window(position, size), fetch)


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
        PRODUCT_SEEN_SQL, organisation_id, only_of_member, only_of_member, product_id
    )
    return with_states(rows)[0] if rows else None


async def products_given(membership_id: int) -> set[int]:
    rows = await ProductAccess.select(ProductAccess.product).where(
        ProductAccess.membership == membership_id
    )
    return {row["product"] for row in rows}


# A form offering products to tick lists this many (and those already ticked); a name typed in
# the form finds the others. An organisation with thousands of products keeps a light page.
PRODUCT_CHOICES = 100
CHOICES_SQL = """
SELECT p.id, p.name, p.family {columns}
FROM (SELECT p.id, p.name, p.family FROM product p
      WHERE p.organisation = {{}} AND p.status <> 'cancelled' {filter}
      ORDER BY p.family, p.name, p.id LIMIT {limit}) p
ORDER BY p.family, p.name, p.id
"""


@dataclass(frozen=True)
class ProductChoices:
    """The products a form offers: ROWS; MORE when the organisation has others (matching
    TEXT, when given) that are not listed."""

    rows: list[dict]
    more: bool
    text: str = ""
    limit: int = PRODUCT_CHOICES

    def __iter__(self):
        return iter(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def like_pattern(text: str) -> str:
    """An ILIKE pattern for names that hold TEXT literally (no wildcard, no dangling escape)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def product_choices(
    organisation_id: int,
    chosen: Iterable[int] = (),
    text: str = "",
    limit: int | None = None,
    *,
    columns: str = "",
) -> ProductChoices:
    """The organisation's products a form offers, by family and name (read from
    product_organisation_family_name): the first LIMIT, only those whose name holds TEXT when
    it is given, and always those already CHOSEN. COLUMNS: more SQL columns of `p`."""
    limit = limit or PRODUCT_CHOICES
    args: list = [organisation_id]
    name_filter = ""
    if text:
        name_filter = "AND p.name ILIKE {}"
        args.append(like_pattern(text))
    sql = CHOICES_SQL.format(columns=columns, filter=name_filter, limit=limit + 1)
    rows = await Product.raw(sql, *args)
    more = len(rows) > limit
    rows = rows[:limit]
    listed = {row["id"] for row in rows}
    missing = sorted({product for product in chosen if storable_id(product)} - listed)
    if missing:
        sql = CHOICES_SQL.format(columns=columns, filter="AND p.id = ANY({})", limit=len(missing))
        rows += await Product.raw(sql, organisation_id, missing)
        rows.sort(key=lambda row: (row["family"], row["name"], row["id"]))
    return ProductChoices(rows, more, text, limit)


async def owned_products(organisation_id: int, product_ids: Iterable[int]) -> set[int]:
    """Those of PRODUCT_IDS that are the organisation's products (cancelled ones excepted)."""
    ids = sorted({product for product in product_ids if storable_id(product)})
    if not ids:
        return set()
    rows = await Product.raw(
        """SELECT id FROM product
           WHERE organisation = {} AND id = ANY({}) AND status <> 'cancelled'""",
        organisation_id,
        ids,
    )
    return {row["id"] for row in rows}


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
