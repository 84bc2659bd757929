"""One row per version of a partner's month."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing feed constraints"

SQL = """
CREATE UNIQUE INDEX billing_feed_version_once
    ON billing_feed_version (organisation, period_start, version);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing_feed", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
