import os

from piccolo.conf.apps import AppConfig

from portal.clients.tables import (
    ClientAssignment,
    DelegatedProduct,
    LinkRequest,
    LinkTransfer,
    PartnerLink,
    RequestTemplate,
)

APP_CONFIG = AppConfig(
    app_name="clients",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        PartnerLink,
        DelegatedProduct,
        ClientAssignment,
        LinkRequest,
        LinkTransfer,
        RequestTemplate,
    ],
    migration_dependencies=["portal.products.piccolo_app", "portal.audit.piccolo_app"],
    commands=[],
)
