"""Reminders sent before a date (portal/jobs/reminders.py): one row per stage and deadline,
so that each reminder leaves once however many workers run."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-10T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reminder_sent"

SQL = """
CREATE TABLE reminder_sent (
    topic varchar(40) NOT NULL,
    subject_id bigint NOT NULL,
    deadline timestamptz NOT NULL,
    days integer NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, subject_id, deadline, days)
);
CREATE INDEX reminder_sent_age ON reminder_sent (sent_at);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="jobs", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
