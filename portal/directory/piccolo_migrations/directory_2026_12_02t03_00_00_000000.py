from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import SmallInt
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "directory ranking windows"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)
    manager.add_column(
        table_class_name="DirectoryListing",
        tablename="directory_listing",
        column_name="rank_window",
        db_column_name="rank_window",
        column_class_name="SmallInt",
        column_class=SmallInt,
        params={
            "default": 5,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
