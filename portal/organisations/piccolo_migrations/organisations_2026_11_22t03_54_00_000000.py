"""Constraints Piccolo cannot express: one membership per person, unique names, valid values."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T03:54:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "organisation constraints"

SQL = """
ALTER TABLE organisation ADD CONSTRAINT organisation_currency_known CHECK (currency IN ('CHF', 'EUR'));
ALTER TABLE organisation ADD CONSTRAINT organisation_kind_known CHECK (kind IN ('company', 'person'));
ALTER TABLE membership ADD CONSTRAINT membership_role_known
    CHECK (role IN ('legal_representative', 'administrator', 'user'));
CREATE UNIQUE INDEX membership_one_per_person ON membership (organisation, account);
CREATE UNIQUE INDEX team_name_unique ON team (organisation, lower(name));
CREATE UNIQUE INDEX team_member_once ON team_member (team, account);
CREATE INDEX invitation_pending_email ON invitation (organisation, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
-- A currency is fixed at creation.
CREATE FUNCTION organisation_currency_fixed() RETURNS trigger AS $$
BEGIN
    IF NEW.currency <> OLD.currency THEN
        RAISE EXCEPTION 'an organisation''s currency is fixed at creation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER organisation_currency_fixed BEFORE UPDATE ON organisation
    FOR EACH ROW EXECUTE FUNCTION organisation_currency_fixed();
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="organisations", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
