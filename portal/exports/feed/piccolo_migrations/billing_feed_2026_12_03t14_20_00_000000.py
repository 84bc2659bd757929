"""The invoices' index that report lines are read by (the billing feed, the API's report lines
and exports): a partner's period in issue order, so that a page of lines reads only the
invoices it shows. (The older invoice_partner_issued, newest first, cannot give that order
within a day: a page sorted every invoice of the day.)"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the invoices' issue-order index of report lines"

SQL = """
CREATE INDEX IF NOT EXISTS invoice_partner_issued_id ON invoice (partner, issued_on, id)
    WHERE partner IS NOT NULL;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing_feed", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
