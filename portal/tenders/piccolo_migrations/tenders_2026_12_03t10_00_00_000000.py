"""Tenders' list indexes: a tender's quotes cheapest first, and the tenders a person
posted (a user who is not a manager sees only their own), newest first."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tender indexes for big tenants"

SQL = """
-- A tender's quotes, cheapest first.
CREATE INDEX quote_tender_price ON quote (tender, price, id);
-- The tenders one person posted for their organisation, newest first.
CREATE INDEX tender_author_account ON tender (author_organisation, author_account, id)
    WHERE author_organisation IS NOT NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
