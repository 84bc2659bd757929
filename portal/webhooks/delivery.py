"""The worker's side of webhooks: send a delivery, signed, and record the endpoint's answer.
A 2xx answer delivers it; anything else is tried again with back-off for a day after its first
attempt (rules.RETRY_DELAYS), each retry queued as a job of its own in the transaction that
records the failed attempt. A delivery is claimed before it is sent, so two workers holding
its job never both send it; a claim left by a worker that died is taken again after
CLAIM_LAPSES. Receivers drop a second copy by the event id (at least once, never lost)."""

from __future__ import annotations

import json
import logging
import os
import ssl
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from piccolo.querystring import QueryString

from portal.jobs.queue import enqueue
from portal.jobs.registry import Job, JobContext, Periodic
from portal.jobs.rules import MAIL_PRIORITY
from portal.outbound import RefusedAddress, private_hosts_hook
from portal.piccolo_conf import DB
from portal.webhooks import rules
from portal.webhooks.events import DELIVER
from portal.webhooks.secrets import unseal

log = logging.getLogger(__name__)

USER_AGENT = "PartnerPortal-Webhooks/1.0"
CLAIM_LAPSES = timedelta(minutes=5)
# A closed installation may let deliveries reach loopback and private networks (tests, an
# intranet receiver); never link-local (portal/outbound.py).
ALLOW_PRIVATE_ENV = "PORTAL_ALLOW_PRIVATE_WEBHOOKS"


def private_addresses_allowed() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV) == "1"


def tls_context() -> ssl.SSLContext:
    """The system's certificate authorities, or those of SSL_CERT_FILE (a closed network's
    own authority; the tests' receiver)."""
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or None)


CLAIM_SQL = """
UPDATE webhook_delivery d SET status = 'sending', claimed_at = now(), attempts = attempts + 1,
       first_attempt_at = coalesce(first_attempt_at, now())
WHERE d.id = {} AND (d.status IN ('queued', 'retrying')
                     OR (d.status = 'sending' AND d.claimed_at < now() - {}::interval))
RETURNING d.id, d.attempts, d.first_attempt_at, d.event, d.endpoint
"""
LOAD_SQL = """
SELECT e.public_id, e.event_type, e.organisation, e.payload, e.created_at,
       p.url, p.active, p.secret, p.previous_secret, p.previous_until
FROM webhook_event e, webhook_endpoint p WHERE e.id = {} AND p.id = {}
"""


async def deliver(secret_key: str, delivery_id: int) -> str | None:
    """Send the delivery once if it waits; its new status, or None when nothing was to do."""
    claimed = await _run(CLAIM_SQL, delivery_id, CLAIM_LAPSES)
    if not claimed:
        return None  # delivered, given up, or in another worker's hands
    delivery = claimed[0]
    found = await _run(LOAD_SQL, delivery["event"], delivery["endpoint"])
    now = datetime.now(UTC)
    if not found or not found[0]["active"]:
        await _finish(delivery, now, None, "", "The endpoint was switched off or removed.", 0)
        return "failed"
    event = found[0]
    body = json.dumps(
        {
            "id": event["public_id"],
            "type": event["event_type"],
            "created_at": event["created_at"].isoformat(),
            "organisation_id": event["organisation"],
            "data": _payload(event["payload"]),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    signing = [unseal(secret_key, event["secret"])]
    if event["previous_secret"]:
        signing.append(unseal(secret_key, event["previous_secret"]))
    in_force = rules.secrets_in_force(
        signing[0], signing[1] if len(signing) > 1 else None, event["previous_until"], now
    )
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "portal-event-id": event["public_id"],
        "portal-event-type": event["event_type"],
        "portal-delivery-id": str(delivery_id),
        rules.SIGNATURE_HEADER.lower(): rules.signature_header(
            [s for s in in_force if s], int(now.timestamp()), body
        ),
    }
    status_code, response, error, elapsed = await _post(event["url"], headers, body)
    return await _finish(delivery, datetime.now(UTC), status_code, response, error, elapsed)


async def _post(url: str, headers: dict, body: bytes) -> tuple[int | None, str, str, int]:
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(
            timeout=rules.TIMEOUT_SECONDS,
            follow_redirects=False,
            verify=tls_context(),
            trust_env=False,  # no proxy from the environment: the address check holds
            event_hooks={
                "request": [
                    private_hosts_hook(
                        allow_private=private_addresses_allowed(), schemes=frozenset({"https"})
                    )
                ]
            },
        ) as client:
            response = await client.post(url, content=body, headers=headers)
            text = response.text[: rules.RESPONSE_KEPT]
            return response.status_code, text, "", _ms(started)
    except RefusedAddress as refused:
        return None, "", f"Refused: {refused}.", _ms(started)
    except httpx.TimeoutException:
        return None, "", f"No answer within {rules.TIMEOUT_SECONDS:.0f} seconds.", _ms(started)
    except (httpx.HTTPError, OSError, ValueError) as error:
        return (
            None,
            "",
            f"The endpoint could not be reached ({type(error).__name__}).",
            _ms(started),
        )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def _finish(
    delivery: dict, now: datetime, status_code: int | None, response: str, error: str, ms: int
) -> str:
    """Record the attempt and the delivery's new status; queue the next try, if any, in the
    same transaction."""
    if rules.delivered(status_code):
        status, retry_at = "delivered", None
    else:
        retry_at = (
            rules.next_attempt(delivery["attempts"], delivery["first_attempt_at"], now)
            if not error.startswith("The endpoint was switched off")
            else None
        )
        status = "retrying" if retry_at else "failed"
        if not error and status_code is not None:
            error = f"HTTP {status_code}"
    async with DB.transaction():
        await _run(
            "INSERT INTO webhook_attempt (delivery, started_at, duration_ms, status_code, "
            "response, error) VALUES ({}, {}, {}, {}, {}, {})",
            delivery["id"],
            now,
            ms,
            status_code,
            response.replace("\x00", ""),
            error,
        )
        await _run(
            "UPDATE webhook_delivery SET status = {}, last_status_code = {}, last_error = {}, "
            "next_attempt_at = {}, delivered_at = {}, claimed_at = NULL WHERE id = {}",
            status,
            status_code,
            error,
            retry_at,
            now if status == "delivered" else None,
            delivery["id"],
        )
        if retry_at is not None:
            await enqueue(
                DELIVER,
                {"delivery_id": delivery["id"]},
                delay=retry_at - now,
                priority=MAIL_PRIORITY,
            )
    return status


def _payload(stored: Any) -> Any:
    return json.loads(stored) if isinstance(stored, str) else stored


async def _run(sql: str, *args) -> list[dict]:
    return await DB.run_querystring(QueryString(sql, *args))


async def _deliver_job(context: JobContext, payload: dict[str, Any]) -> None:
    await deliver(context.settings.secret_key, int(payload["delivery_id"]))


# Each try is a job of its own (the retries are the delivery's, not the queue's): the queue
# retries a job only when the worker itself failed (the database away), a few times.
JOBS = [Job(DELIVER, _deliver_job, max_attempts=5)]


RESUME_SQL = """
SELECT id FROM webhook_delivery
WHERE (status = 'sending' AND claimed_at < now() - {}::interval)
   OR (status IN ('queued', 'retrying')
       AND coalesce(next_attempt_at, created_at) < now() - {}::interval)
ORDER BY id LIMIT 1000
"""


async def resume_stalled_deliveries(settings, now: datetime) -> int:
    """Every 10 minutes: a delivery whose job was lost (a worker died while sending, a queue
    emptied by hand) is queued again; its claim keeps it from being sent twice at once."""
    stalled = await _run(RESUME_SQL, CLAIM_LAPSES, timedelta(minutes=10))
    for row in stalled:
        await enqueue(DELIVER, {"delivery_id": row["id"]}, priority=MAIL_PRIORITY)
    if stalled:
        log.warning("Queued %d stalled webhook deliveries again.", len(stalled))
    return len(stalled)


PERIODIC = [Periodic("webhooks.resume_stalled", "*/10 * * * *", resume_stalled_deliveries)]
