"""A listing loses its "Verified registration" badge the moment its organisation's
registration or VAT number changes: the badge is for the numbers the programme approved
(approved_registration); the next evidence refresh gives it back only if the numbers are
those again."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "directory: a changed registration number drops the badge at once"

SQL = """
CREATE OR REPLACE FUNCTION directory_follow_organisation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  numbers_kept boolean := OLD.registration_number IS NOT DISTINCT FROM NEW.registration_number
                          AND OLD.vat_number IS NOT DISTINCT FROM NEW.vat_number;
BEGIN
  UPDATE directory_listing
     SET name = NEW.name, partner_active = (NEW.partner_status = 'active'),
         verified = verified AND numbers_kept
   WHERE organisation = NEW.id
     AND (name IS DISTINCT FROM NEW.name
          OR partner_active IS DISTINCT FROM (NEW.partner_status = 'active')
          OR (verified AND NOT numbers_kept));
  RETURN NULL;
END $$;

DROP TRIGGER directory_follows_organisation ON organisation;
CREATE TRIGGER directory_follows_organisation
  AFTER UPDATE OF name, partner_status, registration_number, vat_number ON organisation
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
                     OR OLD.partner_status IS DISTINCT FROM NEW.partner_status
                     OR OLD.registration_number IS DISTINCT FROM NEW.registration_number
                     OR OLD.vat_number IS DISTINCT FROM NEW.vat_number)
  EXECUTE FUNCTION directory_follow_organisation();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
