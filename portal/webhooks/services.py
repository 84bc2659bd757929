"""An organisation's webhook endpoints: registered, switched off and on, their secret rotated,
removed; their deliveries listed with the endpoint's answers, and sent again. Managers only
(access.py, MANAGE_WEBHOOKS): the events speak of every client and of money."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from piccolo.querystring import QueryString

from portal.access import Action, require
from portal.audit.services import record, who_of
from portal.core.current import Current
from portal.database import storable_id
from portal.errors import FormErrors, NotFound
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page
from portal.piccolo_conf import DB
from portal.settings import Settings
from portal.webhooks import rules
from portal.webhooks.delivery import private_addresses_allowed
from portal.webhooks.events import queue_delivery
from portal.webhooks.secrets import seal

PAGE_SIZE = 25
TOO_MANY = f"An organisation has at most {rules.ENDPOINTS_PER_ORGANISATION} endpoints."


def _now() -> datetime:
    return datetime.now(UTC)


async def _run(sql: str, *args) -> list[dict]:
    return [dict(row) for row in await DB.run_querystring(QueryString(sql, *args))]


def _organisation(current: Current) -> int:
    organisation = current.organisation_resource()
    require(current.actor, Action.MANAGE_WEBHOOKS, organisation)
    return organisation.organisation_id


@dataclass(frozen=True)
class EndpointInput:
    url: str
    description: str
    event_types: tuple[str, ...]


def endpoint_problems(entered: EndpointInput) -> dict[str, str]:
    problems = {}
    url_problem = rules.endpoint_url_problem(entered.url, allow_private=private_addresses_allowed())
    if url_problem:
        problems["url"] = url_problem
    if not entered.event_types:
        problems["event_types"] = "Choose at least one event."
    return problems


def _status_label(status: str | None) -> str:
    return rules.DeliveryStatus(status).label if status else ""


async def endpoints(current: Current) -> list[dict]:
    organisation_id = _organisation(current)
    rows = await _run(
        """SELECT p.id, p.url, p.description, p.event_types, p.active, p.created_at,
                  (SELECT d.status FROM webhook_delivery d WHERE d.endpoint = p.id
                    ORDER BY d.id DESC LIMIT 1) AS last_status
           FROM webhook_endpoint p WHERE p.organisation = {} ORDER BY p.id""",
        organisation_id,
    )
    return [{**row, "last_status": _status_label(row["last_status"])} for row in rows]


async def create_endpoint(settings: Settings, current: Current, entered: EndpointInput) -> tuple:
    """The new endpoint's id and its secret, shown once."""
    organisation_id = _organisation(current)
    problems = endpoint_problems(entered)
    if problems:
        raise FormErrors(problems)
    secret = rules.new_secret()
    async with DB.transaction():
        await _run("SELECT id FROM organisation WHERE id = {} FOR NO KEY UPDATE", organisation_id)
        count = await _run(
            "SELECT count(*) AS n FROM webhook_endpoint WHERE organisation = {}", organisation_id
        )
        if count[0]["n"] >= rules.ENDPOINTS_PER_ORGANISATION:
            raise FormErrors({"url": TOO_MANY})
        rows = await _run(
            "INSERT INTO webhook_endpoint (organisation, url, description, event_types, secret, "
            "created_by) VALUES ({}, {}, {}, {}, {}, {}) RETURNING id",
            organisation_id,
            entered.url,
            entered.description,
            sorted(entered.event_types),
            seal(settings.secret_key, secret),
            current.user_id,
        )
        await record(
            organisation_id,
            who_of(current),
            "webhook.created",
            entered.url,
            after={"events": sorted(entered.event_types)},
        )
    return rows[0]["id"], secret


async def endpoint(current: Current, endpoint_id: int) -> dict:
    organisation_id = _organisation(current)
    if not storable_id(endpoint_id):
        raise NotFound()
    found = await endpoint_of(organisation_id, endpoint_id)
    if found is None:
        raise NotFound()
    return found


async def endpoint_of(organisation_id: int, endpoint_id: int) -> dict | None:
    """The organisation's endpoint ENDPOINT_ID; None when it has none of that id."""
    rows = await _run(
        "SELECT id, url, description, event_types, active, created_at, previous_until "
        "FROM webhook_endpoint WHERE id = {} AND organisation = {}",
        endpoint_id,
        organisation_id,
    )
    return rows[0] if rows else None


async def rotate_secret(settings: Settings, current: Current, endpoint_id: int) -> str:
    """A new secret, shown once; the previous one still signs (beside it) for 24 hours, so
    that the receiver can change over without losing a delivery."""
    found = await endpoint(current, endpoint_id)
    secret = rules.new_secret()
    async with DB.transaction():
        await _run(
            "UPDATE webhook_endpoint SET previous_secret = secret, previous_until = {}, "
            "secret = {} WHERE id = {}",
            _now() + rules.SECRET_OVERLAP,
            seal(settings.secret_key, secret),
            endpoint_id,
        )
        await record(
            current.organisation.id, who_of(current), "webhook.secret_rotated", found["url"]
        )
    return secret


async def set_active(current: Current, endpoint_id: int, active: bool) -> None:
    found = await endpoint(current, endpoint_id)
    async with DB.transaction():
        await _run("UPDATE webhook_endpoint SET active = {} WHERE id = {}", active, endpoint_id)
        action = "webhook.switched_on" if active else "webhook.switched_off"
        await record(current.organisation.id, who_of(current), action, found["url"])


async def remove(current: Current, endpoint_id: int) -> None:
    found = await endpoint(current, endpoint_id)
    async with DB.transaction():
        await _run("DELETE FROM webhook_endpoint WHERE id = {}", endpoint_id)
        await record(current.organisation.id, who_of(current), "webhook.removed", found["url"])


# Newest first by id, read from the endpoint's index (webhook_delivery_of_endpoint); each
# delivery's attempts are gathered for the page's rows only.
DELIVERY_ORDER = Order(("d.id",), ("id",), (Kind.ID,), descending=True)
DELIVERIES_SQL = """
SELECT d.id, d.status, d.attempts, d.redelivery_of, d.created_at, d.delivered_at,
       d.next_attempt_at, d.last_status_code, d.last_error,
       e.public_id AS event_id, e.event_type,
       coalesce((SELECT json_agg(json_build_object(
            'started_at', a.started_at, 'status_code', a.status_code,
            'duration_ms', a.duration_ms, 'response', a.response, 'error', a.error)
          ORDER BY a.id)
        FROM webhook_attempt a WHERE a.delivery = d.id), '[]') AS attempts_made
FROM (SELECT d.* FROM webhook_delivery d WHERE d.endpoint = {{}} {keyset}
      ORDER BY {order} LIMIT {limit}) d
JOIN webhook_event e ON e.id = d.event
ORDER BY {outer_order}
"""


async def deliveries(found: dict, position: Position = FIRST) -> Page:
    """The page at POSITION of the deliveries of FOUND (an endpoint as `endpoint` gave it to
    its actor), newest first, each with its attempts (answers kept)."""
    endpoint_id = found["id"]

    async def fetch(window: Window) -> list[dict]:
        sql = DELIVERIES_SQL.format(
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by_keys("d"),
        )
        return await _run(sql, endpoint_id, *window.arguments)

    page = await read_page(DELIVERY_ORDER.window(position, PAGE_SIZE), fetch)
    return replace(page, rows=[_shown_delivery(row) for row in page])


def _shown_delivery(row: dict) -> dict:
    if isinstance(row["attempts_made"], str):
        row["attempts_made"] = json.loads(row["attempts_made"])
    retrying = row["status"] == rules.DeliveryStatus.RETRYING
    return {
        **row,
        "next_try": row["next_attempt_at"] if retrying else None,
        "status": _status_label(row["status"]),
    }


async def redeliver(current: Current, delivery_id: int) -> int:
    """Send a delivery's event again to its endpoint (a new delivery, the same event id);
    its endpoint's id."""
    organisation_id = _organisation(current)
    if not storable_id(delivery_id):
        raise NotFound()
    rows = await _run(
        """SELECT d.id, d.event, d.endpoint, p.url, e.event_type, e.public_id
           FROM webhook_delivery d
           JOIN webhook_endpoint p ON p.id = d.endpoint
           JOIN webhook_event e ON e.id = d.event
           WHERE d.id = {} AND p.organisation = {}""",
        delivery_id,
        organisation_id,
    )
    if not rows:
        raise NotFound()
    delivery = rows[0]
    async with DB.transaction():
        await queue_delivery(delivery["event"], delivery["endpoint"], redelivery_of=delivery["id"])
        await record(
            organisation_id,
            who_of(current),
            "webhook.redelivered",
            delivery["url"],
            after={"event": delivery["public_id"], "type": delivery["event_type"]},
        )
    return delivery["endpoint"]
