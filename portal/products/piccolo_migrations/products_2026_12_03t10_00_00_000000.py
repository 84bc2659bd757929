"""Products' indexes for big tenants: the lists of an organisation's products go by
family, name and id, read from (organisation, family, name, id), which also serves what
(organisation, family, id) did. product (organisation) and catalogue_price (item) lead
other indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "product indexes for big tenants"

SQL = """
-- Product lists go by family, name and id: any page is read from this index.
CREATE INDEX product_organisation_family_name ON product (organisation, family, name, id);
DROP INDEX product_organisation_family;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="products", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Product",
        tablename="product",
        column_name="organisation",
        db_column_name="organisation",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="CataloguePrice",
        tablename="catalogue_price",
        column_name="item",
        db_column_name="item",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
