"""Periodic clean-up the rest of the portal relies on: ended sessions, old outbox mails, the
job queue's old log."""

from __future__ import annotations

import logging
from datetime import datetime

from piccolo.querystring import QueryString

from portal.accounts.tables import WebSession
from portal.jobs import rules
from portal.jobs.registry import Periodic
from portal.mail.tables import OutboxMail
from portal.piccolo_conf import DB
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


async def purge_old_job_log(settings: Settings, now: datetime) -> int:
    """The queue's own log of every job's states (its statistics are kept apart)."""
    rows = await DB.run_querystring(
        QueryString(
            "WITH gone AS (DELETE FROM pgqueuer_log WHERE created < {} RETURNING 1) "
            "SELECT count(*) FROM gone",
            rules.job_log_purge_before(now),
        )
    )
    log.info("Purged %d old job log row(s).", rows[0]["count"])
    return rows[0]["count"]


PERIODIC = [
    Periodic("housekeeping.purge_ended_sessions", "17 * * * *", purge_ended_sessions),
    Periodic("housekeeping.purge_old_outbox_mail", "23 3 * * *", purge_old_outbox_mail),
    Periodic("housekeeping.purge_old_job_log", "29 3 * * *", purge_old_job_log),
]
