"""Renewal use cases of people: whose renewals a person sees, switching automatic renewal or
the warranty for many products at once, and "renew now" (billing's manual renewal).

An organisation's own products: its managers and members with billing rights change them (a
plain user sees those given to them). A partner's: the products it manages for the clients a
person sees; only those of full-access clients may be changed or renewed (access.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from portal.access import (
    Action,
    ClientProductResource,
    Decision,
    LinkResource,
    OrganisationResource,
    client_scope,
    decide,
    require,
    sees_every_product,
)
from portal.audit.services import record_many, who_of
from portal.billing import services as billing
from portal.clients import queries as link_queries
from portal.core.current import Current
from portal.errors import Forbidden, FormErrors, NotFound
from portal.piccolo_conf import DB
from portal.renewals import lists, queries
from portal.renewals.lists import Filter, Owner
from portal.renewals.rules import look_again_after_option_change

RENEW_NOW_MOST = lists.PAGE_SIZE  # products renewed at once, in one transaction
NOT_FULL = (
    "Only the renewals of clients who gave you full access can be changed; the others are "
    "their own to change."
)


class Change(StrEnum):
    AUTOMATIC_ON = "automatic_on"
    AUTOMATIC_OFF = "automatic_off"
    WARRANTY_ON = "warranty_on"
    WARRANTY_OFF = "warranty_off"
    RENEW_NOW = "renew_now"

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self]


CHANGE_LABELS = {
    Change.AUTOMATIC_ON: "Turn automatic renewal on",
    Change.AUTOMATIC_OFF: "Turn automatic renewal off",
    Change.WARRANTY_ON: "Turn the warranty on",
    Change.WARRANTY_OFF: "Turn the warranty off",
    Change.RENEW_NOW: "Renew now",
}
# The option each change sets, and to what.
OPTIONS = {
    Change.AUTOMATIC_ON: ("automatic_renewal", True),
    Change.AUTOMATIC_OFF: ("automatic_renewal", False),
    Change.WARRANTY_ON: ("renewal_warranty", True),
    Change.WARRANTY_OFF: ("renewal_warranty", False),
}


def today() -> date:
    return datetime.now(UTC).date()


# --- whose renewals -----------------------------------------------------------------------------


async def own_renewals(current: Current) -> Owner:
    """The acting organisation's own products, as far as the person sees them."""
    resource = current.organisation_resource()
    require(current.actor, Action.VIEW_RENEWALS, resource)
    given = None
    if not sees_every_product(current.role):
        given = tuple(
            sorted(await queries.products_given(current.user_id, current.organisation.id))
        )
    return Owner(resource.organisation_id, only_products=given)


async def managed_renewals(current: Current) -> Owner:
    """The products the acting organisation manages for the clients the person sees."""
    resource = current.organisation_resource()
    require(current.actor, Action.VIEW_CLIENT_RENEWALS, resource)
    scope = client_scope(current.actor)
    seen = None
    if not scope.every_client:
        seen = tuple(
            await queries.clients_seen(
                resource.organisation_id, current.user_id, current.actor.team_ids
            )
        )
    return Owner(resource.organisation_id, partner=True, only_clients=seen)


async def due_counts(current: Current) -> dict[Filter, int]:
    """How many of the products the acting organisation manages, of the clients the person
    sees, are due soon, in grace, suspended: the partner dashboard's attention list."""
    owner = await managed_renewals(current)
    return await lists.counts(owner, today(), await queries.policies())


def may_manage_own(current: Current) -> bool:
    return (
        decide(current.actor, Action.MANAGE_RENEWALS, OrganisationResource(current.organisation.id))
        is Decision.ALLOWED
    )


def may_manage_client_product(current: Current, row: dict) -> bool:
    return _client_decision(current, row) is Decision.ALLOWED


def _client_decision(current: Current, row: dict) -> Decision:
    if row["link_id"] is None:
        return Decision.HIDDEN
    link = LinkResource(
        partner_id=row["managed_by"],
        client_id=row["client_id"],
        active=True,
        assigned_user_ids=frozenset(row["assigned_user_ids"] or ()),
        assigned_team_ids=frozenset(row["assigned_team_ids"] or ()),
    )
    resource = ClientProductResource(link, covered=True, may_order=row["access"] == "full")
    return decide(current.actor, Action.MANAGE_RENEWALS, resource)


# --- changing options ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The products a change applies to: those ticked, or every one matching the filter."""

    product_ids: tuple[int, ...] = ()
    matching: bool = False
    state: Filter = Filter.ALL
    family: str = ""


@dataclass(frozen=True)
class Outcome:
    changed: int
    left: int = 0  # of clients with restricted access, left as they were (partner, matching)


async def change(current: Current, owner: Owner, selection: Selection, what: Change) -> Outcome:
    """Apply WHAT to the selected products of OWNER: all, or (a person changing a selection
    of products it may not change) nothing."""
    if owner.partner:
        return await _change_managed(current, owner, selection, what)
    require(current.actor, Action.MANAGE_RENEWALS, OrganisationResource(owner.organisation_id))
    ids = await _selected_ids(owner, selection)
    if what is Change.RENEW_NOW:
        return Outcome(await _renew_now(current, [(owner.organisation_id, ids)]))
    async with DB.transaction():
        await link_queries.lock_client(owner.organisation_id)
        rows = await _own_rows(owner, ids)
        await _set_option(current, rows, what, acting_for=None)
    return Outcome(len(rows))


async def _selected_ids(owner: Owner, selection: Selection) -> list[int]:
    if selection.matching:
        policies = await queries.policies()
        return await lists.matching_ids(owner, selection.state, selection.family, today(), policies)
    if not selection.product_ids:
        raise FormErrors({"product": "Tick at least one product."})
    return list(dict.fromkeys(selection.product_ids))


async def _own_rows(owner: Owner, ids: list[int], *, lock: bool = True) -> list[dict]:
    rows = await lists.chosen_products(owner, ids, lock=lock)
    if len(rows) != len(ids):
        raise NotFound()  # another organisation's product, or none: as if it did not exist
    return rows


async def _change_managed(
    current: Current, owner: Owner, selection: Selection, what: Change
) -> Outcome:
    ids = await _selected_ids(owner, selection)
    rows = await _own_rows(owner, ids, lock=False)
    allowed = [row for row in rows if may_manage_client_product(current, row)]
    if len(allowed) < len(rows) and not selection.matching:
        raise Forbidden(NOT_FULL)
    by_client: dict[int, list[int]] = {}
    for row in allowed:
        by_client.setdefault(row["client_id"], []).append(row["id"])
    if what is Change.RENEW_NOW:
        return Outcome(
            await _renew_now(current, sorted(by_client.items())), len(rows) - len(allowed)
        )
    changed = 0
    for client_id, client_ids in sorted(by_client.items()):
        async with DB.transaction():  # one client at a time, the client locked first
            await link_queries.lock_client(client_id)
            locked = await _own_rows(owner, client_ids)
            locked = [row for row in locked if may_manage_client_product(current, row)]
            await _set_option(current, locked, what, acting_for=client_id)
            changed += len(locked)
    return Outcome(changed, len(rows) - len(allowed))


async def _set_option(current: Current, rows: list[dict], what: Change, acting_for: int | None):
    column, value = OPTIONS[what]
    day = today()
    updates = []
    for row in rows:
        check = row["next_renewal_check"]
        if value:
            check = look_again_after_option_change(check, row["renews_on"], day, row["status"])
        updates.append((row["id"], value, check))
    await queries.set_option(column, updates)
    after = {column: value}
    entries = [(row["client_id"], "renewal.options", row["name"], after) for row in rows]
    if acting_for is not None:  # the partner's own log too
        entries += [
            (current.organisation.id, "renewal.options", row["name"], after) for row in rows
        ]
    await record_many(who_of(current, acting_for), entries)


# --- renew now ----------------------------------------------------------------------------------


async def _renew_now(current: Current, by_client: Iterable[tuple[int, list[int]]]) -> int:
    """Billing's manual renewal of each product, all or none: the clients locked first, in
    one order."""
    by_client = list(by_client)
    count = sum(len(ids) for _, ids in by_client)
    if count > RENEW_NOW_MOST:
        raise FormErrors(
            {"product": f"Renew at most {RENEW_NOW_MOST} products at once, from one page."}
        )
    if count == 0:
        return 0
    async with DB.transaction():
        for client_id, _ in by_client:
            await link_queries.lock_client(client_id)
        for client_id, ids in by_client:
            for product_id in ids:
                await billing.order(current, billing.OrderRequest(client_id, None, product_id, ""))
    return count
