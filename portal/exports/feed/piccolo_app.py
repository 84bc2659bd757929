import os

from piccolo.conf.apps import AppConfig

from portal.exports.feed.tables import BillingFeedVersion

APP_CONFIG = AppConfig(
    app_name="billing_feed",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[BillingFeedVersion],
    migration_dependencies=["portal.organisations.piccolo_app", "portal.billing.piccolo_app"],
    commands=[],
)
