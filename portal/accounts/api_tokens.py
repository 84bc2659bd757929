"""The token behind an API request: its owner, read as a page reads a person (portal/core/
current.py), and where the token stands in its minute."""

from __future__ import annotations

from dataclasses import dataclass

from portal.accounts.rules import API_MINUTE, RateLimit, looks_like_api_token, rate_limit
from portal.core.current import Current, current_of_api_token
from portal.core.tokens import token_hash


@dataclass(frozen=True, slots=True)
class TokenUse:
    """An API request's token: its owner as they stand now (CURRENT is None when the owner no
    longer belongs to the token's organisation: the token stops working), and its minute."""

    token_id: int
    current: Current | None
    rate: RateLimit


async def use_api_token(token: str, ip_address: str, limit: int) -> TokenUse | None:
    """The token behind an API request, counted against its minute; None when it is not a
    live token (unknown, revoked or expired)."""
    if not looks_like_api_token(token):
        return None
    found = await current_of_api_token(token_hash(token), ip_address, API_MINUTE, limit)
    if found is None:
        return None
    current, row = found
    rate = rate_limit(row["minute_started_at"], row["minute_requests"], row["now"], limit)
    return TokenUse(row["token_id"], current if current.organisation else None, rate)
