import os

from piccolo.conf.apps import AppConfig

from portal.organisations.tables import Invitation, Membership, Organisation, Team, TeamMember

APP_CONFIG = AppConfig(
    app_name="organisations",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Organisation, Membership, Team, TeamMember, Invitation],
    migration_dependencies=["portal.accounts.piccolo_app"],
    commands=[],
)
