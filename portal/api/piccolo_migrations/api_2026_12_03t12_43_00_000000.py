"""One answer per token and Idempotency-Key; the purge of old keys reads them by age."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T12:43:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "idempotent request keys"

SQL = """
CREATE UNIQUE INDEX api_idempotent_request_key ON api_idempotent_request (token, key);
CREATE INDEX api_idempotent_request_age ON api_idempotent_request (created_at);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="api", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
