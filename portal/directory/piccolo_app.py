import os

from piccolo.conf.apps import AppConfig

from portal.directory.tables import DirectoryListing, DirectoryLogo, DirectoryState

APP_CONFIG = AppConfig(
    app_name="directory",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[DirectoryListing, DirectoryLogo, DirectoryState],
    migration_dependencies=["portal.organisations.piccolo_app"],
    commands=[],
)
