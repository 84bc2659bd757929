"""Products of organisations, in the database."""

from __future__ import annotations


async def insert_product(organisation_id: int, code: str, name: str | None = None) -> int:
    """A yearly product of catalogue item CODE in the organisation."""
    from datetime import date

    from portal.products.tables import CatalogueItem, Product

    item = await CatalogueItem.select().where(CatalogueItem.code == code).first()
    assert item, f"no catalogue item {code}"
    rows = await Product.insert(
        Product(
            organisation=organisation_id,
            item=item["id"],
            family=item["family"],
            name=name or f"{code}.example",
            period="yearly",
            started_on=date(2026, 1, 1),
            renews_on=date(2027, 1, 1),
        )
    ).returning(Product.id)
    return rows[0]["id"]
