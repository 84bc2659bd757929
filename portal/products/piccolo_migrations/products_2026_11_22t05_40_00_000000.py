"""A plain user is given a product once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T05:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "product access once per member"

SQL = "CREATE UNIQUE INDEX product_access_once ON product_access (membership, product);"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="products", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
