"""The job queue's tables, types, indexes and trigger, as pgqueuer declares them, and the
count of starts of each job (pgqueuer re-picks a job whose worker died without counting it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T23:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "install the pgqueuer schema and job_start"

JOB_START = """
CREATE TABLE job_start (
    job_id bigint PRIMARY KEY,
    entrypoint text NOT NULL,
    starts integer NOT NULL DEFAULT 1,
    first_started_at timestamptz NOT NULL DEFAULT now(),
    last_started_at timestamptz NOT NULL DEFAULT now()
);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="jobs", description=DESCRIPTION)

    async def run():
        from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment

        from portal.database import execute_script

        install = QueryBuilderEnvironment().build_install_query(create_schema=False)
        await execute_script(install + JOB_START)

    manager.add_raw(run)
    return manager
