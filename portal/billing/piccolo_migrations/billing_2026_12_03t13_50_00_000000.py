"""The submission key of deposits and payouts (unique per organisation: the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "submission keys of deposits and payouts"



async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)
    for class_name, table in (("PaymentRequest", "payment_request"), ("Payout", "payout")):
        manager.add_column(
            table_class_name=class_name,
            tablename=table,
            column_name="submission",
            db_column_name="submission",
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                "length": 40,
                "default": "",
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )
    return manager
