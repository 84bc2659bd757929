import os

from piccolo.conf.apps import AppConfig

from portal.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

APP_CONFIG = AppConfig(
    app_name="webhooks",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[WebhookEndpoint, WebhookEvent, WebhookDelivery, WebhookAttempt],
    migration_dependencies=["portal.organisations.piccolo_app", "portal.accounts.piccolo_app"],
    commands=[],
)
