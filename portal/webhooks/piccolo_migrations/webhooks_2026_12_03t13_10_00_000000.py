"""Webhooks: the states of a delivery, the indexes of an endpoint's deliveries and of the
organisation's endpoints by event type."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook constraints and indexes"

SQL = """
ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_status CHECK
    (status IN ('queued', 'sending', 'retrying', 'delivered', 'failed'));
CREATE INDEX webhook_delivery_of_endpoint ON webhook_delivery (endpoint, id DESC);
CREATE INDEX webhook_endpoint_listening ON webhook_endpoint (organisation) WHERE active;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="webhooks", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
