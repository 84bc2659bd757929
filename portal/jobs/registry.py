"""What background work exists: jobs run on demand (queued by services) and periodic jobs
(cron expressions, UTC). Each domain declares its own in its jobs.py; portal/background.py lists
them all for the worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from portal.jobs.rules import FIRST_RETRY_DELAY
from portal.settings import Settings


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    job_id: int
    start: int  # 1 on the first start; a retry or a re-pick after a dead worker adds one
    max_attempts: int

    @property
    def last_attempt(self) -> bool:
        return self.start >= self.max_attempts


class JobFailed(Exception):
    """A failure that trying again would not mend, with what to tell people."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Job:
    """Work queued by a service. An exception is retried with back-off until MAX_ATTEMPTS
    starts; then `gave_up(context, payload, reason)` records the failure where people see it."""

    name: str
    run: Callable[[JobContext, dict[str, Any]], Awaitable[None]]
    gave_up: Callable[[JobContext, dict[str, Any], str], Awaitable[None]] | None = None
    max_attempts: int = 3
    first_retry_delay: timedelta = FIRST_RETRY_DELAY
    long_running: bool = False  # minutes of work (a report): runs beside quick jobs, never before


@dataclass(frozen=True)
class Periodic:
    """Work done on a schedule by exactly one worker at a time."""

    name: str
    cron: str  # UTC
    run: Callable[[Settings, datetime], Awaitable[None]]
