"""A deposit or payout form sent twice (a double click, a browser resending it) asks once: each
form carries a submission key, unique per organisation."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T13:50:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "one deposit or payout per submission"

SQL = """
CREATE UNIQUE INDEX payment_request_submission ON payment_request (organisation, submission)
    WHERE submission <> '';
CREATE UNIQUE INDEX payout_submission ON payout (organisation, submission)
    WHERE submission <> '';
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
