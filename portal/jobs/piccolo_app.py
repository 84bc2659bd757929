import os

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="jobs",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[],  # pgqueuer owns its tables; the migration installs them
    migration_dependencies=[],
    commands=[],
)
