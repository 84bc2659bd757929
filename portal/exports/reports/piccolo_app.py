import os

from piccolo.conf.apps import AppConfig

from portal.exports.reports.tables import ReportFile, ReportSubscription

APP_CONFIG = AppConfig(
    app_name="report_files",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[ReportFile, ReportSubscription],
    migration_dependencies=["portal.organisations.piccolo_app", "portal.jobs.piccolo_app"],
    commands=[],
)
