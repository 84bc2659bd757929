import os

from piccolo.conf.apps import AppConfig

from portal.billing.tables import (
    BankEntry,
    BankStatement,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    PaymentRequest,
    Payout,
    PayoutExport,
    ProgrammeSetting,
)

APP_CONFIG = AppConfig(
    app_name="billing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        ProgrammeSetting,
        Invoice,
        InvoiceLine,
        LedgerEntry,
        PaymentRequest,
        BankStatement,
        BankEntry,
        PayoutExport,
        Payout,
    ],
    migration_dependencies=["portal.products.piccolo_app"],
    commands=[],
)
