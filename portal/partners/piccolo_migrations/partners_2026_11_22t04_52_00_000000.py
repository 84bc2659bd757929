"""One acceptance per commitment and terms version; an organisation is partner or affiliate."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T04:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "programme constraints"

SQL = """
CREATE UNIQUE INDEX commitment_once ON commitment_acceptance (organisation, commitment, terms_version);
CREATE INDEX website_check_latest ON website_check (organisation, checked_at DESC);
ALTER TABLE organisation ADD CONSTRAINT organisation_partner_status_known
    CHECK (partner_status IN ('none', 'applicant', 'review', 'active', 'flagged', 'rejected'));
ALTER TABLE organisation ADD CONSTRAINT organisation_partner_or_affiliate
    CHECK (NOT (is_affiliate AND partner_status IN ('active', 'flagged')));
CREATE INDEX organisation_partner_status ON organisation (partner_status) WHERE partner_status <> 'none';
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="partners", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
