import os

from piccolo.conf.apps import AppConfig

from portal.renewals.tables import Renewal, RenewalNotice

APP_CONFIG = AppConfig(
    app_name="renewals",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Renewal, RenewalNotice],
    migration_dependencies=["portal.billing.piccolo_app", "portal.clients.piccolo_app"],
    commands=[],
)
