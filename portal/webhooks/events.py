"""Telling an organisation's webhook endpoints of a change: one call, inside the transaction of
the change (docs/rules.md, Webhooks).

    await emit(EventType.LINK_GRANTED, organisation_id, {"link_id": 12, ...})

The event and one delivery per endpoint listening for its type are written, and their jobs
queued, in the caller's transaction: they exist exactly when the change is committed, and a
change rolled back sends nothing. Nothing is written for an organisation without such an
endpoint. The payload says what the organisation's managers may see (they manage the
endpoints): ids, names, statuses, amounts as text."""

from __future__ import annotations

import json
import secrets

from piccolo.querystring import QueryString

from portal.jobs.queue import enqueue
from portal.jobs.rules import MAIL_PRIORITY
from portal.piccolo_conf import DB
from portal.webhooks.rules import EventType, jsonable

DELIVER = "webhooks.deliver"  # the job (portal/webhooks/delivery.py)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


async def emit(event_type: EventType | str, organisation_id: int | None, payload: dict) -> int:
    """Queue EVENT_TYPE for ORGANISATION_ID's endpoints listening for it; how many."""
    if organisation_id is None:
        return 0
    event_type = EventType(event_type)
    async with DB.transaction():  # the caller's, when there is one
        endpoints = await DB.run_querystring(
            QueryString(
                "SELECT id FROM webhook_endpoint WHERE organisation = {} AND active "
                "AND {} = ANY(event_types) ORDER BY id",
                organisation_id,
                event_type.value,
            )
        )
        if not endpoints:
            return 0
        event = await DB.run_querystring(
            QueryString(
                "INSERT INTO webhook_event (public_id, organisation, event_type, payload) "
                "VALUES ({}, {}, {}, {}::jsonb) RETURNING id",
                new_event_id(),
                organisation_id,
                event_type.value,
                json.dumps(jsonable(payload)),
            )
        )
        for endpoint in endpoints:
            await queue_delivery(event[0]["id"], endpoint["id"])
    return len(endpoints)


async def queue_delivery(event_id: int, endpoint_id: int, redelivery_of: int | None = None) -> int:
    """A delivery of the event to the endpoint, and its job, in the caller's transaction."""
    rows = await DB.run_querystring(
        QueryString(
            "INSERT INTO webhook_delivery (event, endpoint, redelivery_of) VALUES ({}, {}, {}) "
            "RETURNING id",
            event_id,
            endpoint_id,
            redelivery_of,
        )
    )
    delivery_id = rows[0]["id"]
    await enqueue(DELIVER, {"delivery_id": delivery_id}, priority=MAIL_PRIORITY)
    return delivery_id
