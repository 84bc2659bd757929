import os

from piccolo.conf.apps import AppConfig

from portal.accounts.tables import (
    Account,
    ApiToken,
    BackupCode,
    LoginFailure,
    PasswordReset,
    WebSession,
)

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Account, BackupCode, WebSession, PasswordReset, LoginFailure, ApiToken],
    migration_dependencies=[],
    commands=[],
)
