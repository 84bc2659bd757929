"""Writing to and reading the append-only audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from portal.audit.tables import AuditEvent

if TYPE_CHECKING:
    from portal.core.current import Current

PAGE_SIZE = 50


@dataclass(frozen=True)
class Who:
    """The person acting, and (when acting inside another organisation) for whom."""

    user_id: int | None
    name: str
    acting_for_id: int | None = None


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
) -> None:
    await AuditEvent.insert(
        AuditEvent(
            organisation=organisation_id,
            actor=who.user_id,
            actor_name=who.name[:320],  # the column's size; names can be long
            acting_for_id=who.acting_for_id,
            action=action,
            subject=subject,
            before=before,
            after=after,
        )
    )


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    subject: str = ""  # exact: the entries about one client, partner, member or team
    day_from: date | None = None
    day_to: date | None = None


async def events_of(organisation_id: int, where: AuditFilter, page: int) -> tuple[list[dict], bool]:
    """One page of the organisation's log, newest first; and whether a next page exists."""
    query = AuditEvent.select(
        AuditEvent.id,
        AuditEvent.actor_name,
        AuditEvent.action,
        AuditEvent.subject,
        AuditEvent.before,
        AuditEvent.after,
        AuditEvent.created_at,
        AuditEvent.acting_for_id,
    ).where(AuditEvent.organisation == organisation_id)
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
    rows = await (
        query.order_by(AuditEvent.created_at, ascending=False)
        .order_by(AuditEvent.id, ascending=False)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
        .output(load_json=True)
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _literally(text: str) -> str:
    """TEXT inside a LIKE pattern, matching itself only (no wildcard, no dangling escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def recent_events(organisation_id: int, limit: int = 8) -> list[dict]:
    """The newest entries, for the overview (the organisation-and-time index serves it)."""
    return await AuditEvent.raw(
        """SELECT created_at, actor_name, action, subject FROM audit_event
           WHERE organisation = {} ORDER BY created_at DESC, id DESC LIMIT {}""",
        organisation_id,
        limit,
    )
