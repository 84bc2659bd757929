"""The demo's delegation history (docs/rules.md, Delegation), on top of the links the demo
plan made, so that a fresh `portal serve --demo` shows the whole life of a delegation: links
granted and changed, one that was moved to another partner, one stopped, temporary full access
past and running, a collaboration ending soon and another extended automatically, requests and
an invitation waiting in the client's inbox, request templates — each with the entries both
audit logs would hold. Times are set from the moment the demo is loaded."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg

from portal.clients.rules import end_day, end_of_day

ALPINE, LUMIERE = "Alpine Web Studio GmbH", "Lumière Digital SARL"
HUBER, BELLEVUE, DUPONT = "Bäckerei Huber AG", "Hotel Bellevue Sàrl", "Cabinet Dupont"
PORTAL = "Partner Portal"


def _grant(access: str, families=(), billing: str | None = "client") -> dict:
    return {
        "access": access,
        "families": sorted(families),
        "products": [],
        "billing_mode": billing if access == "full" else "client",
    }


class History:
    """The rows to write, with the organisations, people and links found by name."""

    def __init__(self, connection: asyncpg.Connection, now: datetime) -> None:
        self.connection = connection
        self.now = now
        self.events: list[tuple] = []

    async def load(self) -> None:
        fetch = self.connection.fetchval
        self.org = {
            name: await fetch("SELECT id FROM organisation WHERE name = $1", name)
            for name in (ALPINE, LUMIERE, HUBER, BELLEVUE, DUPONT)
        }
        self.person = {
            key: (
                await fetch("SELECT id FROM account WHERE email LIKE $1", f"{key}@%"),
                await fetch("SELECT full_name FROM account WHERE email LIKE $1", f"{key}@%"),
                await fetch("SELECT email FROM account WHERE email LIKE $1", f"{key}@%"),
            )
            for key in ("alice", "elise", "huber")
        }
        self.link = {
            (partner, client): await fetch(
                "SELECT id FROM partner_link WHERE partner = $1 AND client = $2 "
                "AND status = 'active'",
                self.org[partner],
                self.org[client],
            )
            for partner, client in ((ALPINE, HUBER), (ALPINE, BELLEVUE), (LUMIERE, DUPONT))
        }

    def event(
        self,
        when: datetime,
        reader: str,
        action: str,
        subject: str,
        *,
        link: int,
        subject_role: str,
        by: str | None = None,
        acting_for: str | None = None,
        before: dict | None = None,
        after: dict | None = None,
    ) -> None:
        """One entry of READER's log; BY a person's key (None: the portal itself)."""
        actor, name = (None, PORTAL)
        if by is not None:
            account, full_name, email = self.person[by]
            actor, name = account, f"{full_name} <{email}>"
        self.events.append(
            (
                self.org[reader],
                actor,
                name,
                self.org[acting_for] if acting_for else None,
                action,
                subject,
                json.dumps(before) if before is not None else None,
                json.dumps(after) if after is not None else None,
                subject_role,
                link,
                when,
            )
        )

    def both(self, when, partner, client, action, *, link, by, by_side, before=None, after=None):
        """The entry in both sides' logs, each about the other; the other side's names whom
        the person acted for."""
        acting = partner if by_side == "partner" else client
        for reader, subject, role in ((partner, client, "client"), (client, partner, "partner")):
            self.event(
                when,
                reader,
                action,
                subject,
                link=link,
                subject_role=role,
                by=by,
                acting_for=None if by is None or reader == acting else acting,
                before=before,
                after=after,
            )


async def load(connection: asyncpg.Connection) -> None:
    """Write the history; the plan's links and people must be there."""
    now = datetime.now(UTC).replace(microsecond=0)
    history = History(connection, now)
    await history.load()
    await _granted_and_changed(history)
    await _moved_and_stopped(history)
    await _temporary_full_access(history)
    await _ending_and_requests(history)
    await _templates(history)
    await connection.copy_records_to_table(
        "audit_event",
        records=history.events,
        columns=[
            "organisation",
            "actor",
            "actor_name",
            "acting_for_id",
            "action",
            "subject",
            "before",
            "after",
            "subject_role",
            "link_id",
            "created_at",
        ],
    )


async def _granted_and_changed(h: History) -> None:
    granted = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    huber = h.link[(ALPINE, HUBER)]
    h.both(
        granted - timedelta(days=2),
        ALPINE,
        HUBER,
        "link.requested",
        link=huber,
        by="alice",
        by_side="partner",
        after=_grant("full", billing=None),
    )
    h.both(
        granted,
        ALPINE,
        HUBER,
        "link.granted",
        link=huber,
        by="huber",
        by_side="client",
        before={"requested": _grant("full", billing=None)},
        after={"granted": _grant("full")},
    )
    bellevue = h.link[(ALPINE, BELLEVUE)]
    h.both(
        granted,
        ALPINE,
        BELLEVUE,
        "link.granted",
        link=bellevue,
        by="huber",
        by_side="client",
        before={"requested": _grant("restricted", ["web_hosting", "domain"])},
        after={"granted": _grant("restricted", ["web_hosting"])},
    )
    h.both(
        granted + timedelta(days=40),
        ALPINE,
        BELLEVUE,
        "link.changed",
        link=bellevue,
        by="huber",
        by_side="client",
        before=_grant("restricted", ["web_hosting"]),
        after=_grant("restricted", ["web_hosting", "domain"]),
    )


async def _moved_and_stopped(h: History) -> None:
    """Cabinet Dupont came to Lumière from Alpine with a transfer code; Hotel Bellevue once
    had Lumière for its mail, and ended that collaboration."""
    execute = h.connection.fetchval
    moved_on = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    old = await execute(
        "INSERT INTO partner_link (partner, client, status, initiated_by, requested_access, "
        "requested_families, access, families, billing_mode, expires_at, decided_at, ended_at, "
        "ended_by, ended_by_account) VALUES ($1, $2, 'transferred', 'partner', 'restricted', "
        "ARRAY['mail_service'], 'restricted', ARRAY['mail_service'], NULL, $3, $3, $4, $2, $5) "
        "RETURNING id",
        h.org[ALPINE],
        h.org[DUPONT],
        datetime(2025, 3, 3, tzinfo=UTC),
        moved_on,
        h.person["huber"][0],
    )
    await execute(
        "INSERT INTO link_transfer (client, link, to_partner, code_hash, new_grant, created_by, "
        "created_at, expires_at, redeemed_at, redeemed_by, new_link) VALUES ($1, $2, $3, $4, "
        "NULL, $5, $6, $7, $8, $9, $10) RETURNING id",
        h.org[DUPONT],
        old,
        h.org[LUMIERE],
        "demo-transfer-" + str(old),
        h.person["huber"][0],
        moved_on - timedelta(days=3),
        moved_on + timedelta(days=11),
        moved_on,
        h.person["elise"][0],
        h.link[(LUMIERE, DUPONT)],
    )
    h.event(
        moved_on - timedelta(days=3),
        DUPONT,
        "link.transfer_created",
        LUMIERE,
        link=old,
        subject_role="partner",
        by="huber",
        after={
            "from_partner": ALPINE,
            "expires_on": end_day(moved_on + timedelta(days=11)).isoformat(),
            "grant": None,
        },
    )
    h.event(
        moved_on,
        DUPONT,
        "link.transferred",
        LUMIERE,
        link=h.link[(LUMIERE, DUPONT)],
        subject_role="partner",
        by="elise",
        acting_for=LUMIERE,
        before={"partner": ALPINE},
        after=_grant("restricted", ["mail_service"]),
    )
    h.event(moved_on, ALPINE, "link.transferred_away", DUPONT, link=old, subject_role="client")
    h.event(
        moved_on,
        LUMIERE,
        "link.transferred_in",
        DUPONT,
        link=h.link[(LUMIERE, DUPONT)],
        subject_role="client",
        by="elise",
        after=_grant("restricted", ["mail_service"]),
    )
    started, stopped = datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 11, 28, 16, 5, tzinfo=UTC)
    ended = await execute(
        "INSERT INTO partner_link (partner, client, status, initiated_by, requested_access, "
        "requested_families, access, families, billing_mode, expires_at, decided_at, ended_at, "
        "ended_by, ended_by_account) VALUES ($1, $2, 'stopped', 'client', 'restricted', "
        "ARRAY['mail_service'], 'restricted', ARRAY['mail_service'], NULL, $3, $3, $4, $2, $5) "
        "RETURNING id",
        h.org[LUMIERE],
        h.org[BELLEVUE],
        started,
        stopped,
        h.person["huber"][0],
    )
    h.both(
        stopped,
        LUMIERE,
        BELLEVUE,
        "link.stopped",
        link=ended,
        by="huber",
        by_side="client",
        before=_grant("restricted", ["mail_service"]),
    )


async def _temporary_full_access(h: History) -> None:
    """Alpine had 4 hours of full access to Hotel Bellevue in March; Lumière has 3 days of it
    at Cabinet Dupont now."""
    execute = h.connection.fetchval
    bellevue = h.link[(ALPINE, BELLEVUE)]
    was = _grant("restricted", ["web_hosting", "domain"])
    start = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
    await execute(
        "INSERT INTO link_request (link, kind, status, reason, length_hours, created_by, "
        "created_at, expires_at, decided_at, decided_by, starts_at, ends_at, previous, "
        "ended_at) VALUES ($1, 'elevation', 'ended', $2, 4, $3, $4, $5, $6, $7, $6, $8, $9, $8) "
        "RETURNING id",
        bellevue,
        "Moving the hotel's booking site to a new hosting plan needs an order.",
        h.person["alice"][0],
        start - timedelta(hours=1),
        start + timedelta(days=29),
        start,
        h.person["huber"][0],
        start + timedelta(hours=4),
        json.dumps(was),
    )
    asked = {
        "hours": 4,
        "reason": "Moving the hotel's booking site to a new hosting plan needs an order.",
    }
    h.both(
        start - timedelta(hours=1),
        ALPINE,
        BELLEVUE,
        "link.elevation_requested",
        link=bellevue,
        by="alice",
        by_side="partner",
        after=asked,
    )
    h.both(
        start,
        ALPINE,
        BELLEVUE,
        "link.elevation_started",
        link=bellevue,
        by="huber",
        by_side="client",
        before=was,
        after={**_grant("full"), "until": (start + timedelta(hours=4)).isoformat(), "hours": 4},
    )
    h.both(
        start + timedelta(hours=4),
        ALPINE,
        BELLEVUE,
        "link.elevation_ended",
        link=bellevue,
        by=None,
        by_side="",
        before=_grant("full"),
        after=was,
    )

    dupont = h.link[(LUMIERE, DUPONT)]
    now = h.now
    previous = _grant("restricted", ["mail_service"])
    await execute(
        "INSERT INTO link_request (link, kind, status, reason, length_hours, created_by, "
        "created_at, expires_at, decided_at, decided_by, starts_at, ends_at, previous) VALUES "
        "($1, 'elevation', 'active', $2, 72, $3, $4, $5, $6, $7, $6, $8, $9) RETURNING id",
        dupont,
        "Renewing the firm's domains and mailboxes before the end of the quarter.",
        h.person["elise"][0],
        now - timedelta(hours=3),
        now + timedelta(days=27),
        now - timedelta(hours=2),
        h.person["huber"][0],
        now + timedelta(hours=70),
        json.dumps(previous),
    )
    await h.connection.execute("DELETE FROM delegated_product WHERE link = $1", dupont)
    await h.connection.execute(
        "UPDATE partner_link SET access = 'full', families = ARRAY[]::varchar[], "
        "billing_mode = 'client' WHERE id = $1",
        dupont,
    )
    h.both(
        now - timedelta(hours=3),
        LUMIERE,
        DUPONT,
        "link.elevation_requested",
        link=dupont,
        by="elise",
        by_side="partner",
        after={
            "hours": 72,
            "reason": "Renewing the firm's domains and mailboxes before the end of the quarter.",
        },
    )
    h.both(
        now - timedelta(hours=2),
        LUMIERE,
        DUPONT,
        "link.elevation_started",
        link=dupont,
        by="huber",
        by_side="client",
        before=previous,
        after={**_grant("full"), "until": (now + timedelta(hours=70)).isoformat(), "hours": 72},
    )


async def _ending_and_requests(h: History) -> None:
    """Hotel Bellevue's collaboration with Alpine ends in 20 days, and Alpine asks for 180 more
    and for temporary full access; Cabinet Dupont's is extended automatically; Lumière's
    invitation waits in Hotel Bellevue's inbox."""
    execute = h.connection.execute
    now = h.now
    bellevue = h.link[(ALPINE, BELLEVUE)]
    ends = end_of_day((now + timedelta(days=20)).date())
    await execute(
        "UPDATE partner_link SET ends_at = $2, end_set_at = $3 WHERE id = $1",
        bellevue,
        ends,
        now - timedelta(days=60),
    )
    h.both(
        now - timedelta(days=60),
        ALPINE,
        BELLEVUE,
        "link.end_date_changed",
        link=bellevue,
        by="huber",
        by_side="client",
        before={"ends_on": None, "auto_extend": False},
        after={"ends_on": end_day(ends).isoformat(), "auto_extend": False},
    )
    await execute(
        "INSERT INTO link_request (link, kind, status, days, created_by, created_at, expires_at) "
        "VALUES ($1, 'extension', 'pending', 180, $2, $3, $4)",
        bellevue,
        h.person["alice"][0],
        now - timedelta(days=1),
        now + timedelta(days=29),
    )
    h.both(
        now - timedelta(days=1),
        ALPINE,
        BELLEVUE,
        "link.extension_requested",
        link=bellevue,
        by="alice",
        by_side="partner",
        after={
            "days": 180,
            "ends_on": end_day(end_of_day(end_day(ends) + timedelta(days=180))).isoformat(),
        },
    )
    dupont = h.link[(LUMIERE, DUPONT)]
    extended_from = end_of_day((now - timedelta(days=10)).date())
    extended_to = end_of_day(end_day(extended_from) + timedelta(days=180))
    await execute(
        "UPDATE partner_link SET ends_at = $2, end_set_at = $3, auto_extend = true WHERE id = $1",
        dupont,
        extended_to,
        extended_from,
    )
    h.both(
        extended_from,
        LUMIERE,
        DUPONT,
        "link.extended_automatically",
        link=dupont,
        by=None,
        by_side="",
        before={"ends_on": end_day(extended_from).isoformat()},
        after={"ends_on": end_day(extended_to).isoformat(), "days": 180},
    )
    invited = now - timedelta(days=2)
    invitation = await h.connection.fetchval(
        "INSERT INTO partner_link (partner, client, status, initiated_by, invited_email, message, "
        "requested_access, requested_families, requested_days, created_by, created_at, "
        "expires_at) VALUES ($1, $2, 'awaiting_client', 'partner', $3, $4, 'restricted', "
        "ARRAY['mail_service'], 365, $5, $6, $7) RETURNING id",
        h.org[LUMIERE],
        h.org[BELLEVUE],
        h.person["huber"][2],
        "Nous gérons volontiers les boîtes mail de l'hôtel, en français et en allemand.",
        h.person["elise"][0],
        invited,
        invited + timedelta(days=30),
    )
    h.event(
        invited,
        LUMIERE,
        "link.requested",
        h.person["huber"][2],
        link=invitation,
        subject_role="client",
        by="elise",
        after={**_grant("restricted", ["mail_service"], None), "days": 365},
    )


async def _templates(h: History) -> None:
    await h.connection.executemany(
        "INSERT INTO request_template (partner, name, families, created_by) "
        "VALUES ($1, $2, $3, $4)",
        [
            (h.org[ALPINE], "Websites", ["domain", "web_hosting"], h.person["alice"][0]),
            (h.org[ALPINE], "Mail and domains", ["domain", "mail_service"], h.person["alice"][0]),
            (h.org[LUMIERE], "Sites web", ["web_hosting"], h.person["elise"][0]),
        ],
    )


async def generated_endings(connection: asyncpg.Connection) -> None:
    """At any size: one generated collaboration in seven ends within the next 60 days, one in
    eleven later with automatic extension (restricted access only)."""
    now = datetime.now(UTC)
    await connection.execute(
        """UPDATE partner_link l SET
               ends_at = date_trunc('day', $1::timestamptz) + ((l.id % 60) + 1) * interval '1 day',
               end_set_at = $1::timestamptz - interval '90 days'
           WHERE l.status = 'active' AND l.ends_at IS NULL AND l.id % 7 = 0""",
        now,
    )
    await connection.execute(
        """UPDATE partner_link l SET
               ends_at = date_trunc('day', $1::timestamptz)
                         + ((l.id % 300) + 61) * interval '1 day',
               end_set_at = $1::timestamptz - interval '30 days', auto_extend = true
           WHERE l.status = 'active' AND l.ends_at IS NULL AND l.access = 'restricted'
             AND l.id % 11 = 0""",
        now,
    )
