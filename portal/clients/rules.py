"""Pure rules of delegation (docs/rules.md, Delegation): the kinds of access, what a grant covers,
which grants may coexist on one client, and how a link moves from request to stop."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from portal.core import days
from portal.core.days import HOST_ZONE
from portal.errors import Conflict
from portal.products.rules import FAMILIES

INVITATION_LIFETIME = timedelta(days=30)


class Access(StrEnum):
    FULL = "full"
    RESTRICTED = "restricted"


class BillingMode(StrEnum):
    CLIENT = "client"  # the client's payment methods
    PARTNER = "partner"  # the partner's payment methods (full access only)


class LinkStatus(StrEnum):
    AWAITING_CLIENT = "awaiting_client"
    AWAITING_PARTNER = "awaiting_partner"
    ACTIVE = "active"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    STOPPED = "stopped"  # by either side
    ENDED = "ended"  # reached its end date
    TRANSFERRED = "transferred"  # the client moved to another partner

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES

    @property
    def has_ended(self) -> bool:
        """A collaboration that was active and is over (listed under "Ended")."""
        return self in ENDED_STATUSES


OPEN_STATUSES = frozenset(
    {LinkStatus.AWAITING_CLIENT, LinkStatus.AWAITING_PARTNER, LinkStatus.ACTIVE}
)
ENDED_STATUSES = frozenset({LinkStatus.STOPPED, LinkStatus.ENDED, LinkStatus.TRANSFERRED})


class Side(StrEnum):
    PARTNER = "partner"
    CLIENT = "client"


class LinkEvent(StrEnum):
    CLIENT_GRANTS = "client_grants"
    PARTNER_ACCEPTS = "partner_accepts"
    DECLINED = "declined"  # by the side that was asked
    WITHDRAWN = "withdrawn"  # by the side that asked
    EXPIRED = "expired"
    CHANGED = "changed"  # by the client, on an active link
    STOPPED = "stopped"  # by either side, on an active link
    END_DATE_REACHED = "end_date_reached"
    TRANSFERRED = "transferred"  # the client moved to another partner with a transfer code


class InvalidTransition(Conflict):
    """A step the link's state does not allow (withdraw an active link, stop a pending one):
    a conflict with the state, answered 409 with the reason, never a 500."""


TRANSITIONS: Mapping[tuple[LinkStatus, LinkEvent], LinkStatus] = {
    (LinkStatus.AWAITING_CLIENT, LinkEvent.CLIENT_GRANTS): LinkStatus.ACTIVE,
    (LinkStatus.AWAITING_CLIENT, LinkEvent.DECLINED): LinkStatus.REFUSED,
    (LinkStatus.AWAITING_CLIENT, LinkEvent.WITHDRAWN): LinkStatus.WITHDRAWN,
    (LinkStatus.AWAITING_CLIENT, LinkEvent.EXPIRED): LinkStatus.EXPIRED,
    (LinkStatus.AWAITING_PARTNER, LinkEvent.PARTNER_ACCEPTS): LinkStatus.ACTIVE,
    (LinkStatus.AWAITING_PARTNER, LinkEvent.DECLINED): LinkStatus.REFUSED,
    (LinkStatus.AWAITING_PARTNER, LinkEvent.WITHDRAWN): LinkStatus.WITHDRAWN,
    (LinkStatus.AWAITING_PARTNER, LinkEvent.EXPIRED): LinkStatus.EXPIRED,
    (LinkStatus.ACTIVE, LinkEvent.CHANGED): LinkStatus.ACTIVE,
    (LinkStatus.ACTIVE, LinkEvent.STOPPED): LinkStatus.STOPPED,
    (LinkStatus.ACTIVE, LinkEvent.END_DATE_REACHED): LinkStatus.ENDED,
    (LinkStatus.ACTIVE, LinkEvent.TRANSFERRED): LinkStatus.TRANSFERRED,
}


def next_status(status: LinkStatus, event: LinkEvent) -> LinkStatus:
    try:
        return TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidTransition(STATUS_PROBLEMS.get(status, "This link cannot change.")) from None


STATUS_PROBLEMS = {
    LinkStatus.REFUSED: "This request was declined.",
    LinkStatus.WITHDRAWN: "This request was withdrawn.",
    LinkStatus.EXPIRED: "This request has expired.",
    LinkStatus.STOPPED: "This collaboration has ended.",
    LinkStatus.ENDED: "This collaboration has ended.",
    LinkStatus.TRANSFERRED: "This collaboration has ended: the client moved to another partner.",
    LinkStatus.ACTIVE: "This collaboration is already active.",
    LinkStatus.AWAITING_CLIENT: "This request is still waiting for the client.",
    LinkStatus.AWAITING_PARTNER: "This request is still waiting for the partner.",
}


def awaiting(asked: Side) -> LinkStatus:
    return LinkStatus.AWAITING_CLIENT if asked is Side.CLIENT else LinkStatus.AWAITING_PARTNER


def is_expired(status: LinkStatus, expires_at: datetime, now: datetime) -> bool:
    return status in {LinkStatus.AWAITING_CLIENT, LinkStatus.AWAITING_PARTNER} and expires_at <= now


# --- grants --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """What a client delegates: all products (full), or some families and products."""

    access: Access
    families: frozenset[str] = frozenset()
    product_ids: frozenset[int] = frozenset()
    billing_mode: BillingMode | None = None

    @property
    def is_full(self) -> bool:
        return self.access is Access.FULL

    def covers(self, product_id: int, family: str) -> bool:
        return self.is_full or family in self.families or product_id in self.product_ids

    @property
    def may_order(self) -> bool:
        """Ordering or renewing for the client needs full access (docs/rules.md, Delegation)."""
        return self.is_full


def grant_problems(grant: Grant, client_products: Mapping[int, str] | None = None) -> dict:
    """Field → problem for a grant; CLIENT_PRODUCTS (id → family) are the products the client
    owns, when known: a client can only delegate its own products."""
    problems: dict[str, str] = {}
    if grant.is_full:
        if grant.billing_mode is None:
            problems["billing_mode"] = "Choose who pays: the client or the partner."
        if grant.families or grant.product_ids:
            problems["access"] = "Full access covers every product; don't select any."
        return problems
    if grant.billing_mode not in (None, BillingMode.CLIENT):
        problems["billing_mode"] = "With restricted access the client pays."
    unknown_families = grant.families - FAMILIES.keys()
    if unknown_families:
        problems["families"] = "Choose categories from the list."
    if not grant.families and not grant.product_ids:
        problems["products"] = "Select at least one product or category."
    if client_products is not None and not grant.product_ids <= client_products.keys():
        problems["products"] = "Only the client's own products can be delegated."
    return problems


def normalised(grant: Grant) -> Grant:
    """Restricted access is always billed to the client."""
    if grant.is_full:
        return grant
    return Grant(Access.RESTRICTED, grant.families, grant.product_ids, BillingMode.CLIENT)


@dataclass(frozen=True)
class Delegation:
    """A live grant of one partner on the client."""

    link_id: int
    partner_name: str
    grant: Grant


@dataclass(frozen=True)
class CoexistenceProblem:
    message: str
    product_ids: frozenset[int] = field(default_factory=frozenset)


def coexistence_problem(
    grant: Grant, link_id: int, others: Iterable[Delegation], client_products: Mapping[int, str]
) -> CoexistenceProblem | None:
    """Full access makes its partner the client's only partner; restricted partners may
    share a client as long as no product is delegated to two of them."""
    others = [other for other in others if other.link_id != link_id]
    if grant.is_full and others:
        names = ", ".join(sorted({o.partner_name for o in others}))
        return CoexistenceProblem(
            f"With full access a client has exactly one partner, and {names} already "
            f"manages products of this client. Stop that collaboration first."
        )
    for other in others:
        if other.grant.is_full:
            return CoexistenceProblem(
                f"{other.partner_name} has full access to this client. A client with a "
                f"full-access partner cannot add another partner."
            )
        shared_families = grant.families & other.grant.families
        shared_products = frozenset(
            product_id
            for product_id, family in client_products.items()
            if grant.covers(product_id, family) and other.grant.covers(product_id, family)
        )
        if shared_families or shared_products:
            return CoexistenceProblem(
                f"Some of these products are already delegated to {other.partner_name}; "
                f"a product can be managed by one partner only.",
                shared_products,
            )
    return None


def covered_products(grant: Grant, client_products: Mapping[int, str]) -> frozenset[int]:
    return frozenset(pid for pid, family in client_products.items() if grant.covers(pid, family))


def describe(grant: Grant | None) -> str:
    if grant is None:
        return "—"
    if grant.is_full:
        payer = "partner pays" if grant.billing_mode is BillingMode.PARTNER else "client pays"
        return f"Full access ({payer})"
    parts = [FAMILIES.get(f, f) for f in sorted(grant.families)]
    if grant.product_ids:
        count = len(grant.product_ids)
        parts.append(f"{count} selected product{'s' if count != 1 else ''}")
    return "Restricted: " + ", ".join(parts)


def grant_snapshot(
    grant: Grant | None, product_names: Mapping[int, str] | None = None
) -> dict | None:
    """A grant as the audit log keeps it: the products by id, and by the name they had then
    (PRODUCT_NAMES), so that the log reads the same after a product is renamed or gone."""
    if grant is None:
        return None
    snapshot = {
        "access": grant.access.value,
        "families": sorted(grant.families),
        "products": sorted(grant.product_ids),
        "billing_mode": grant.billing_mode.value if grant.billing_mode else None,
    }
    if product_names is not None and grant.product_ids:
        snapshot["product_names"] = {
            str(pid): product_names[pid]
            for pid in sorted(grant.product_ids)
            if pid in product_names
        }
    return snapshot


def grant_from_snapshot(snapshot: Mapping) -> Grant:
    """The grant an audit snapshot (or an elevation's saved grant) describes."""
    billing = snapshot.get("billing_mode")
    return Grant(
        Access(snapshot["access"]),
        frozenset(snapshot.get("families") or ()),
        frozenset(int(pid) for pid in snapshot.get("products") or ()),
        BillingMode(billing) if billing else None,
    )


# --- how long a collaboration lasts -----------------------------------------------------------

SHORTEST_DURATION_DAYS = 1
LONGEST_DURATION_DAYS = 730
AUTO_EXTENSION_DAYS = 180
EXTENSION_CHOICES = (30, 90, 180, 365)
END_ZONE = HOST_ZONE  # an end date ends at its midnight, the host's time
end_of_day = days.end_of_day  # the moment a collaboration whose end date is DAY ends
end_day = days.last_day  # the end date of a collaboration ending at ENDS_AT


def today_at(now: datetime) -> date:
    return now.astimezone(END_ZONE).date()


def end_day_problem(day: date, now: datetime) -> str | None:
    """An end date runs from tomorrow to LONGEST_DURATION_DAYS days ahead."""
    today = today_at(now)
    if day < today + timedelta(days=SHORTEST_DURATION_DAYS):
        return "Choose an end date from tomorrow on."
    if day > today + timedelta(days=LONGEST_DURATION_DAYS):
        return "Choose an end date at most 730 days ahead."
    return None


def duration_problem(days: int) -> str | None:
    """A duration asked for, in days: 1 to 730."""
    if not SHORTEST_DURATION_DAYS <= days <= LONGEST_DURATION_DAYS:
        return "Ask for 1 to 730 days, or for no end date."
    return None


def end_day_after(days: int, now: datetime) -> date:
    """The end date of a collaboration lasting DAYS from NOW."""
    return today_at(now) + timedelta(days=days)


def extended_end(ends_at: datetime, days: int) -> datetime:
    """ENDS_AT moved DAYS later, still at the end of a day."""
    return end_of_day(end_day(ends_at) + timedelta(days=days))


def extension_problem(ends_at: datetime | None, days: int, now: datetime) -> str | None:
    if ends_at is None:
        return "This collaboration has no end date: there is nothing to extend."
    if days not in EXTENSION_CHOICES:
        return "Choose how long to extend from the list."
    return end_day_problem(end_day(extended_end(ends_at, days)), now)


def auto_extend_problem(grant: Grant, auto_extend: bool) -> str | None:
    """Automatic extension is for restricted access: full access always ends on its date."""
    if auto_extend and grant.is_full:
        return (
            "Full access is never extended automatically: choose restricted access, or "
            "extend it yourself."
        )
    return None


@dataclass(frozen=True)
class Ending:
    """When a collaboration ends, as the client sets it: an end date (or none), and whether it
    is then extended automatically."""

    ends_on: date | None = None
    auto_extend: bool = False

    @property
    def ends_at(self) -> datetime | None:
        return end_of_day(self.ends_on) if self.ends_on else None


NO_END = Ending()


def ending_problems(ending: Ending, grant: Grant, now: datetime) -> dict[str, str]:
    problems = {}
    if ending.ends_on is not None:
        problem = end_day_problem(ending.ends_on, now)
        if problem:
            problems["ends_on"] = problem
    elif ending.auto_extend:
        problems["auto_extend"] = "Automatic extension needs an end date."
    problem = auto_extend_problem(grant, ending.auto_extend)
    if problem:
        problems["auto_extend"] = problem
    return problems


def ending_of(link: Mapping) -> Ending:
    ends_at = link.get("ends_at")
    return Ending(end_day(ends_at) if ends_at else None, bool(link.get("auto_extend")))


def automatic_end(ends_at: datetime, now: datetime) -> datetime:
    """The end after automatic extensions of AUTO_EXTENSION_DAYS from ENDS_AT: the first one
    still ahead of NOW (several, if the extension was due while no worker ran)."""
    extended = ends_at
    while extended <= now:
        extended = extended_end(extended, AUTO_EXTENSION_DAYS)
    return extended


# --- temporary full access ------------------------------------------------------------------

ELEVATION_SHORTEST = timedelta(hours=1)
ELEVATION_LONGEST = timedelta(days=7)
ELEVATION_UNITS = {"hours": "hours", "days": "days"}
REQUEST_LIFETIME = INVITATION_LIFETIME  # a request on a link not answered in 30 days expires
REASON_LONGEST = 1000


def elevation_length(amount: int, unit: str) -> timedelta | str:
    """How long temporary full access lasts: 1 hour to 7 days; a problem otherwise."""
    if unit not in ELEVATION_UNITS:
        return "Choose hours or days."
    length = timedelta(hours=amount) if unit == "hours" else timedelta(days=amount)
    if not ELEVATION_SHORTEST <= length <= ELEVATION_LONGEST:
        return "Ask for 1 hour to 7 days (168 hours)."
    return length


def elevation_problems(grant: Grant | None, reason: str) -> dict[str, str]:
    problems = {}
    if grant is None:
        problems["access"] = "Temporary full access is for an active collaboration."
    elif grant.is_full:
        problems["access"] = "You have full access already."
    if not reason.strip():
        problems["reason"] = "Say why you need full access: the client reads it before deciding."
    return problems


# Full access during an elevation, billed to the client as the restricted grant was.
ELEVATED = Grant(Access.FULL, billing_mode=BillingMode.CLIENT)


@dataclass(frozen=True)
class Window:
    """When temporary full access runs: from its approval, for the length asked."""

    starts_at: datetime
    ends_at: datetime

    def is_over(self, now: datetime) -> bool:
        return now >= self.ends_at

    def time_left(self, now: datetime) -> timedelta:
        return max(self.ends_at - now, timedelta(0))


def elevation_window(approved_at: datetime, length: timedelta) -> Window:
    return Window(approved_at, approved_at + length)


COUNTDOWN_DAYS = "{days} d {hours} h left"
COUNTDOWN_HOURS = "{hours} h {minutes} min left"
COUNTDOWN_MINUTES = "{minutes} min left"
COUNTDOWN_UNDER_A_MINUTE = "less than a minute left"
COUNTDOWN_OVER = "ended"


def countdown(left: timedelta) -> str:
    """What remains, as the countdown shows it (rounded down to the minute)."""
    seconds = int(left.total_seconds())
    if seconds <= 0:
        return COUNTDOWN_OVER
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return COUNTDOWN_DAYS.format(days=days, hours=hours)
    if hours:
        return COUNTDOWN_HOURS.format(hours=hours, minutes=minutes)
    if minutes:
        return COUNTDOWN_MINUTES.format(minutes=minutes)
    return COUNTDOWN_UNDER_A_MINUTE


class RequestKind(StrEnum):
    """What a partner asks of a client about an active link."""

    ELEVATION = "elevation"  # temporary full access
    EXTENSION = "extension"  # a later end date
    CHANGE = "change"  # other access


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # an extension or a change, applied
    ACTIVE = "active"  # temporary full access, running
    ENDED = "ended"  # temporary full access, over (at its end, or early)
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


REQUEST_PROBLEMS = {
    RequestStatus.APPROVED: "This request was approved already.",
    RequestStatus.ACTIVE: "This temporary full access is running already.",
    RequestStatus.ENDED: "This temporary full access has ended.",
    RequestStatus.REFUSED: "This request was refused.",
    RequestStatus.WITHDRAWN: "This request was withdrawn.",
    RequestStatus.EXPIRED: "This request has expired.",
}


def request_problem(status: RequestStatus, expires_at: datetime, now: datetime) -> str | None:
    """Why a request can no longer be answered, if it cannot."""
    if status is not RequestStatus.PENDING:
        return REQUEST_PROBLEMS.get(status, "This request cannot be answered.")
    if expires_at <= now:
        return REQUEST_PROBLEMS[RequestStatus.EXPIRED]
    return None


# --- moving a client to another partner ---------------------------------------------------------

TRANSFER_LIFETIME = timedelta(days=14)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed again
CODE_GROUPS, CODE_GROUP_LENGTH = 4, 4  # 16 characters: 80 bits
INVALID_CODE = "This transfer code is not valid. Check it with the client, or ask for a new one."


def new_transfer_code() -> str:
    """A code such as K7QM-2XRD-PW9T-HC4N: shown once to the client, kept hashed."""
    characters = "".join(
        secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH)
    )
    return "-".join(
        characters[i : i + CODE_GROUP_LENGTH] for i in range(0, len(characters), CODE_GROUP_LENGTH)
    )


def normalised_code(text: str) -> str | None:
    """A typed code as stored (upper case, without spaces or dashes); None if it cannot be one."""
    compact = "".join(text.split()).replace("-", "").upper()
    if len(compact) != CODE_GROUPS * CODE_GROUP_LENGTH or not set(compact) <= set(CODE_ALPHABET):
        return None
    return compact


def transfer_problem(transfer: Mapping, partner_id: int, now: datetime) -> str | None:
    """Why PARTNER_ID cannot take the client over with this code now. A code for another
    partner reads as invalid: it tells nothing of the client."""
    if transfer["to_partner"] != partner_id or transfer["cancelled_at"] is not None:
        return INVALID_CODE
    if transfer["redeemed_at"] is not None:
        return "This transfer code was used already."
    if transfer["expires_at"] <= now:
        return "This transfer code has expired. Ask the client for a new one."
    return None
