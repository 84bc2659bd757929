"""Delegation's redundant indexes: partner_link (partner) and (client) lead
partner_link_partner_status and partner_link_client_status."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "delegation indexes for big tenants"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clients", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="PartnerLink",
        tablename="partner_link",
        column_name="partner",
        db_column_name="partner",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="PartnerLink",
        tablename="partner_link",
        column_name="client",
        db_column_name="client",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )

    return manager
