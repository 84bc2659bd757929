"""Delegation rules the database enforces itself, so that racing requests cannot break them:
one full-access partner per client, one open link per pair, a product delegated once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T04:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "delegation constraints"

SQL = """
ALTER TABLE partner_link ADD CONSTRAINT partner_link_status_known CHECK (status IN
    ('awaiting_client', 'awaiting_partner', 'active', 'refused', 'withdrawn', 'expired', 'stopped'));
ALTER TABLE partner_link ADD CONSTRAINT partner_link_access_known
    CHECK (access IS NULL OR access IN ('full', 'restricted'));
ALTER TABLE partner_link ADD CONSTRAINT partner_link_billing_with_full
    CHECK (access IS NULL OR (access = 'full') = (billing_mode IS NOT NULL));
ALTER TABLE partner_link ADD CONSTRAINT partner_link_not_self CHECK (client IS NULL OR client <> partner);
ALTER TABLE partner_link ADD CONSTRAINT partner_link_active_has_client
    CHECK (status <> 'active' OR (client IS NOT NULL AND access IS NOT NULL));
CREATE UNIQUE INDEX partner_link_one_full_per_client ON partner_link (client)
    WHERE status = 'active' AND access = 'full';
CREATE UNIQUE INDEX partner_link_one_open_per_pair ON partner_link (partner, client)
    WHERE status IN ('awaiting_client', 'awaiting_partner', 'active') AND client IS NOT NULL;
CREATE INDEX partner_link_partner_status ON partner_link (partner, status, id);
CREATE INDEX partner_link_client_status ON partner_link (client, status);
CREATE UNIQUE INDEX delegated_product_once ON delegated_product (product);
CREATE INDEX delegated_product_client ON delegated_product (client);
CREATE UNIQUE INDEX client_assignment_account ON client_assignment (link, account)
    WHERE account IS NOT NULL;
CREATE UNIQUE INDEX client_assignment_team ON client_assignment (link, team)
    WHERE team IS NOT NULL;
CREATE INDEX client_assignment_account_lookup ON client_assignment (account) WHERE account IS NOT NULL;
CREATE INDEX client_assignment_team_lookup ON client_assignment (team) WHERE team IS NOT NULL;
ALTER TABLE client_assignment ADD CONSTRAINT client_assignment_one_assignee
    CHECK ((account IS NULL) <> (team IS NULL));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clients", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
