"""Which partners the directory shows, said once in SQL (directory_partner_shown, the twin of
rules.partner_shown; a test holds them together) and used by the organisation trigger, the
first save of a listing (INSERT … SELECT from the organisation, not from the request's view
of it) and the evidence refresh (which re-syncs it with the organisation)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "directory: one SQL definition of the partners shown"

SQL = """
CREATE FUNCTION directory_partner_shown(partner_status varchar) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT partner_status = 'active'
$$;

CREATE OR REPLACE FUNCTION directory_follow_organisation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  numbers_kept boolean := OLD.registration_number IS NOT DISTINCT FROM NEW.registration_number
                          AND OLD.vat_number IS NOT DISTINCT FROM NEW.vat_number;
  shown boolean := directory_partner_shown(NEW.partner_status);
BEGIN
  UPDATE directory_listing
     SET name = NEW.name, partner_active = shown, verified = verified AND numbers_kept
   WHERE organisation = NEW.id
     AND (name IS DISTINCT FROM NEW.name OR partner_active IS DISTINCT FROM shown
          OR (verified AND NOT numbers_kept));
  RETURN NULL;
END $$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
