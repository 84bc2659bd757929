"""The one database engine and the Piccolo apps, in dependency order.

The engine's address is bound at start-up (`portal.database.bind`), so importing this
module never needs a database.
"""

import os

import asyncpg
from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from portal.errors import DatabaseUnavailable

# Nothing waits for the database without end: a new connection gets CONNECT_TIMEOUT seconds,
# a pooled one ACQUIRE_TIMEOUT when all are busy (the web's statements are bounded where its
# pool is made, portal/app.py).
CONNECT_TIMEOUT = 5
ACQUIRE_TIMEOUT = 10


async def keep_session_state(connection: asyncpg.Connection) -> None:
    """asyncpg resets a connection's session state on release (a second round trip after every
    transaction or pooled query). The portal sets no session state — no SET, LISTEN or session
    advisory locks on pooled connections — so only the rollback of an open transaction, which
    asyncpg still does, is needed."""
    return None


class PortalEngine(PostgresEngine):
    """Piccolo asks the server's version when an engine is built, which would connect at
    import time; the address is only bound at start-up, so that check is skipped."""

    async def check_version(self) -> None:
        return None

    async def start_connection_pool(self, **options) -> None:
        """A pool that heals: a connection the server closed (a restart) is replaced when it
        is next taken, and one that cannot be made raises DatabaseUnavailable. Connections
        go back to it without a reset (keep_session_state), in the server and the workers."""
        if self.pool is not None:
            raise RuntimeError("The connection pool is already started.")
        self.pool = await BoundedPool(
            **{
                "min_size": 1,
                "max_size": 10,
                "max_queries": 50_000,
                "max_inactive_connection_lifetime": 300.0,
                "loop": None,
                "connection_class": asyncpg.Connection,
                "record_class": asyncpg.Record,
                "connect": connect_or_unavailable,
                "timeout": CONNECT_TIMEOUT,
                "reset": keep_session_state,
                **self.config,
                **options,
            }
        )


class BoundedPool(asyncpg.Pool):
    """asyncpg's pool (as asyncpg.create_pool makes it), whose acquire has a time limit
    whoever calls it: Piccolo's queries and transactions, the job queue."""

    def acquire(self, *, timeout: float | None = None):
        return super().acquire(timeout=ACQUIRE_TIMEOUT if timeout is None else timeout)


async def connect_or_unavailable(*args, **kwargs) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(*args, **kwargs)
    except (OSError, TimeoutError, asyncpg.PostgresError) as error:
        raise DatabaseUnavailable(f"cannot connect to the database: {error}") from error


DB = PortalEngine(
    config={"dsn": os.environ.get("DATABASE_URL", "postgresql:///portal")},
    extensions=(),
    log_queries=False,
)

APP_REGISTRY = AppRegistry(
    apps=[
        "portal.accounts.piccolo_app",
        "portal.organisations.piccolo_app",
        "portal.webhooks.piccolo_app",
        "portal.audit.piccolo_app",
        "portal.mail.piccolo_app",
        "portal.products.piccolo_app",
        "portal.clients.piccolo_app",
        "portal.partners.piccolo_app",
        "portal.billing.piccolo_app",
        "portal.renewals.piccolo_app",
        "portal.jobs.piccolo_app",
        "portal.tenders.piccolo_app",
        "portal.directory.piccolo_app",
        "portal.exports.reports.piccolo_app",
        "portal.exports.feed.piccolo_app",
        "portal.api.piccolo_app",
    ]
)
