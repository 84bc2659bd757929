"""The renewal run, hourly (UTC): a day's steps are taken by its first run, and a run missed
(an outage, a restart) is caught up by the next one."""

from __future__ import annotations

from datetime import datetime

from portal.jobs.registry import Periodic
from portal.renewals.run import run_renewals
from portal.settings import Settings


async def renew(settings: Settings, now: datetime) -> None:
    await run_renewals(settings, now)


PERIODIC = [Periodic("renewals.run", "7 * * * *", renew)]
