"""The API's periodic work: answers kept for Idempotency-Keys are forgotten after a day."""

from datetime import datetime

from portal.api.idempotency import purge_old_keys
from portal.jobs.registry import Periodic
from portal.settings import Settings


async def forget_idempotency_keys(settings: Settings, now: datetime) -> None:
    await purge_old_keys(now)


PERIODIC = [Periodic("api.forget_idempotency_keys", "40 * * * *", forget_idempotency_keys)]
