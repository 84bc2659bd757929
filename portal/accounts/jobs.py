"""The accounts' periodic work: ended sessions are deleted (hourly)."""

from __future__ import annotations

import logging
from datetime import datetime

from portal.accounts.tables import WebSession
from portal.jobs import rules
from portal.jobs.registry import Periodic
from portal.settings import Settings

log = logging.getLogger(__name__)


async def purge_ended_sessions(settings: Settings, now: datetime) -> int:
    purge = rules.session_purge(now, settings.session_idle, settings.session_absolute)
    deleted = (
        await WebSession.delete()
        .where(
            (WebSession.ended_at < purge.ended_before)
            | (WebSession.last_seen_at < purge.last_seen_before)
            | (WebSession.created_at < purge.created_before)
        )
        .returning(WebSession.id)
    )
    log.info("Purged %d ended session(s).", len(deleted))
    return len(deleted)


# The "housekeeping." names are the schedules' keys in the queue's table: kept as they were.
PERIODIC = [
    Periodic("housekeeping.purge_ended_sessions", "17 * * * *", purge_ended_sessions),
]
