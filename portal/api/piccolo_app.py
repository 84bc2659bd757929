import os

from piccolo.conf.apps import AppConfig

from portal.api.tables import IdempotentRequest

APP_CONFIG = AppConfig(
    app_name="api",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[IdempotentRequest],
    migration_dependencies=["portal.accounts.piccolo_app"],
    commands=[],
)
