"""What a partner asks of its client about a live collaboration (docs/rules.md, Delegation):
temporary full access for a bounded time, a later end date, other access — one by one or for
many clients at once, each client still deciding — and the request templates partners reuse.

Temporary full access starts when the client approves it (with the password, and the second
factor when on), shows a countdown on both sides, may be ended early by either side and reverts
by itself to exactly the grant before (services.settle_due, run by a periodic job and before any
read of the link)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from portal.access import Action, require
from portal.accounts.services import confirm_identity
from portal.clients import queries, rules
from portal.clients.rules import Access, Grant, LinkEvent, LinkStatus, RequestKind, RequestStatus
from portal.clients.services import (
    Side,
    activate_grant,
    extend_within,
    link_url,
    load_link,
    mail_side,
    record_both,
    revert_elevation,
    snapshot_of,
    tell_changes,
    utc_now,
)
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.piccolo_conf import DB
from portal.settings import Settings

ALREADY_WAITING = {
    RequestKind.ELEVATION: "A request for temporary full access is waiting or running already.",
    RequestKind.EXTENSION: "A request for a later end date is waiting already.",
    RequestKind.CHANGE: "A request for other access is waiting already.",
}


# --- temporary full access ----------------------------------------------------------------


async def request_elevation(
    settings: Settings, current: Current, link_id: int, length: timedelta, reason: str
) -> int:
    """A restricted partner asks for full access for LENGTH (1 hour to 7 days), saying why."""
    link = await load_link(current, link_id, Action.REQUEST_ON_LINK)
    grant = queries.grant_of(link) if link["status"] == LinkStatus.ACTIVE else None
    problems = rules.elevation_problems(grant, reason)
    if problems:
        raise FormErrors(problems)
    hours = int(length.total_seconds() // 3600)
    request_id = await _ask(
        settings,
        current,
        link,
        RequestKind.ELEVATION,
        {"reason": reason, "length_hours": hours},
        after={"hours": hours, "reason": reason},
        subject=f"{current.organisation.name} asks for temporary full access",
        body=f"{current.full_name} of {current.organisation.name} asks for full access to your "
        f"products for {hours_text(hours)}, starting when you approve it. It ends by itself "
        f"and your access settings come back as they are now.\n\nTheir reason:\n{reason}\n",
    )
    return request_id


def hours_text(hours: int) -> str:
    if hours % 24 == 0:
        days = hours // 24
        return "1 day" if days == 1 else f"{days} days"
    return "1 hour" if hours == 1 else f"{hours} hours"


async def approve_elevation(
    settings: Settings, current: Current, link_id: int, request_id: int, password: str, code: str
) -> None:
    """The client approves temporary full access with its password (and second factor): it
    starts now. The one-full-partner rule holds: not while another partner manages products
    of the client."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    await confirm_identity(current.user_id, password, code)
    async with DB.transaction():
        await queries.lock_link(link_id, link["client"])
        fresh = await queries.link_seen_by(link["client"], link_id)
        if fresh["status"] != LinkStatus.ACTIVE:
            raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(fresh["status"])])
        request = await _pending(link_id, request_id, RequestKind.ELEVATION)
        previous = queries.grant_of(fresh)
        if previous.is_full:
            raise Conflict("This partner has full access already.")
        now = utc_now()
        window = rules.elevation_window(now, timedelta(hours=request["length_hours"]))
        saved = await snapshot_of(link["client"], previous)
        await activate_grant(fresh, rules.ELEVATED, LinkEvent.CHANGED)
        await tell_changes(fresh, previous, rules.ELEVATED)
        await queries.update_request(
            request_id,
            {
                "status": RequestStatus.ACTIVE,
                "decided_at": now,
                "decided_by": current.user_id,
                "starts_at": window.starts_at,
                "ends_at": window.ends_at,
                "previous": saved,
            },
        )
        until = window.ends_at.isoformat(timespec="minutes")
        await record_both(
            fresh,
            current,
            "link.elevation_started",
            before=saved,
            after={
                **(await snapshot_of(link["client"], rules.ELEVATED)),
                "until": until,
                "hours": request["length_hours"],
            },
        )
        await mail_side(
            link["partner"],
            f"{link['client_name']} approved temporary full access",
            f"{current.full_name} of {link['client_name']} approved your temporary full access "
            f"to their products. It runs until {until} UTC, then your access is back to: "
            f"{rules.describe(previous)}.\n\n{link_url(settings, link, Side.PARTNER)}\n",
        )


async def end_elevation_early(current: Current, link_id: int) -> None:
    """Either side ends temporary full access before its time: the grant before comes back."""
    link = await load_link(current, link_id, Action.END_ELEVATION)
    async with DB.transaction():
        await queries.lock_link(link_id, link["client"])
        fresh = await queries.link_seen_by(link["client"], link_id)
        running = await queries.running_elevation(link_id)
        if running is None:
            raise Conflict("No temporary full access is running.")
        elevation = await queries.lock_request(running["id"])
        if elevation["status"] != RequestStatus.ACTIVE:
            raise Conflict(rules.REQUEST_PROBLEMS[RequestStatus(elevation["status"])])
        await revert_elevation(fresh, elevation, current)


# --- a later end date, other access ---------------------------------------------------------


async def request_extension(settings: Settings, current: Current, link_id: int, days: int) -> int:
    link = await load_link(current, link_id, Action.REQUEST_ON_LINK)
    _require_active(link)
    problem = rules.extension_problem(link["ends_at"], days, utc_now())
    if problem:
        raise FormErrors({"days": problem})
    until = rules.end_day(rules.extended_end(link["ends_at"], days)).isoformat()
    return await _ask(
        settings,
        current,
        link,
        RequestKind.EXTENSION,
        {"days": days},
        after={"days": days, "ends_on": until},
        subject=f"{current.organisation.name} asks to extend your collaboration",
        body=f"{current.full_name} of {current.organisation.name} asks you to extend your "
        f"collaboration by {days} days, until {until} (it now ends on "
        f"{rules.end_day(link['ends_at']).isoformat()}).\n",
    )


async def request_change(settings: Settings, current: Current, link_id: int, wanted: Grant) -> int:
    """The partner asks for other access: categories, or full access (the client picks the
    products and who pays when it answers)."""
    link = await load_link(current, link_id, Action.REQUEST_ON_LINK)
    _require_active(link)
    wanted = Grant(wanted.access, wanted.families)
    problems = {k: v for k, v in rules.grant_problems(wanted).items() if k != "billing_mode"}
    if "products" in problems:
        problems = {"families": "Choose at least one category, or ask for full access."}
    if problems:
        raise FormErrors(problems)
    return await _ask(
        settings,
        current,
        link,
        RequestKind.CHANGE,
        {"requested_access": wanted.access, "requested_families": sorted(wanted.families)},
        after=rules.grant_snapshot(wanted),
        subject=f"{current.organisation.name} asks for other access",
        body=f"{current.full_name} of {current.organisation.name} asks you to change what they "
        f"manage for you to: {rules.describe(wanted)} (now: "
        f"{rules.describe(queries.grant_of(link))}). You decide what they get.\n",
    )


def _require_active(link: dict) -> None:
    if link["status"] != LinkStatus.ACTIVE:
        raise Conflict(rules.STATUS_PROBLEMS[LinkStatus(link["status"])])


async def _ask(
    settings: Settings,
    current: Current,
    link: dict,
    kind: RequestKind,
    values: dict,
    *,
    after: dict,
    subject: str,
    body: str,
) -> int:
    """Write the partner's request of KIND, log it on both sides and tell the client."""
    async with DB.transaction():
        locked = await queries.lock_link(link["id"], link["client"])
        _require_active(locked)
        if await queries.open_request(link["id"], kind):
            raise Conflict(ALREADY_WAITING[kind])
        try:
            request_id = await queries.insert_request(
                {
                    "link": link["id"],
                    "kind": kind,
                    "status": RequestStatus.PENDING,
                    "created_by": current.user_id,
                    "expires_at": utc_now() + rules.REQUEST_LIFETIME,
                    **values,
                }
            )
        except asyncpg.UniqueViolationError:  # the same request sent twice at once
            raise Conflict(ALREADY_WAITING[kind]) from None
        await record_both(link, current, f"link.{kind}_requested", after=after)
        await mail_side(
            link["client"],
            subject,
            body + f"\nApprove or refuse it here (a legal representative decides; the request "
            f"is valid for {rules.REQUEST_LIFETIME.days} days):\n"
            f"{link_url(settings, link, Side.CLIENT)}\n",
        )
    return request_id


async def _pending(link_id: int, request_id: int, kind: RequestKind | None = None) -> dict:
    """The link's request, locked, if it still waits for an answer."""
    request = await queries.lock_request(request_id)
    if request is None or request["link"] != link_id or (kind and request["kind"] != kind):
        raise NotFound()
    problem = rules.request_problem(
        RequestStatus(request["status"]), request["expires_at"], utc_now()
    )
    if problem:
        raise Conflict(problem)
    return request


async def approve_extension(current: Current, link_id: int, request_id: int) -> None:
    """The client grants the later end date the partner asked for."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    async with DB.transaction():
        locked = await queries.lock_link(link_id, link["client"])
        _require_active(locked)
        request = await _pending(link_id, request_id, RequestKind.EXTENSION)
        await extend_within(link, locked["ends_at"], request["days"], current)
        await queries.update_request(
            request_id,
            {
                "status": RequestStatus.APPROVED,
                "decided_at": utc_now(),
                "decided_by": current.user_id,
            },
        )


async def refuse_request(current: Current, link_id: int, request_id: int) -> dict:
    """The client says no to a partner's request, of any kind."""
    link = await load_link(current, link_id, Action.CHANGE_LINK)
    async with DB.transaction():
        _require_active(await queries.lock_link(link_id, link["client"]))
        request = await _pending(link_id, request_id)
        await queries.update_request(
            request_id,
            {
                "status": RequestStatus.REFUSED,
                "decided_at": utc_now(),
                "decided_by": current.user_id,
            },
        )
        await record_both(link, current, f"link.{request['kind']}_refused")
        await mail_side(
            link["partner"],
            f"{link['client_name']} refused your request",
            f"{current.full_name} of {link['client_name']} refused your request "
            f"({REQUEST_NAMES[RequestKind(request['kind'])]}).\n",
        )
    return request


REQUEST_NAMES = {
    RequestKind.ELEVATION: "temporary full access",
    RequestKind.EXTENSION: "a later end date",
    RequestKind.CHANGE: "other access",
}


async def withdraw_link_request(current: Current, link_id: int, request_id: int) -> None:
    """The partner takes back a request the client has not answered."""
    link = await load_link(current, link_id, Action.REQUEST_ON_LINK)
    async with DB.transaction():
        _require_active(await queries.lock_link(link_id, link["client"]))
        request = await _pending(link_id, request_id)
        await queries.update_request(
            request_id, {"status": RequestStatus.WITHDRAWN, "decided_at": utc_now()}
        )
        await record_both(link, current, f"link.{request['kind']}_withdrawn")


# --- many clients at once -------------------------------------------------------------------


@dataclass
class BulkOutcome:
    """Which of the selected clients were asked, and why the others were not."""

    asked: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


async def request_for_many(
    settings: Settings,
    current: Current,
    link_ids: list[int],
    kind: RequestKind,
    *,
    days: int | None = None,
    wanted: Grant | None = None,
) -> BulkOutcome:
    """The same request (a later end date, or other access) to each selected client; each
    decides on its own. A client the request does not fit is skipped with the reason."""
    partner = current.organisation_resource()
    if not link_ids:
        raise FormErrors({"links": "Tick the clients to ask."})
    if kind is RequestKind.EXTENSION and days not in rules.EXTENSION_CHOICES:
        raise FormErrors({"days": "Choose how long to extend from the list."})
    if kind is RequestKind.CHANGE and wanted is None:
        raise FormErrors({"families": "Choose at least one category, or ask for full access."})
    links = await queries.active_links_of_partner(partner.organisation_id, link_ids)
    if not links:
        raise FormErrors({"links": "Tick the clients to ask."})
    outcome = BulkOutcome()
    for link in links:
        try:
            if kind is RequestKind.EXTENSION:
                await request_extension(settings, current, link["id"], days)
            else:
                await request_change(settings, current, link["id"], wanted)
        except FormErrors as error:
            problem = " ".join(error.errors.values())
            if kind is RequestKind.CHANGE:
                raise  # the same request for all: its problem is everyone's
            outcome.skipped.append((link["client_name"], problem))
        except Conflict as error:
            outcome.skipped.append((link["client_name"], error.detail))
        else:
            outcome.asked.append(link["client_name"])
    return outcome


# --- request templates ---------------------------------------------------------------------


async def create_template(current: Current, name: str, families: frozenset[str]) -> int:
    partner = current.organisation_resource()
    require(current.actor, Action.INVITE_CLIENT, partner)
    problems = {}
    if not families:
        problems["families"] = "Choose at least one category."
    elif not families <= rules.FAMILIES.keys():
        problems["families"] = "Choose categories from the list."
    if problems:
        raise FormErrors(problems)
    try:
        async with DB.transaction():
            return await queries.insert_template(
                {
                    "partner": partner.organisation_id,
                    "name": name,
                    "families": sorted(families),
                    "created_by": current.user_id,
                }
            )
    except asyncpg.UniqueViolationError:
        raise FormErrors({"name": "You have a template of this name already."}) from None


async def delete_template(current: Current, template_id: int) -> dict:
    partner = current.organisation_resource()
    require(current.actor, Action.INVITE_CLIENT, partner)
    template = await queries.template_of(partner.organisation_id, template_id)
    if template is None:
        raise NotFound()
    await queries.delete_template(template_id)
    return template


async def template_grant(current: Current, template_id: int) -> Grant:
    """The restricted access a template of the actor's organisation names."""
    partner = current.organisation_resource()
    template = await queries.template_of(partner.organisation_id, template_id)
    if template is None:
        raise FormErrors({"template": "Choose a template from the list."})
    return Grant(Access.RESTRICTED, frozenset(template["families"]))
