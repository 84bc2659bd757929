"""Billing's redundant indexes: invoice (payer) and invoice (partner) lead
invoice_payer_issued and invoice_partner_issued, and ledger_entry (organisation) leads
ledger_entry_account; each list reads the composite index that matches its order."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing indexes for big tenants"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Invoice",
        tablename="invoice",
        column_name="payer",
        db_column_name="payer",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="Invoice",
        tablename="invoice",
        column_name="partner",
        db_column_name="partner",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="LedgerEntry",
        tablename="ledger_entry",
        column_name="organisation",
        db_column_name="organisation",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )

    return manager
