"""The one database engine and the Piccolo apps, in dependency order.

The engine's address is bound at start-up (`portal.database.bind`), so importing this
module never needs a database.
"""

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine


class PortalEngine(PostgresEngine):
    """Piccolo asks the server's version when an engine is built, which would connect at
    import time; the address is only bound at start-up, so that check is skipped."""

    async def check_version(self) -> None:
        return None


DB = PortalEngine(
    config={"dsn": os.environ.get("DATABASE_URL", "postgresql:///portal")},
    extensions=(),
    log_queries=False,
)

APP_REGISTRY = AppRegistry(
    apps=[
        "portal.accounts.piccolo_app",
        "portal.organisations.piccolo_app",
        "portal.audit.piccolo_app",
        "portal.mail.piccolo_app",
        "portal.products.piccolo_app",
        "portal.clients.piccolo_app",
        "portal.partners.piccolo_app",
        "portal.billing.piccolo_app",
        "portal.jobs.piccolo_app",
        "portal.tenders.piccolo_app",
        "portal.directory.piccolo_app",
        "portal.exports.background.piccolo_app",
    ]
)
