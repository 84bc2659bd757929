"""Where a request comes from, as recorded on sessions and used for throttling."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip_address: str
    user_agent: str
