"""Writing to and reading the append-only audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from portal.audit.sentences import Catalogue, Names, product_ids_of, sentence
from portal.audit.tables import AuditEvent
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page

if TYPE_CHECKING:
    from portal.core.current import Current

PAGE_SIZE = 50
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class Who:
    """The person acting, and (when acting inside another organisation) for whom."""

    user_id: int | None
    name: str
    acting_for_id: int | None = None


# What the portal does by itself (an end date comes, temporary access runs out): nobody's act.
PORTAL = Who(None, "Partner Portal")


def who_of(current: Current, acting_for: int | None = None) -> Who:
    """The logged-in person as the log names them: "Full Name <email>"."""
    return Who(current.user_id, f"{current.full_name} <{current.email}>", acting_for)


async def record(
    organisation_id: int,
    who: Who,
    action: str,
    subject: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    subject_role: str | None = None,
    link_id: int | None = None,
) -> None:
    """One entry in ORGANISATION_ID's log. SUBJECT_ROLE says what the subject is to that
    organisation (its "partner" or its "client"), so that the entry reads in its terms."""
    await AuditEvent.insert(
        AuditEvent(
            organisation=organisation_id,
            actor=who.user_id,
            actor_name=who.name[:320],  # the column's size; names can be long
            acting_for_id=who.acting_for_id,
            action=action,
            subject=subject[:300],
            before=before,
            after=after,
            subject_role=subject_role,
            link_id=link_id,
        )
    )


async def record_many(who: Who, entries: Sequence[tuple[int, str, str, dict | None]]) -> None:
    """Many entries by WHO in one statement: (organisation, action, subject, after) each."""
    if entries:
        await AuditEvent.raw("{}", insert_many(who, entries))


def insert_many(who: Who, entries: Sequence[tuple[int, str, str, dict | None]]) -> QueryString:
    """The statement record_many runs, for a caller that writes it with others at once (as
    the last part of a WITH)."""
    organisations, actions, subjects, afters = (
        [list(c) for c in zip(*entries, strict=True)] if entries else [[], [], [], []]
    )
    return QueryString(
        """INSERT INTO audit_event (organisation, actor, actor_name, acting_for_id, action,
                                    subject, after)
           SELECT organisation, {}, {}, {}, action, left(subject, 300), after::jsonb
           FROM unnest({}::int[], {}::text[], {}::text[], {}::text[])
                AS v(organisation, action, subject, after)""",
        who.user_id,
        who.name[:320],
        who.acting_for_id,
        organisations,
        actions,
        subjects,
        [None if after is None else json.dumps(after) for after in afters],
    )


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    subject: str = ""  # exact: the entries about one client, partner, member or team
    day_from: date | None = None
    day_to: date | None = None


EVENT_COLUMNS = (
    AuditEvent.id,
    AuditEvent.actor,
    AuditEvent.actor_name,
    AuditEvent.action,
    AuditEvent.subject,
    AuditEvent.before,
    AuditEvent.after,
    AuditEvent.created_at,
    AuditEvent.acting_for_id,
    AuditEvent.subject_role,
    AuditEvent.link_id,
)


def _filtered(organisation_id: int, where: AuditFilter, ascending: bool = False):
    query = AuditEvent.select(*EVENT_COLUMNS).where(AuditEvent.organisation == organisation_id)
    if where.action:
        query = query.where(AuditEvent.action.like(_literally(where.action) + "%"))
    if where.actor:
        query = query.where(AuditEvent.actor_name.ilike("%" + _literally(where.actor) + "%"))
    if where.subject:
        query = query.where(AuditEvent.subject == where.subject)
    if where.day_from:
        query = query.where(AuditEvent.created_at >= datetime.combine(where.day_from, time(), UTC))
    if where.day_to and where.day_to < date.max:
        end = datetime.combine(where.day_to + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.created_at < end)
    return query.order_by(AuditEvent.created_at, AuditEvent.id, ascending=ascending)


# Newest first; the id breaks ties between entries of the same microsecond. The index
# audit_event_organisation_time (organisation, created_at DESC, id DESC) reads any page directly.
ORDER = Order(("created_at", "id"), ("created_at", "id"), (Kind.TIME, Kind.ID), descending=True)


async def events_of(
    organisation_id: int, where: AuditFilter, position: Position = FIRST, size: int = PAGE_SIZE
) -> Page:
    """The page of the organisation's log at POSITION, newest first."""

    async def fetch(window: Window) -> list[dict]:
        query = _filtered(organisation_id, where, ascending=window.ascending)
        if window.condition:
            query = query.where(WhereRaw(window.condition, *window.arguments))
        return await query.limit(window.limit).output(load_json=True)

    return await read_page(ORDER.window(position, size), fetch)


async def events_after(
    organisation_id: int, where: AuditFilter, cursor: tuple[datetime, int] | None, limit: int
) -> list[dict]:
    """The next LIMIT entries after CURSOR (the time and id of the last one read), newest
    first: a download walks the whole log along its index."""
    query = _filtered(organisation_id, where)
    if cursor is not None:
        created_at, event_id = cursor
        query = query.where(
            (AuditEvent.created_at < created_at)
            | ((AuditEvent.created_at == created_at) & (AuditEvent.id < event_id))
        )
    return await query.limit(limit).output(load_json=True)


def _literally(text: str) -> str:
    """TEXT inside a LIKE pattern, matching itself only (no wildcard, no dangling escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def recent_events(organisation_id: int, limit: int = 8) -> list[dict]:
    """The newest entries, for the overview (the organisation-and-time index serves it)."""
    return await _filtered(organisation_id, AuditFilter()).limit(limit).output(load_json=True)


async def names_for(events: list[dict]) -> Names:
    """The names the entries refer to by id: products, and the organisations people acted
    for."""
    product_ids = sorted(set().union(*(product_ids_of(event) for event in events)))
    organisation_ids = sorted({e["acting_for_id"] for e in events if e.get("acting_for_id")})
    products, organisations = {}, {}
    if product_ids:
        rows = await AuditEvent.raw("SELECT id, name FROM product WHERE id = ANY({})", product_ids)
        products = {row["id"]: row["name"] for row in rows}
    if organisation_ids:
        rows = await AuditEvent.raw(
            "SELECT id, name FROM organisation WHERE id = ANY({})", organisation_ids
        )
        organisations = {row["id"]: row["name"] for row in rows}
    return Names(products, organisations)


async def with_sentences(events: list[dict], catalogue: Catalogue) -> list[dict]:
    """EVENTS, each with its SENTENCE, as its organisation reads it."""
    names = await names_for(events)
    return [{**event, "sentence": sentence(event, catalogue, names)} for event in events]
