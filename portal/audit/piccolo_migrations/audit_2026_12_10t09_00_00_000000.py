"""What the subject of an entry is to the organisation whose log it is (its partner or its
client), and the collaboration it concerns: so that the log reads in its reader's terms and its
CSV carries the ids."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-10T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit subject role and link"

SQL = """
ALTER TABLE audit_event
    ADD COLUMN subject_role varchar(10) NULL CHECK (subject_role IN ('partner', 'client')),
    ADD COLUMN link_id integer NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
