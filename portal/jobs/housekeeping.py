"""The job queue's own periodic clean-up: its old log, and the record of reminders long past
(jobs/reminders.py). (Each domain cleans up its own rows: accounts/jobs.py the ended sessions,
mail/jobs.py the old outbox mails.)"""

from __future__ import annotations

import logging
from datetime import datetime

from piccolo.querystring import QueryString

from portal.jobs import rules
from portal.jobs.registry import Periodic
from portal.piccolo_conf import DB
from portal.settings import Settings

log = logging.getLogger(__name__)


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


async def purge_old_reminders(settings: Settings, now: datetime) -> int:
    """What reminders were sent is kept until well after their date (jobs/reminders.py)."""
    rows = await DB.run_querystring(
        QueryString(
            "WITH gone AS (DELETE FROM reminder_sent WHERE deadline < {} RETURNING 1) "
            "SELECT count(*) FROM gone",
            now - rules.REMINDERS_KEPT,
        )
    )
    log.info("Purged %d old reminder record(s).", rows[0]["count"])
    return rows[0]["count"]


PERIODIC = [
    Periodic("housekeeping.purge_old_job_log", "29 3 * * *", purge_old_job_log),
    Periodic("housekeeping.purge_old_reminders", "31 3 * * *", purge_old_reminders),
]
