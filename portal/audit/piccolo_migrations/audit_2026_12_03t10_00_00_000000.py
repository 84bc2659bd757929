"""The audit log's indexes for big tenants: the organisation's log is read through
audit_event_organisation_time (organisation, created_at DESC, id DESC) only. The
single-column organisation index it made redundant is dropped: prepared statements'
generic plans chose it (and sorted every entry of the organisation) once a few pages
had been read. The index on the action alone served no query. A link's page reads the
entries about one subject, newest first, through a new (organisation, subject, time)
index rather than through every entry of a long log."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey, Varchar

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log indexes for big tenants"

SQL = """
-- The entries about one client, partner, member or team (a link's page), newest first.
CREATE INDEX audit_event_organisation_subject ON audit_event
    (organisation, subject, created_at DESC, id DESC);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="AuditEvent",
        tablename="audit_event",
        column_name="organisation",
        db_column_name="organisation",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="AuditEvent",
        tablename="audit_event",
        column_name="action",
        db_column_name="action",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
    )

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
