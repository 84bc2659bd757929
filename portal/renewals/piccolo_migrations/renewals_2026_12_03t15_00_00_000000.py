"""Renewals: the indexes the renewals pages and the dashboard's counts read in date order carry
the columns a product's state is computed from, so that a filter or a count skips the products
it leaves out without reading them (an index-only scan)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering indexes of the renewals pages"

SQL = """
DROP INDEX product_managed_renews;
CREATE INDEX product_managed_renews ON product (managed_by, renews_on, id)
    INCLUDE (status, renewal_step, family, organisation) WHERE managed_by IS NOT NULL;
DROP INDEX product_organisation_renews;
CREATE INDEX product_organisation_renews ON product (organisation, renews_on, id)
    INCLUDE (status, renewal_step, family);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="renewals", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
