"""Who acts: THE loader of the person and the organisation they act in.

One SQL statement (PERSON_SQL) reads the account, the organisation, the membership, the teams
and the organisations of the switcher; one function (`_current`) turns its row into a
`Current` and its `Actor`. Pages start it from the session cookie; background jobs, the
command line and re-checks start it from an account id and an organisation id. Both take the
same path, so they cannot decide differently. Read fresh each time: a revoked role stops the
very next request or job."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar import Request
from piccolo.querystring import QueryString

from portal.access import Actor, OrganisationResource, Role
from portal.core.enums import IN_PROGRAMME
from portal.core.tokens import token_hash
from portal.database import storable_id
from portal.errors import LoginRequired, NotFound
from portal.piccolo_conf import DB

SESSION_COOKIE = "__Host-session"


@dataclass(frozen=True, slots=True)
class OrganisationSummary:
    id: int
    name: str
    currency: str
    country: str
    partner_status: str = "none"


@dataclass(frozen=True, slots=True)
class Current:
    """The person, the organisation they act in, and their actor for access.py."""

    session_id: int | None  # None: a job or the command line acting for the person
    user_id: int
    email: str
    full_name: str
    totp_enabled: bool
    second_factor_pending: bool
    organisation: OrganisationSummary | None
    organisations: tuple[tuple[int, str], ...]
    actor: Actor

    @property
    def role(self) -> Role | None:
        return self.actor.role

    def organisation_resource(self) -> OrganisationResource:
        """The organisation acted in, for access.py; none answers 404."""
        if self.organisation is None:
            raise NotFound()
        return OrganisationResource(self.organisation.id)


# WHO is a one-row source of (session_id, account_id, organisation_id, second_factor_pending,
# last_seen_at): the live session of a cookie, or the ids a job was given.
PERSON_SQL = """
SELECT who.session_id, who.second_factor_pending, who.last_seen_at,
       a.id AS user_id, a.email, a.full_name, a.totp_secret IS NOT NULL AS totp_enabled,
       a.is_staff,
       o.id AS organisation_id, o.name AS organisation_name, o.currency, o.country,
       o.partner_status, coalesce(o.is_affiliate, false) AS is_affiliate,
       m.role, coalesce(m.billing_rights, false) AS billing_rights,
       ARRAY(SELECT tm.team FROM team_member tm JOIN team t ON t.id = tm.team
             WHERE tm.account = a.id AND t.organisation = who.organisation_id) AS team_ids,
       (SELECT coalesce(json_agg(json_build_array(x.id, x.name) ORDER BY x.name), '[]')
          FROM (SELECT o2.id, o2.name FROM membership m2
                  JOIN organisation o2 ON o2.id = m2.organisation WHERE m2.account = a.id
                UNION
                SELECT o3.id, o3.name FROM team_member tm3 JOIN team t3 ON t3.id = tm3.team
                  JOIN organisation o3 ON o3.id = t3.organisation WHERE tm3.account = a.id
               ) x) AS organisations
FROM (WHO) who
JOIN account a ON a.id = who.account_id
LEFT JOIN membership m ON m.account = a.id AND m.organisation = who.organisation_id
LEFT JOIN organisation o ON o.id = who.organisation_id
"""
FROM_SESSION = """
SELECT s.id AS session_id, s.account AS account_id, s.organisation_id,
       s.second_factor_pending, s.last_seen_at
FROM web_session s
WHERE s.token_hash = {} AND s.ended_at IS NULL
  AND s.last_seen_at > now() - {}::interval AND s.created_at > now() - {}::interval
"""
FROM_IDS = """
SELECT NULL::integer AS session_id, {}::integer AS account_id, {}::integer AS organisation_id,
       false AS second_factor_pending, NULL::timestamptz AS last_seen_at
"""
SESSION_SQL = PERSON_SQL.replace("WHO", FROM_SESSION)
IDS_SQL = PERSON_SQL.replace("WHO", FROM_IDS)
# An API request: one statement finds the live token (not revoked, not expired), writes its
# last use and counts the request in the token's minute (docs/rules.md, The API), then reads
# its owner as a page does. The count is a row update, so requests racing in several processes
# are counted one after the other; past the limit it stops at LIMIT + 1.
API_TOKEN_SQL = """
WITH used AS (
    UPDATE api_token t SET
        last_used_at = now(),
        last_used_ip = {},
        minute_started_at = CASE WHEN t.minute_started_at > now() - {}::interval
                                 THEN t.minute_started_at ELSE now() END,
        minute_requests = CASE WHEN t.minute_started_at > now() - {}::interval
                               THEN least(t.minute_requests + 1, {} + 1) ELSE 1 END
    WHERE t.token_hash = {} AND t.revoked_at IS NULL
      AND (t.expires_at IS NULL OR t.expires_at > now())
    RETURNING t.id, t.account, t.organisation_id, t.scopes, t.minute_started_at,
              t.minute_requests
)
SELECT u.id AS token_id, u.scopes, u.minute_started_at, u.minute_requests, now() AS now,
       person.*
FROM used u CROSS JOIN (PERSON) person
""".replace(
    "PERSON",
    PERSON_SQL.replace(
        "WHO",
        "SELECT NULL::integer AS session_id, account AS account_id, organisation_id, "
        "false AS second_factor_pending, NULL::timestamptz AS last_seen_at FROM used",
    ),
)


async def _fetch_one(sql: str, *values) -> dict | None:
    rows = await DB.run_querystring(QueryString(sql, *values))
    return dict(rows[0]) if rows else None


async def session_row(token_digest: str, idle: timedelta, absolute: timedelta) -> dict | None:
    """The raw row of a live session (what `load_current` builds on)."""
    return await _fetch_one(SESSION_SQL, token_digest, idle, absolute)


def _current(row: dict, scopes: frozenset[str] | None = None) -> Current:
    team_ids = frozenset(row["team_ids"] or ())
    role = Role(row["role"]) if row["role"] else None
    in_organisation = row["organisation_id"] is not None and (role is not None or team_ids)
    organisation = (
        OrganisationSummary(
            row["organisation_id"],
            row["organisation_name"],
            row["currency"],
            row["country"],
            row["partner_status"],
        )
        if in_organisation
        else None
    )
    actor = Actor(
        user_id=row["user_id"],
        organisation_id=organisation.id if organisation else None,
        role=role if organisation else None,
        billing_rights=row["billing_rights"],
        team_ids=team_ids,
        in_programme=bool(organisation) and row["partner_status"] in IN_PROGRAMME,
        is_affiliate=bool(organisation) and row["is_affiliate"],
        is_staff=row["is_staff"],
        scopes=scopes,
    )
    return Current(
        session_id=row["session_id"],
        user_id=row["user_id"],
        email=row["email"],
        full_name=row["full_name"],
        totp_enabled=row["totp_enabled"],
        second_factor_pending=row["second_factor_pending"],
        organisation=organisation,
        organisations=tuple((pair[0], pair[1]) for pair in json.loads(row["organisations"])),
        actor=actor,
    )


async def current_of(account_id: int, organisation_id: int) -> Current | None:
    """The person acting in the organisation, as a request of theirs would see them; None
    when the account or the organisation is unknown."""
    if not storable_id(account_id, organisation_id):
        return None
    row = await _fetch_one(IDS_SQL, account_id, organisation_id)
    return _current(row) if row is not None else None


async def actor_in(account_id: int, organisation_id: int) -> Actor | None:
    """The account's actor in the organisation, read fresh (a background job or the command
    line has no session); None when the account is unknown or not in the organisation."""
    current = await current_of(account_id, organisation_id)
    if current is None or current.organisation is None:
        return None
    return current.actor


async def current_of_api_token(
    token_digest: str, ip_address: str, minute: timedelta, limit: int
) -> tuple[Current, dict] | None:
    """The owner of a live API token, narrowed by its scopes (their organisation is None when
    they no longer belong to the token's), and the token's row (token_id and its minute:
    minute_started_at, minute_requests, now), this request counted; None: no live token."""
    row = await _fetch_one(API_TOKEN_SQL, ip_address[:64], minute, minute, limit, token_digest)
    if row is None:
        return None
    return _current(row, scopes=frozenset(row["scopes"] or ())), row


# --- pages --------------------------------------------------------------------------------


def last_seen_is_stale(last_seen_at: datetime, now: datetime) -> bool:
    """Refresh `last_seen_at` at most once a minute: one write per minute, not per request."""
    return now - last_seen_at >= timedelta(minutes=1)


async def load_current(request: Request) -> Current | None:
    """The request's session, or None. Cached on the request: one query per request."""
    if "current" in request.state:
        return request.state.current
    current = await _from_session(request)
    request.state.current = current
    return current


async def _from_session(request: Request) -> Current | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    settings = request.app.state.settings
    row = await session_row(token_hash(token), settings.session_idle, settings.session_absolute)
    if row is None:
        return None
    now = datetime.now(UTC)
    if last_seen_is_stale(row["last_seen_at"], now):
        await DB.run_querystring(
            QueryString(
                "UPDATE web_session SET last_seen_at = {} WHERE id = {}", now, row["session_id"]
            )
        )
    return _current(row)


async def provide_current(request: Request) -> Current:
    """The app's `current` dependency: a fully logged-in person, or LoginRequired."""
    current = await load_current(request)
    if current is None or current.second_factor_pending:
        raise LoginRequired()
    return current


async def provide_current_or_none(request: Request) -> Current | None:
    """The app's `current_or_none` dependency, for public pages that greet a logged-in person."""
    current = await load_current(request)
    if current is None or current.second_factor_pending:
        return None
    return current
