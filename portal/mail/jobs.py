"""The mail's background work: handing a queued mail to SMTP (at least once, deduplicated
by Message-ID), tried again with back-off while the server refuses it for now, cannot be
reached, or another worker holds the mail (5 s, 10 s … about half an hour in all)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from portal.jobs import rules
from portal.jobs.registry import Job, JobContext, JobFailed, Periodic
from portal.mail.services import (
    DELIVER_MAIL,
    MailNotDelivered,
    deliver_queued_mail,
    record_delivery_error,
    release_held_mail,
)
from portal.mail.tables import OutboxMail
from portal.settings import Settings

log = logging.getLogger(__name__)


async def _deliver(context: JobContext, payload: dict[str, Any]) -> None:
    try:
        await deliver_queued_mail(context.settings, int(payload["outbox_id"]))
    except MailNotDelivered as failure:
        if failure.permanent:
            raise JobFailed(f"the mail server refused it: {failure.reason}") from failure
        if context.last_attempt:
            raise JobFailed(
                f"tried {context.max_attempts} times; last error: {failure.reason}"
            ) from failure
        raise  # the worker tries again later


async def _gave_up(context: JobContext, payload: dict[str, Any], reason: str) -> None:
    """The reason stays on the outbox row, where the mail is looked for."""
    await record_delivery_error(int(payload["outbox_id"]), f"Not delivered: {reason}")


JOBS = [Job(DELIVER_MAIL, _deliver, gave_up=_gave_up, max_attempts=10)]


async def _release_held(settings: Settings, now: datetime) -> None:
    await release_held_mail(settings)


async def purge_old_outbox_mail(settings: Settings, now: datetime) -> int:
    deleted = (
        await OutboxMail.delete()
        .where(OutboxMail.created_at < rules.outbox_purge_before(now))
        .returning(OutboxMail.id)
    )
    log.info("Purged %d old outbox mail(s).", len(deleted))
    return len(deleted)


PERIODIC = [
    # every minute: a portal given an SMTP server sends what it held without one soon after
    Periodic("mail.release_held", "* * * * *", _release_held),
    # "housekeeping.": the schedule's key in the queue's table, kept as it was
    Periodic("housekeeping.purge_old_outbox_mail", "23 3 * * *", purge_old_outbox_mail),
]
