"""The renewals pages' lists, counts and CSV: an organisation's own products, or the products
a partner manages for the clients a person sees, by renewal date, filtered by state.

A page is read by keyset from an index in date order (product_organisation_renews,
product_managed_renews), whatever its position in the list: a filter is one or two index
ranges read in that order and merged (a suspension the run has recorded, and one the dates
say is due), never a scan of the owner's products. Per-row extras (offer, client, payer) are
joined for the page's rows only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from piccolo.querystring import QueryString as Q

from portal.database import storable_id
from portal.products.tables import Product
from portal.renewals.rules import (
    DEFAULT_FAMILY,
    DUE_SOON_DAYS,
    Policy,
    Step,
    policy_for,
    state_of,
)

PAGE_SIZE = 50


class Filter(StrEnum):
    ALL = "all"
    DUE_SOON = "due"
    GRACE = "grace"
    SUSPENDED = "suspended"

    @property
    def label(self) -> str:
        return FILTER_LABELS[self]


FILTER_LABELS = {
    Filter.ALL: "All products",
    Filter.DUE_SOON: f"Due in {DUE_SOON_DAYS} days",
    Filter.GRACE: "In grace",
    Filter.SUSPENDED: "Suspended",
}


@dataclass(frozen=True)
class Owner:
    """Whose products: an organisation's own (CLIENT), or those PARTNER manages. ONLY_CLIENTS
    narrows a partner's to the clients a collaborator sees; ONLY_PRODUCTS an organisation's to
    the products given to a plain user."""

    organisation_id: int
    partner: bool = False
    only_clients: tuple[int, ...] | None = None
    only_products: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Position:
    """Where a page starts: after or before a (renews_on, id) key; the first page without."""

    after: tuple[date, int] | None = None
    before: tuple[date, int] | None = None


def token(row: dict) -> str:
    return f"{row['renews_on'].isoformat()}.{row['id']}"


def key_of(text: str | None) -> tuple[date, int] | None:
    """A page's key from the URL; anything else means the first page."""
    if not text or len(text) > 30:
        return None
    day_text, _, id_text = text.partition(".")
    try:
        day, product_id = date.fromisoformat(day_text), int(id_text)
    except ValueError:
        return None
    return (day, product_id) if storable_id(product_id) and product_id > 0 else None


# --- SQL ----------------------------------------------------------------------------------------
# Built of Piccolo QueryStrings nested in each other: each piece carries its own arguments, so
# the placeholders always follow the text.


def _joined(separator: str, parts: list[Q]) -> Q:
    return Q(separator.join("{}" for _ in parts), *parts)


def _by_family(policies: dict[str, Policy], days) -> Q:
    """The days (a function of the policy) of the row's family."""
    families = [f for f in policies if f != DEFAULT_FAMILY]
    cases = _joined(" ", [Q("WHEN {} THEN {}::int", f, days(policies[f])) for f in families])
    return Q("(CASE p.family {} ELSE {}::int END)", cases, days(policies[DEFAULT_FAMILY]))


def state_sql(today: date, policies: dict[str, Policy]) -> Q:
    """The state a person sees (rules.state_of), in SQL."""
    grace = _by_family(policies, lambda p: p.grace_days)
    lapse = _by_family(policies, lambda p: p.grace_days + p.suspension_days)
    return Q(
        f"""(CASE
        WHEN p.status = 'cancelled' THEN 'cancelled'
        WHEN p.status = 'expired' OR p.renewal_step >= {Step.EXPIRED:d}
             OR p.renews_on + {{}} + 1 <= {{}}::date THEN 'expired'
        WHEN p.status = 'suspended' OR p.renewal_step >= {Step.SUSPENDED:d}
             OR p.renews_on + {{}} + 1 <= {{}}::date THEN 'suspended'
        WHEN p.renewal_step = {Step.GRACE:d} OR p.renews_on < {{}}::date THEN 'grace'
        WHEN p.renewal_step = {Step.DUE:d} OR p.renews_on = {{}}::date THEN 'due'
        ELSE 'active' END)""",
        lapse,
        today,
        grace,
        today,
        today,
        today,
    )


def _branches(chosen: Filter, today: date, policies: dict[str, Policy]) -> list[Q]:
    """The filter as index ranges (conditions on p), each read in date order."""
    if chosen is Filter.ALL:
        return [Q("TRUE")]
    state = state_sql(today, policies)
    soon = today + timedelta(days=DUE_SOON_DAYS)
    if chosen is Filter.DUE_SOON:
        return [Q("p.renews_on BETWEEN {} AND {} AND {} IN ('active', 'due')", today, soon, state)]
    if chosen is Filter.GRACE:  # the grace period follows the date: it has passed
        earliest = today - timedelta(days=max(p.grace_days for p in policies.values()))
        yesterday = today - timedelta(days=1)
        return [Q("p.renews_on BETWEEN {} AND {} AND {} = 'grace'", earliest, yesterday, state)]
    longest_lapse = max(p.grace_days + p.suspension_days for p in policies.values())
    shortest_grace = min(p.grace_days for p in policies.values())
    return [
        Q("p.status = 'suspended'"),
        Q(
            "p.status = 'active' AND p.renews_on BETWEEN {} AND {} AND {} = 'suspended'",
            today - timedelta(days=longest_lapse),
            today - timedelta(days=shortest_grace + 1),
            state,
        ),
    ]


def _owned(owner: Owner, family: str = "") -> Q:
    column = "p.managed_by" if owner.partner else "p.organisation"
    parts = [Q(f"{column} = {{}}", owner.organisation_id)]
    if owner.only_clients is not None:
        parts.append(Q("p.organisation = ANY({})", list(owner.only_clients)))
    if owner.only_products is not None:
        parts.append(Q("p.id = ANY({})", list(owner.only_products)))
    if family:
        parts.append(Q("p.family = {}", family))
    return _joined(" AND ", parts)


ROW_SQL = """
SELECT p.id, p.name, p.family, p.period, p.status, p.renews_on, p.renewal_step,
       p.next_renewal_check, p.automatic_renewal, p.renewal_warranty, p.organisation AS client_id,
       c.name AS client_name, i.name AS offer, p.managed_by,
       l.id AS link_id, l.access, l.billing_mode, m.name AS partner_name,
       ARRAY(SELECT a.account FROM client_assignment a WHERE a.link = l.id
             AND a.account IS NOT NULL) AS assigned_user_ids,
       ARRAY(SELECT a.team FROM client_assignment a WHERE a.link = l.id
             AND a.team IS NOT NULL) AS assigned_team_ids
FROM {{}} JOIN product p ON p.id = page.id
JOIN catalogue_item i ON i.id = p.item
JOIN organisation c ON c.id = p.organisation
LEFT JOIN partner_link l ON l.client = p.organisation AND l.partner = p.managed_by
                        AND l.status = 'active'
LEFT JOIN organisation m ON m.id = p.managed_by
ORDER BY p.renews_on {direction}, p.id {direction}{lock}
"""


def _rows(source: Q, direction: str = "ASC", lock: bool = False) -> Q:
    text = ROW_SQL.format(direction=direction, lock=" FOR NO KEY UPDATE OF p" if lock else "")
    return Q(text, source)


def _page_query(
    owner: Owner,
    chosen: Filter,
    family: str,
    today: date,
    policies: dict[str, Policy],
    position: Position,
    limit: int,
) -> Q:
    backward = position.before is not None
    direction = "DESC" if backward else "ASC"
    key = position.before or position.after
    keyset = Q("TRUE")
    if key is not None:
        keyset = Q(f"(p.renews_on, p.id) {'<' if backward else '>'} ({{}}, {{}})", *key)
    parts = [
        Q(
            f"(SELECT p.id, p.renews_on FROM product p WHERE {{}} AND {{}} AND {{}} "
            f"ORDER BY p.renews_on {direction}, p.id {direction} LIMIT {{}})",
            _owned(owner, family),
            branch,
            keyset,
            limit,
        )
        for branch in _branches(chosen, today, policies)
    ]
    source = Q(
        f"(SELECT id, renews_on FROM ({{}}) b ORDER BY renews_on {direction}, id {direction} "
        "LIMIT {}) page",
        _joined(" UNION ALL ", parts),
        limit,
    )
    return _rows(source, direction)


async def _fetch(query: Q) -> list[dict]:
    return await Product.raw("{}", query)


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    next_token: str | None
    previous_token: str | None


async def renewals_page(
    owner: Owner,
    chosen: Filter,
    family: str,
    today: date,
    policies: dict[str, Policy],
    position: Position,
    size: int = PAGE_SIZE,
) -> Page:
    rows = await _fetch(_page_query(owner, chosen, family, today, policies, position, size + 1))
    more = len(rows) > size
    rows = rows[:size]
    if position.before is not None:
        rows.reverse()
        next_token = token(rows[-1]) if rows else None
        previous_token = token(rows[0]) if rows and more else None
    else:
        next_token = token(rows[-1]) if rows and more else None
        previous_token = token(rows[0]) if rows and position.after is not None else None
    for row in rows:
        _describe(row, today, policies)
    return Page(rows, next_token, previous_token)


def _describe(row: dict, today: date, policies: dict[str, Policy]) -> None:
    """What the page shows of a row: its state, and who pays its renewals."""
    row["state"] = state_of(
        row["status"],
        row["renewal_step"],
        row["renews_on"],
        today,
        policy_for(policies, row["family"]),
        row["period"],
    )
    partner_pays = row["access"] == "full" and row["billing_mode"] == "partner"
    row["payer_name"] = row["partner_name"] if partner_pays else row["client_name"]


# --- counts for the dashboard ---------------------------------------------------------------------


COUNTED = (Filter.DUE_SOON, Filter.GRACE, Filter.SUSPENDED)


def count_query(owner: Owner, chosen: Filter, today: date, policies: dict[str, Policy]) -> Q:
    """How many of OWNER's products CHOSEN holds: a sum of index range counts."""
    parts = [
        Q("SELECT count(*) AS n FROM product p WHERE {} AND {}", _owned(owner), branch)
        for branch in _branches(chosen, today, policies)
    ]
    return Q("(SELECT sum(n)::int AS n FROM ({}) c)", _joined(" UNION ALL ", parts))


def kept_due_soon_query(partner_id: int, today: date) -> Q:
    """How many products PARTNER manages are due soon, from the counts kept per renewal date
    (renewal_day_count): the active ones renewing from today to DUE_SOON_DAYS ahead, which
    are those of the filter since a product only reaches a step after its date."""
    return Q(
        "(SELECT coalesce(sum(products), 0)::int FROM renewal_day_count "
        "WHERE partner = {} AND renews_on BETWEEN {} AND {})",
        partner_id,
        today,
        today + timedelta(days=DUE_SOON_DAYS),
    )


def counts_query(owner: Owner, today: date, policies: dict[str, Policy]) -> Q:
    """The three counts of COUNTED in one statement. A partner's whole list reads its due
    soon count from the kept counts; grace and suspended are few, read from the indexes."""
    whole_partner_list = (
        owner.partner and owner.only_clients is None and owner.only_products is None
    )
    due_soon = (
        kept_due_soon_query(owner.organisation_id, today)
        if whole_partner_list
        else count_query(owner, Filter.DUE_SOON, today, policies)
    )
    return Q(
        "SELECT {} AS due, {} AS grace, {} AS suspended",
        due_soon,
        count_query(owner, Filter.GRACE, today, policies),
        count_query(owner, Filter.SUSPENDED, today, policies),
    )


async def counts(owner: Owner, today: date, policies: dict[str, Policy]) -> dict[Filter, int]:
    """How many products are due soon, in grace, suspended."""
    [row] = await _fetch(counts_query(owner, today, policies))
    return {chosen: row[chosen.value] or 0 for chosen in COUNTED}


# --- products acted on ------------------------------------------------------------------------


async def chosen_products(owner: Owner, product_ids: list[int], *, lock: bool = False):
    """The owner's products among PRODUCT_IDS (another's are left out), with their link;
    LOCK: their rows locked for the rest of the transaction."""
    source = Q(
        "(SELECT p.id FROM product p WHERE {} AND p.id = ANY({})) page",
        _owned(owner),
        [i for i in product_ids if storable_id(i)],
    )
    return await _fetch(_rows(source, lock=lock))


async def matching_ids(
    owner: Owner, chosen: Filter, family: str, today: date, policies: dict[str, Policy]
) -> list[int]:
    """Every product of the filter, in date order (for "all that match")."""
    parts = [
        Q("SELECT p.id, p.renews_on FROM product p WHERE {} AND {}", _owned(owner, family), b)
        for b in _branches(chosen, today, policies)
    ]
    query = Q("SELECT id FROM ({}) b ORDER BY renews_on, id", _joined(" UNION ALL ", parts))
    return [row["id"] for row in await _fetch(query)]


async def csv_rows(
    owner: Owner,
    chosen: Filter,
    family: str,
    today: date,
    policies: dict[str, Policy],
    batch: int = 1000,
) -> AsyncIterator[list[dict]]:
    """Every row of the filter, in date order, a batch at a time (flat memory)."""
    position = Position()
    while True:
        page = await renewals_page(owner, chosen, family, today, policies, position, batch)
        if page.rows:
            yield page.rows
        if page.next_token is None:
            return
        position = Position(after=key_of(page.next_token))
