"""Periodic clean-up the rest of the portal relies on: ended sessions and old outbox mails."""

from __future__ import annotations

import logging
from datetime import datetime

from portal.accounts.tables import WebSession
from portal.jobs import rules
from portal.jobs.registry import Periodic
from portal.mail.tables import OutboxMail
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


async def purge_old_outbox_mail(settings: Settings, now: datetime) -> int:
    deleted = (
        await OutboxMail.delete()
        .where(OutboxMail.created_at < rules.outbox_purge_before(now))
        .returning(OutboxMail.id)
    )
    log.info("Purged %d old outbox mail(s).", len(deleted))
    return len(deleted)


PERIODIC = [
    Periodic("housekeeping.purge_ended_sessions", "17 * * * *", purge_ended_sessions),
    Periodic("housekeeping.purge_old_outbox_mail", "23 3 * * *", purge_old_outbox_mail),
]
