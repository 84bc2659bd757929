"""The tenders' background work on the job queue: telling the routed partners of a new tender
off the request that published it (a tender may reach hundreds of partners), and, hourly,
closing tenders past their deadline (their authors and waiting partners are told) and deleting
visitors' unconfirmed tenders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.jobs.registry import Job, JobContext, Periodic
from portal.settings import Settings
from portal.tenders.services import (
    NOTIFY_RECIPIENTS,
    close_expired_tenders,
    notify_recipients,
    purge_unconfirmed_tenders,
)


async def _notify_recipients(context: JobContext, payload: dict[str, Any]) -> None:
    await notify_recipients(context.settings, int(payload["tender_id"]))


async def close_expired(settings: Settings, now: datetime) -> None:
    await close_expired_tenders(now, settings)


async def purge_unconfirmed(settings: Settings, now: datetime) -> None:
    await purge_unconfirmed_tenders(now)


JOBS = [Job(NOTIFY_RECIPIENTS, _notify_recipients, max_attempts=5)]

PERIODIC = [
    Periodic("tenders.close_expired", "11 * * * *", close_expired),
    Periodic("tenders.purge_unconfirmed", "41 * * * *", purge_unconfirmed),
]
