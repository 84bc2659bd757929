"""Pure rules of delegation (docs/rules.md, Delegation): the kinds of access, what a grant covers,
which grants may coexist on one client, and how a link moves from request to stop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

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
    STOPPED = "stopped"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset(
    {LinkStatus.AWAITING_CLIENT, LinkStatus.AWAITING_PARTNER, LinkStatus.ACTIVE}
)


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


def grant_snapshot(grant: Grant | None) -> dict | None:
    """A grant as the audit log keeps it."""
    if grant is None:
        return None
    return {
        "access": grant.access.value,
        "families": sorted(grant.families),
        "products": sorted(grant.product_ids),
        "billing_mode": grant.billing_mode.value if grant.billing_mode else None,
    }
