"""Report files' redundant indexes: report_file (organisation) and report_subscription
(organisation) lead report_file_mine and report_subscription_once."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-12-03T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report file indexes for big tenants"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="report_files", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="ReportFile",
        tablename="report_file",
        column_name="organisation",
        db_column_name="organisation",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )
    manager.alter_column(
        table_class_name="ReportSubscription",
        tablename="report_subscription",
        column_name="organisation",
        db_column_name="organisation",
        params={"index": False},
        old_params={"index": True},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
    )

    return manager
