"""The registration the programme approved: the organisation's registration and VAT numbers
as they stood when it became an active partner (every criterion checked, or a person of the
host approving it). The directory's "Verified registration" badge is awarded for these
numbers only: a number typed later, even one with a valid check digit, earns none.

Partners already active or flagged keep the numbers they hold now (they were the ones
accepted at the time, as far as the database can tell)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T03:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "approved_registration: the numbers the programme approved"

SQL = """
CREATE TABLE approved_registration (
    organisation integer PRIMARY KEY REFERENCES organisation (id) ON DELETE CASCADE,
    registration_number varchar(60) NOT NULL,
    vat_number varchar(60) NOT NULL,
    approved_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO approved_registration (organisation, registration_number, vat_number)
SELECT id, registration_number, vat_number FROM organisation
WHERE partner_status IN ('active', 'flagged');
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="partners", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
