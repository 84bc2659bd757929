"""The tenders' hourly work on the job queue's schedule: closing tenders past their deadline
(their authors and waiting partners are told) and deleting visitors' unconfirmed tenders."""

from __future__ import annotations

from datetime import datetime

from portal.jobs.registry import Periodic
from portal.settings import Settings


async def close_expired(settings: Settings, now: datetime) -> None:
    from portal.tenders.services import close_expired_tenders

    await close_expired_tenders(now, settings)


async def purge_unconfirmed(settings: Settings, now: datetime) -> None:
    from portal.tenders.services import purge_unconfirmed_tenders

    await purge_unconfirmed_tenders(now)


PERIODIC = [
    Periodic("tenders.close_expired", "11 * * * *", close_expired),
    Periodic("tenders.purge_unconfirmed", "41 * * * *", purge_unconfirmed),
]
