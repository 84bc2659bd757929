"""Report files: the states they can be in, one monthly report per person and month, one
subscription per person and partner, and the indexes of "My reports" and of the expiry job."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T23:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report file constraints and indexes"

SQL = """
ALTER TABLE report_file ADD CONSTRAINT report_file_status CHECK
    (status IN ('queued', 'running', 'ready', 'failed', 'expired'));
ALTER TABLE report_file ADD CONSTRAINT report_file_kind CHECK (kind IN ('on_demand', 'monthly'));
ALTER TABLE report_file ADD CONSTRAINT report_file_format CHECK (file_format IN ('xlsx', 'csv'));
ALTER TABLE report_file ADD CONSTRAINT report_file_progress CHECK
    (rows_written >= 0 AND (rows_total IS NULL OR rows_written <= rows_total));
CREATE UNIQUE INDEX report_file_one_monthly ON report_file (organisation, requested_by, period_start)
    WHERE kind = 'monthly';
CREATE INDEX report_file_mine ON report_file (organisation, requested_by, id DESC);
CREATE INDEX report_file_expiring ON report_file (expires_at) WHERE status = 'ready';
ALTER TABLE report_subscription ADD CONSTRAINT report_subscription_once
    UNIQUE (organisation, account);
ALTER TABLE report_subscription ADD CONSTRAINT report_subscription_format CHECK
    (file_format IN ('xlsx', 'csv'));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="report_files", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
