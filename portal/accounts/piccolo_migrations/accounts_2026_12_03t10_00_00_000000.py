"""A person's live sessions are listed most recently active first, from an index in that
order over the sessions not ended."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "session index for big tenants"

SQL = """
-- A person's live sessions, most recently active first.
CREATE INDEX web_session_live ON web_session (account, last_seen_at DESC, id DESC)
    WHERE ended_at IS NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
