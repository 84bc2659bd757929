import os

from piccolo.conf.apps import AppConfig

from portal.products.tables import CatalogueItem, CataloguePrice, Product, ProductAccess

APP_CONFIG = AppConfig(
    app_name="products",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[CatalogueItem, CataloguePrice, Product, ProductAccess],
    migration_dependencies=["portal.organisations.piccolo_app"],
    commands=[],
)
