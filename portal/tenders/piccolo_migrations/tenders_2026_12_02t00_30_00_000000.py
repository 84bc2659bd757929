"""Partners are told of a new tender by a queued job: each routing row records when its
partner's mail went out, so a retried job mails nobody twice."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tender notifications mailed by a job"

SQL = """
ALTER TABLE tender_recipient ADD COLUMN mailed_at TIMESTAMPTZ NULL;
CREATE INDEX tender_recipient_to_mail ON tender_recipient (tender) WHERE mailed_at IS NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
