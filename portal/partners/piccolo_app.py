import os

from piccolo.conf.apps import AppConfig

from portal.organisations.tables import Referral
from portal.partners.tables import CommitmentAcceptance, StaffDecision, WebsiteCheck

APP_CONFIG = AppConfig(
    app_name="partners",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[CommitmentAcceptance, WebsiteCheck, StaffDecision, Referral],
    migration_dependencies=["portal.organisations.piccolo_app"],
    commands=[],
)
