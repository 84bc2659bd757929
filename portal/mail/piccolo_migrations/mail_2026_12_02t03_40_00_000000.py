"""A queued mail is claimed by the worker handing it to SMTP: `sending_until` says until
when, so a second worker holding the same job (taken again after a missed heartbeat) leaves
it alone instead of sending it twice."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox mail claimed while it is being sent"

SQL = """
ALTER TABLE outbox_mail ADD COLUMN sending_until TIMESTAMPTZ NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="mail", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
