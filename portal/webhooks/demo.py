"""Demo webhooks: Alpine Web Studio's CRM endpoint, with deliveries it answered (and one it
did not), so that the endpoint's page shows what a person sees after a while."""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime

import asyncpg

from portal.webhooks.events import new_event_id
from portal.webhooks.rules import EventType, new_secret
from portal.webhooks.secrets import seal

URL = "https://crm.alpine-web.example/hooks/partner-portal"
EVENTS = [
    EventType.LINK_REQUESTED,
    EventType.LINK_GRANTED,
    EventType.LINK_CHANGED,
    EventType.LINK_STOPPED,
    EventType.INVOICE_ISSUED,
    EventType.CASHBACK_CREDITED,
    EventType.TENDER_ROUTED,
]


async def load_webhooks(connection: asyncpg.Connection, organisation_id: int) -> None:
    key = os.environ.get("PORTAL_SECRET_KEY") or secrets.token_urlsafe(32)
    endpoint = await connection.fetchval(
        "INSERT INTO webhook_endpoint (organisation, url, description, event_types, secret) "
        "VALUES ($1, $2, 'Our CRM', $3, $4) RETURNING id",
        organisation_id,
        URL,
        [e.value for e in EVENTS],
        seal(key, new_secret()),
    )
    history = [
        (EventType.LINK_GRANTED, 200, "ok", ""),
        (EventType.INVOICE_ISSUED, 200, '{"received": true}', ""),
        (EventType.TENDER_ROUTED, None, "", "No answer within 10 seconds."),
    ]
    for event_type, status, answer, error in history:
        event = await connection.fetchval(
            "INSERT INTO webhook_event (public_id, organisation, event_type, payload) "
            "VALUES ($1, $2, $3, $4::jsonb) RETURNING id",
            new_event_id(),
            organisation_id,
            event_type.value,
            json.dumps({"demo": True}),
        )
        delivered = status is not None
        delivery = await connection.fetchval(
            "INSERT INTO webhook_delivery (event, endpoint, status, attempts, first_attempt_at, "
            "delivered_at, last_status_code, last_error) VALUES ($1, $2, $3, 1, now(), $4, $5, "
            "$6) RETURNING id",
            event,
            endpoint,
            "delivered" if delivered else "failed",
            datetime.now(UTC) if delivered else None,
            status,
            error,
        )
        await connection.execute(
            "INSERT INTO webhook_attempt (delivery, duration_ms, status_code, response, error) "
            "VALUES ($1, $2, $3, $4, $5)",
            delivery,
            87 if delivered else 10_000,
            status,
            answer,
            error,
        )
