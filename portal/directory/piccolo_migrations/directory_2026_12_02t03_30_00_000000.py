"""The directory's version moves once per statement that changed listings, not once per row
(review item 3): the weekly rotation of ties rewrites every listing, and a row-level
trigger updated directory_state 10,000 times (5.4 s), holding its row lock throughout."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "directory: the version moves once per statement"

SQL = """
CREATE FUNCTION directory_bump_version_if_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed_before b JOIN changed_after a ON a.id = b.id
             WHERE a IS DISTINCT FROM b) THEN
    UPDATE directory_state SET version = version + 1;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER directory_listing_changed ON directory_listing;
CREATE TRIGGER directory_listing_changed AFTER UPDATE ON directory_listing
  REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed_after
  FOR EACH STATEMENT EXECUTE FUNCTION directory_bump_version_if_changed();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
