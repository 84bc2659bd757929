"""Who is asking: the session behind the cookie, read fresh from the database each request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Request

from portal.access import Actor, OrganisationResource, Role
from portal.accounts import queries
from portal.accounts.rules import last_seen_is_stale, token_hash
from portal.errors import LoginRequired, NotFound
from portal.partners.rules import IN_PROGRAMME

SESSION_COOKIE = "__Host-session"
DEVICE_COOKIE = "__Host-device"


@dataclass(frozen=True, slots=True)
class OrganisationSummary:
    id: int
    name: str
    currency: str
    country: str
    partner_status: str = "none"


@dataclass(frozen=True, slots=True)
class Current:
    """The logged-in user, the organisation they act in, and their actor for access.py."""

    session_id: int
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


async def load_current(request: Request) -> Current | None:
    """The request's session, or None. Cached on the request: one query per request."""
    if "current" in request.state:
        return request.state.current
    current = await _load(request)
    request.state.current = current
    return current


async def _load(request: Request) -> Current | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    settings = request.app.state.settings
    row = await queries.load_current(
        token_hash(token), settings.session_idle, settings.session_absolute
    )
    if row is None:
        return None
    now = datetime.now(UTC)
    if last_seen_is_stale(row["last_seen_at"], now):
        await queries.touch_session(row["session_id"], now)
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
        is_staff=row["is_staff"],
    )
    return Current(
        session_id=row["session_id"],
        user_id=row["user_id"],
        email=row["email"],
        full_name=row["full_name"],
        totp_enabled=row["totp_enabled"],
        second_factor_pending=row["second_factor_pending"],
        organisation=organisation,
        organisations=tuple(row["organisations"]),
        actor=actor,
    )


async def provide_current(request: Request) -> Current:
    """Dependency of every page behind login: a fully logged-in user, or LoginRequired."""
    current = await load_current(request)
    if current is None or current.second_factor_pending:
        raise LoginRequired()
    return current


async def provide_optional_current(request: Request) -> Current | None:
    current = await load_current(request)
    if current is None or current.second_factor_pending:
        return None
    return current
