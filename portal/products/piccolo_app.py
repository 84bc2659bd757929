import os

from piccolo.conf.apps import AppConfig

from portal.products.tables import CatalogueItem, CataloguePrice, Product

APP_CONFIG = AppConfig(
    app_name="products",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[CatalogueItem, CataloguePrice, Product],
    migration_dependencies=["portal.organisations.piccolo_app"],
    commands=[],
)
