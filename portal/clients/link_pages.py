"""What the pages of a link show about its life beyond grant and stop — end date, temporary
full access, requests, transfer code — and the client's inbox and ended collaborations, with
what the actor may do about them (asked of access.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from portal.access import Action, may
from portal.clients import queries, requests, rules, services
from portal.clients.forms import ending_form_values
from portal.core.current import Current
from portal.paging import NO_ROWS, Page, Position

ENDING_SOON = timedelta(days=30)


def _now() -> datetime:
    return datetime.now(UTC)


async def lifetime_context(current: Current, link: dict) -> dict:
    """A link's end date, temporary full access, requests and transfer code, with what the
    actor may do about them (asked of access.py)."""
    active = link["status"] == "active"
    running = await queries.running_elevation(link["id"]) if active else None
    history = await queries.requests_of_link(link["id"])
    as_client = current.organisation.id == link["client"]
    transfer = await queries.open_transfer_of_link(link["id"]) if as_client and active else None
    return lifetime_view(current, link, running, history, transfer, _now())


def lifetime_view(
    current: Current,
    link: dict,
    running: dict | None,
    history: list[dict],
    transfer: dict | None,
    now: datetime,
) -> dict:
    """lifetime_context from its rows: the running temporary full access, the link's
    requests (newest first) and its open transfer code."""
    resource = services.link_resource(link)
    active = link["status"] == "active"
    pending = [r for r in history if r["status"] == "pending" and r["expires_at"] > now]
    ends_at = link.get("ends_at")
    as_client = current.organisation.id == link["client"]
    return {
        "now": now,
        "ending": rules.ending_of(link),
        "ends_at": ends_at,
        "ending_soon": bool(active and ends_at and ends_at - now <= ENDING_SOON),
        "days_left": max((ends_at - now).days, 0) if ends_at else None,
        "elevation": running,
        "countdown": rules.countdown(running["ends_at"] - now) if running else "",
        "pending_requests": pending,
        "asked_elevation": next((r for r in pending if r["kind"] == "elevation"), None),
        "other_requests": [r for r in pending if r["kind"] != "elevation"],
        "request_history": history,
        "request_names": requests.REQUEST_NAMES,
        "describe_snapshot": lambda s: rules.describe(rules.grant_from_snapshot(s)) if s else "",
        "hours_text": requests.hours_text,
        "extension_choices": rules.EXTENSION_CHOICES,
        "auto_extension_days": rules.AUTO_EXTENSION_DAYS,
        "can_change": active and may(current.actor, Action.CHANGE_LINK, resource) and as_client,
        "can_request": active
        and not as_client
        and may(current.actor, Action.REQUEST_ON_LINK, resource),
        "can_end_elevation": bool(running) and may(current.actor, Action.END_ELEVATION, resource),
        "transfer": transfer,
        "ending_form": ending_form_values(rules.ending_of(link)),
        "elevation_form": {"length": "2", "unit": "hours", "reason": ""},
    }


# --- the collaborations that ended ------------------------------------------------------------

ENDED_PREFIX = "ended_"  # the list's paging parameters: ended_after=, ended_before=, ended_last=
ENDED_AT_END_DATE = "Reached its end date"
CLIENT_MOVED_AWAY = "The client moved to another partner"
MOVED_BY = "Moved to another partner by {name}"
ENDED_BY_PERSON = "Ended by {name} ({organisation})"
ENDED_BY_ORGANISATION = "Ended by {organisation}"


def how_it_ended(link: dict, side: str) -> str:
    """How a collaboration ended, said to SIDE ("partner" or "client")."""
    if link["status"] == rules.LinkStatus.ENDED:
        return ENDED_AT_END_DATE
    if link["status"] == rules.LinkStatus.TRANSFERRED:
        if side == "partner":
            return CLIENT_MOVED_AWAY
        return MOVED_BY.format(name=link["ended_by_name"] or link["ended_by_organisation"] or "")
    if link["ended_by_name"]:
        return ENDED_BY_PERSON.format(
            name=link["ended_by_name"], organisation=link["ended_by_organisation"] or ""
        )
    return ENDED_BY_ORGANISATION.format(organisation=link["ended_by_organisation"] or "")


async def ended_context(side: str, organisation_id: int, position: Position, shown: bool) -> dict:
    """The page at POSITION of SIDE's ended collaborations (for whoever sees them: SHOWN),
    each with the other side's name and how it ended."""
    page = await queries.ended_links(side, organisation_id, position) if shown else NO_ROWS
    return ended_view(side, page)


def ended_view(side: str, page: Page) -> dict:
    """What the ended list shows of PAGE, SIDE's ended collaborations: each with the other
    side's name and how it ended, and where its rows and pager lead."""
    other = "client_name" if side == "partner" else "partner_name"
    rows = [{**row, "other_name": row[other], "how": how_it_ended(row, side)} for row in page]
    return {
        "ended": replace(page, rows=rows),
        "ended_list": "clients.index" if side == "partner" else "clients.partners",
        "ended_route": "clients.show" if side == "partner" else "clients.partner",
        "ended_other": "Client" if side == "partner" else "Partner",
    }
