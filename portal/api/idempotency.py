"""Writes sent with an `Idempotency-Key` header (docs/rules.md, The API): the key is claimed
in the write's own transaction, so the change and its stored answer commit together. The same
key again (a retry after a lost answer) gets that answer without a second change; a request
racing with it waits for the first to finish; a key reused for another request is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import msgspec
from litestar import Request, Response
from piccolo.querystring import QueryString

from portal.errors import FormErrors
from portal.piccolo_conf import DB

KEY_MAX = 255
KEPT = timedelta(hours=24)
REUSED = "This Idempotency-Key was used for another request: use a new key for a new request."
BAD_KEY = "An Idempotency-Key is 1 to 255 printable ASCII characters."


async def idempotent(
    request: Request,
    token_id: int,
    work: Callable[[], Awaitable[tuple[int, object]]],
) -> Response:
    """Run WORK (the write: its status and answer) once per Idempotency-Key of the token."""
    key = request.headers.get("idempotency-key")
    if key is None:
        status, body = await work()
        return Response(
            msgspec.json.encode(body), status_code=status, media_type="application/json"
        )
    if not (0 < len(key) <= KEY_MAX and all(" " <= c <= "~" for c in key)):
        raise FormErrors({"Idempotency-Key": BAD_KEY})
    fingerprint = hashlib.sha256(
        f"{request.method} {request.url.path}\n".encode() + await request.body()
    ).hexdigest()
    async with DB.transaction():
        claimed = await DB.run_querystring(
            QueryString(
                "INSERT INTO api_idempotent_request (token, key, fingerprint) VALUES ({}, {}, {}) "
                "ON CONFLICT (token, key) DO NOTHING RETURNING id",
                token_id,
                key,
                fingerprint,
            )
        )
        if not claimed:
            return await _replay(token_id, key, fingerprint)
        status, body = await work()
        encoded = msgspec.json.encode(body)
        await DB.run_querystring(
            QueryString(
                "UPDATE api_idempotent_request SET status_code = {}, body = {} WHERE id = {}",
                status,
                encoded.decode(),
                claimed[0]["id"],
            )
        )
    return Response(encoded, status_code=status, media_type="application/json")


async def _replay(token_id: int, key: str, fingerprint: str) -> Response:
    rows = await DB.run_querystring(
        QueryString(
            "SELECT fingerprint, status_code, body FROM api_idempotent_request "
            "WHERE token = {} AND key = {}",
            token_id,
            key,
        )
    )
    stored = rows[0]
    if stored["fingerprint"] != fingerprint:
        raise FormErrors({"Idempotency-Key": REUSED})
    return Response(
        stored["body"].encode(),
        status_code=stored["status_code"],
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


async def purge_old_keys(now: datetime | None = None) -> None:
    moment = (now or datetime.now(UTC)) - KEPT
    await DB.run_querystring(
        QueryString("DELETE FROM api_idempotent_request WHERE created_at < {}", moment)
    )
