"""A demo API token: Alpine Web Studio's accounting export, used recently, so that Alice's
security page lists a token with its last use and address. Its value was never shown to
anyone (only its hash is kept): a person makes their own to try the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from portal.access import ApiArea, ApiLevel, scope
from portal.accounts.rules import API_TOKEN_PREFIX_SHOWN, new_api_token
from portal.core.tokens import token_hash

NAME = "Accounting export"
SCOPES = [scope(ApiArea.BILLING, ApiLevel.READ), scope(ApiArea.REPORTS, ApiLevel.READ)]
LAST_USED_FROM = "203.0.113.24"  # a documentation address (RFC 5737)


async def load_api_token(connection: asyncpg.Connection, email: str, organisation_id: int) -> None:
    token = new_api_token()
    now = datetime.now(UTC)
    await connection.execute(
        "INSERT INTO api_token (token_hash, prefix, account, organisation_id, name, scopes, "
        "created_at, expires_at, last_used_at, last_used_ip) "
        "SELECT $1, $2, id, $3, $4, $5, $6, $7, $8, $9 FROM account WHERE email = $10",
        token_hash(token),
        token[:API_TOKEN_PREFIX_SHOWN],
        organisation_id,
        NAME,
        SCOPES,
        now - timedelta(days=20),
        now + timedelta(days=345),
        now - timedelta(hours=3),
        LAST_USED_FROM,
        email,
    )
