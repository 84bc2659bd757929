import os

from piccolo.conf.apps import AppConfig

from portal.tenders.tables import Quote, Tender, TenderPreference, TenderRecipient

APP_CONFIG = AppConfig(
    app_name="tenders",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Tender, TenderRecipient, Quote, TenderPreference],
    migration_dependencies=["portal.organisations.piccolo_app", "portal.partners.piccolo_app"],
    commands=[],
)
