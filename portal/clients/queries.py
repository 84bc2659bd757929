"""Reads and writes of links, delegated products and assignments — scoped to one side of the
link: rows are found through the actor's organisation, never by id alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from portal.access import ClientScope
from portal.clients.records import Link
from portal.clients.rules import Access, BillingMode, Grant, LinkStatus
from portal.clients.tables import (
    ClientAssignment,
    DelegatedProduct,
    LinkRequest,
    LinkTransfer,
    PartnerLink,
    RequestTemplate,
)
from portal.core.enums import IN_PROGRAMME
from portal.database import CHANGE_LOCK, storable_id
from portal.organisations.tables import Organisation
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page
from portal.products import queries as product_queries
from portal.products.queries import ProductChoices, product_choices

PAGE_SIZE = 25
OPEN = (LinkStatus.AWAITING_CLIENT, LinkStatus.AWAITING_PARTNER, LinkStatus.ACTIVE)

LINK_SQL = """
SELECT l.*, p.name AS partner_name, c.name AS client_name, c.country AS client_country,
       c.currency AS client_currency,
       ARRAY(SELECT product FROM delegated_product d WHERE d.link = l.id) AS product_ids,
       ARRAY(SELECT account FROM client_assignment a WHERE a.link = l.id AND account IS NOT NULL)
           AS assigned_user_ids,
       ARRAY(SELECT team FROM client_assignment a WHERE a.link = l.id AND team IS NOT NULL)
           AS assigned_team_ids
FROM partner_link l
JOIN organisation p ON p.id = l.partner
LEFT JOIN organisation c ON c.id = l.client
WHERE l.id = {} AND (l.partner = {} OR l.client = {})
"""


async def link_seen_by(organisation_id: int, link_id: int) -> dict | None:
    """The link if ORGANISATION_ID is one of its two sides; None otherwise (→ 404)."""
    if not storable_id(link_id):
        return None
    rows = await PartnerLink.raw(LINK_SQL, link_id, organisation_id, organisation_id)
    return rows[0] if rows else None


async def link_by_token(token_hash: str) -> dict | None:
    rows = await PartnerLink.raw(
        """SELECT l.*, p.name AS partner_name, p.country AS partner_country,
                  a.full_name AS requested_by
           FROM partner_link l JOIN organisation p ON p.id = l.partner
           LEFT JOIN account a ON a.id = l.created_by
           WHERE l.token_hash = {}""",
        token_hash,
    )
    return rows[0] if rows else None


async def lock_link(link_id: int, client_id: int | None) -> dict | None:
    """The link, locked for a change, after its client (CLIENT_ID; None while an invitation
    has no client yet). Locks are taken in one order everywhere, client first: the trigger
    that refreshes the managed volume reads every link of the client, so two changes that
    each held one link and then waited for the client would deadlock."""
    if client_id is not None:
        await lock_client(client_id)
    return (
        await PartnerLink.select().where(PartnerLink.id == link_id).lock_rows(CHANGE_LOCK).first()
    )


# In SQL: the renewal run takes it once per transaction, and building it with Piccolo's
# select cost more than the lock itself.
LOCK_CLIENT_SQL = f"SELECT id FROM organisation WHERE id = {{}} FOR {CHANGE_LOCK.value}"


async def lock_client(client_id: int) -> None:
    """Serialise every delegation change of one client, so that coexistence checks (one full
    partner; one partner per product) see each other's results."""
    await Organisation.raw(LOCK_CLIENT_SQL, client_id)


def grant_of(link: dict) -> Grant | None:
    if not link.get("access"):
        return None
    return Grant(
        Access(link["access"]),
        frozenset(link["families"] or ()),
        frozenset(link.get("product_ids") or ()),
        BillingMode(link["billing_mode"]) if link["billing_mode"] else None,
    )


def requested_grant_of(link: dict) -> Grant:
    """What a request asks for: a link's request, or a partner's request for other access."""
    return Grant(
        Access(link["requested_access"]),
        frozenset(link["requested_families"] or ()),
        frozenset(link.get("requested_products") or ()),
        BillingMode(link["billing_mode"]) if link.get("billing_mode") else None,
    )


async def live_delegations(client_id: int) -> list[dict]:
    return await PartnerLink.raw(
        """SELECT l.id, l.access, l.families, l.billing_mode, p.name AS partner_name,
                  ARRAY(SELECT product FROM delegated_product d WHERE d.link = l.id) AS product_ids
           FROM partner_link l JOIN organisation p ON p.id = l.partner
           WHERE l.client = {} AND l.status = 'active'""",
        client_id,
    )


async def insert_link(values: dict) -> int:
    rows = await PartnerLink.insert(PartnerLink(**values)).returning(PartnerLink.id)
    return rows[0]["id"]


async def update_link(link_id: int, values: dict) -> None:
    await PartnerLink.update(values).where(PartnerLink.id == link_id)


async def replace_delegated_products(link_id: int, client_id: int, product_ids) -> None:
    await DelegatedProduct.delete().where(DelegatedProduct.link == link_id)
    if product_ids:
        await DelegatedProduct.insert(
            *[DelegatedProduct(link=link_id, product=pid, client=client_id) for pid in product_ids]
        )


async def end_delegation(link_id: int) -> None:
    await DelegatedProduct.delete().where(DelegatedProduct.link == link_id)


async def expire_overdue(organisation_id: int, now: datetime) -> None:
    await PartnerLink.raw(
        """UPDATE partner_link SET status = 'expired', token_hash = NULL
           WHERE (partner = {} OR client = {})
             AND status IN ('awaiting_client', 'awaiting_partner') AND expires_at <= {}""",
        organisation_id,
        organisation_id,
        now,
    )


async def open_link_between(partner_id: int, client_id: int, other_than: int = 0) -> bool:
    """Whether the two are linked, or a request between them waits (OTHER_THAN aside)."""
    return await PartnerLink.exists().where(
        PartnerLink.partner == partner_id,
        PartnerLink.client == client_id,
        PartnerLink.status.is_in(list(OPEN)),
        PartnerLink.id != other_than,
    )


# --- who sees which clients (docs/rules.md, Who may do what) -------------------------------


def seen_filter(
    scope: ClientScope, which_links: str, arg: Callable[[object], str], *, or_else: str = ""
) -> str:
    """An `AND …` clause that keeps only the rows of clients the person of SCOPE sees: the
    partner's link(s) that WHICH_LINKS picks (a condition on `sl`, a partner_link) must be
    active and given to them, in person or through a team. OR_ELSE keeps a row anyway (the
    organisation's own invoices, say). Empty for whoever sees every client. ARG adds a
    query argument and returns its placeholder."""
    if scope.every_client:
        return ""
    seen = (
        "EXISTS (SELECT 1 FROM partner_link sl JOIN client_assignment sa ON sa.link = sl.id "
        f"WHERE {which_links} AND sl.status = 'active' "
        f"AND (sa.account = {arg(scope.user_id)} OR sa.team = ANY({arg(sorted(scope.team_ids))})))"
    )
    return f"AND ({or_else} OR {seen})" if or_else else f"AND {seen}"


def arguments() -> tuple[list, Callable[[object], str]]:
    """A query's argument list, and the function that adds one and returns its placeholder:
    placeholders come out in the order the SQL is written."""
    values: list = []

    def arg(value) -> str:
        values.append(value)
        return "{}"

    return values, arg


# --- the partner's clients page --------------------------------------------------------------

# By client name; the link id orders namesakes. The page's links are chosen first; their
# product counts and collaborators are then looked up for those rows only.
CLIENT_ORDER = Order(("c.name", "l.id"), ("client_name", "id"), (Kind.TEXT, Kind.ID))
CLIENTS_SQL = """
SELECT l.*,
       (SELECT count(*) FROM product p WHERE p.organisation = l.client_id
          AND p.status <> 'cancelled'
          AND (l.access = 'full' OR p.family = ANY(l.families)
               OR p.id IN (SELECT d.product FROM delegated_product d WHERE d.link = l.id)))
           AS product_count,
       ARRAY(SELECT coalesce(ac.full_name, t.name) FROM client_assignment a
               LEFT JOIN account ac ON ac.id = a.account LEFT JOIN team t ON t.id = a.team
             WHERE a.link = l.id ORDER BY 1) AS collaborators
FROM (SELECT l.id, l.access, l.billing_mode, l.families, l.decided_at, l.ends_at,
             c.id AS client_id, c.name AS client_name, c.country AS client_country
      FROM partner_link l JOIN organisation c ON c.id = l.client
      WHERE l.partner = {partner} AND l.status = 'active'
        {seen} {access_filter} {search_filter} {keyset}
      ORDER BY {order} LIMIT {limit}) l
ORDER BY {outer_order}
"""


async def clients_of_partner(
    partner_id: int,
    position: Position = FIRST,
    *,
    scope: ClientScope,
    access: str = "",
    search: str = "",
    size: int | None = None,
) -> Page:
    """The page of the partner's active clients that the person of SCOPE sees, at
    POSITION."""

    async def fetch(window: Window) -> list[dict]:
        sql, args = clients_query(partner_id, window, scope=scope, access=access, search=search)
        return await PartnerLink.raw(sql, *args, *window.arguments)

    return await read_page(CLIENT_ORDER.window(position, size or PAGE_SIZE), fetch)


def clients_query(
    partner_id: int, window: Window, *, scope: ClientScope, access: str = "", search: str = ""
) -> tuple[str, list]:
    """The SQL of a page of `clients_of_partner` (with Piccolo's {} placeholders) and its
    arguments, the window's own arguments to follow."""
    args, arg = arguments()
    sql = CLIENTS_SQL.format(
        partner=arg(partner_id),
        seen=seen_filter(scope, "sl.id = l.id", arg),
        access_filter=f"AND l.access = {arg(access)}" if access else "",
        search_filter=f"AND c.name ILIKE {arg('%' + _escape_like(search) + '%')}" if search else "",
        keyset=window.and_condition(),
        order=window.order_by,
        limit=window.limit,
        outer_order=window.order_by_keys("l"),
    )
    return sql, args


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


async def pending_for_partner(partner_id: int) -> list[dict]:
    return await PartnerLink.raw(
        """SELECT l.id, l.status, l.initiated_by, l.invited_email, l.requested_access,
                  l.requested_families, l.requested_products, l.billing_mode, l.created_at,
                  l.expires_at, c.name AS client_name
           FROM partner_link l LEFT JOIN organisation c ON c.id = l.client
           WHERE l.partner = {} AND l.status IN ('awaiting_client', 'awaiting_partner')
           ORDER BY l.created_at DESC LIMIT 100""",
        partner_id,
    )


# Active links first ('active' sorts before 'awaiting_partner'), then by partner name and id.
PARTNER_ORDER = Order(
    ("l.status", "p.name", "l.id"),
    ("status", "partner_name", "id"),
    (Kind.TEXT, Kind.TEXT, Kind.ID),
)
PARTNERS_SQL = """
SELECT l.*, (SELECT count(*) FROM delegated_product d WHERE d.link = l.id) AS product_count
FROM (SELECT l.id, l.partner, l.client, l.status, l.initiated_by, l.access, l.families,
             l.billing_mode, l.requested_access, l.requested_families, l.requested_products,
             l.created_at, l.decided_at, l.ends_at, l.auto_extend, p.name AS partner_name
      FROM partner_link l JOIN organisation p ON p.id = l.partner
      WHERE l.client = {{}} AND l.status IN ('awaiting_partner', 'active') {keyset}
      ORDER BY {order} LIMIT {limit}) l
ORDER BY {outer_order}
"""


async def links_of_client(
    client_id: int, position: Position = FIRST, size: int | None = None
) -> Page:
    """The page of the client's partners (active, or asked and waiting) at POSITION."""

    async def fetch(window: Window) -> list[dict]:
        sql = PARTNERS_SQL.format(
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by_keys("l"),
        )
        return await PartnerLink.raw(sql, client_id, *window.arguments)

    return await read_page(PARTNER_ORDER.window(position, size or PAGE_SIZE), fetch)


async def all_links_of_client(client_id: int) -> list[dict]:
    """Every link of `links_of_client`, page after page (a client has few partners)."""
    links, position = [], FIRST
    while True:
        page = await links_of_client(client_id, position, size=200)
        links += page.rows
        if page.at_end:
            return links
        position = Position("after", page.after)


# --- products seen through a link ----------------------------------------------------------

# By family, name, then id (product_organisation_family_name reads it in this order).
PRODUCT_ORDER = Order(
    ("p.family", "p.name", "p.id"), ("family", "name", "id"), (Kind.TEXT, Kind.TEXT, Kind.ID)
)
PRODUCTS_SQL = """
SELECT p.*, i.name AS offer
FROM (SELECT p.id, p.name, p.family, p.period, p.status, p.renewal_step, p.started_on,
             p.renews_on, p.item
      FROM product p
      WHERE p.organisation = {{}}
        AND ({{}} OR p.family = ANY({{}})
             OR p.id IN (SELECT d.product FROM delegated_product d WHERE d.link = {{}}))
        {keyset}
      ORDER BY {order} LIMIT {limit}) p
JOIN catalogue_item i ON i.id = p.item
ORDER BY {outer_order}
"""


async def delegated_products(link: dict, position: Position = FIRST, size: int = 50) -> Page:
    """The client's products that LINK delegates: all for full access, else its families and
    named products."""

    async def fetch(window: Window) -> list[dict]:
        sql = PRODUCTS_SQL.format(
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by_keys("p"),
        )
        rows = await PartnerLink.raw(
            sql,
            link["client"],
            link["access"] == Access.FULL,
            list(link["families"] or []),
            link["id"],
            *window.arguments,
        )
        return product_queries.with_states(rows)

    return await read_page(PRODUCT_ORDER.window(position, size), fetch)


async def client_products(client_id: int) -> dict[int, str]:
    """Every product of the client: id → family (for coexistence checks)."""
    rows = await PartnerLink.raw(
        "SELECT id, family FROM product WHERE organisation = {} AND status <> 'cancelled'",
        client_id,
    )
    return {row["id"]: row["family"] for row in rows}


# Each product of the grant form says which partner manages it.
MANAGED_BY = """, (SELECT o.name FROM delegated_product d JOIN partner_link l ON l.id = d.link
                  JOIN organisation o ON o.id = l.partner WHERE d.product = p.id LIMIT 1)
                AS partner_name"""


async def client_product_choices(
    client_id: int, chosen: Iterable[int] = (), text: str = "", limit: int | None = None
) -> ProductChoices:
    """The client's products the grant form offers (products.queries.product_choices), each
    with the partner managing it."""
    return await product_choices(client_id, chosen, text, limit, columns=MANAGED_BY)


async def product_of_client(client_id: int, product_id: int) -> dict | None:
    if not storable_id(product_id):
        return None
    rows = await PartnerLink.raw(
        "SELECT id, name, family, status FROM product WHERE organisation = {} AND id = {}",
        client_id,
        product_id,
    )
    return rows[0] if rows else None


async def rename_product(product_id: int, name: str) -> None:
    await PartnerLink.raw("UPDATE product SET name = {} WHERE id = {}", name, product_id)


# --- assignments -----------------------------------------------------------------------------


async def replace_assignments(link_id: int, account_ids, team_ids) -> None:
    await ClientAssignment.delete().where(ClientAssignment.link == link_id)
    rows = [ClientAssignment(link=link_id, account=a) for a in account_ids]
    rows += [ClientAssignment(link=link_id, team=t) for t in team_ids]
    if rows:
        await ClientAssignment.insert(*rows)


async def legal_representative_emails(organisation_id: int) -> list[str]:
    rows = await PartnerLink.raw(
        """SELECT a.email FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = {} AND m.role = 'legal_representative'""",
        organisation_id,
    )
    return [row["email"] for row in rows]


async def find_partners(search: str, exclude: int) -> list[dict]:
    """Organisations in the programme whose name, or a legal representative's email,
    matches SEARCH."""
    pattern = "%" + _escape_like(search.strip()) + "%"
    return await PartnerLink.raw(
        """SELECT o.id, o.name, o.country, o.website FROM organisation o
           WHERE o.partner_status = ANY({}) AND o.id <> {}
             AND (o.name ILIKE {} OR EXISTS (
                   SELECT 1 FROM membership m JOIN account a ON a.id = m.account
                   WHERE m.organisation = o.id AND m.role = 'legal_representative'
                     AND a.email = lower({})))
           ORDER BY o.name LIMIT 20""",
        sorted(IN_PROGRAMME),
        exclude,
        pattern,
        search.strip(),
    )


async def programme_member(organisation_id: int) -> dict | None:
    if not storable_id(organisation_id):
        return None
    rows = await PartnerLink.raw(
        """SELECT id, name FROM organisation WHERE id = {}
           AND partner_status = ANY({})""",
        organisation_id,
        sorted(IN_PROGRAMME),
    )
    return rows[0] if rows else None


def status_of(link: dict) -> LinkStatus:
    return LinkStatus(link["status"])


async def client_people(client_id: int) -> dict:
    """The client's members and teams, as its partner sees them when managing them."""
    members = await PartnerLink.raw(
        """SELECT a.full_name, a.email, m.role FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = {} ORDER BY a.full_name LIMIT 200""",
        client_id,
    )
    teams = await PartnerLink.raw(
        """SELECT t.name, (SELECT count(*) FROM team_member tm WHERE tm.team = t.id) AS size
           FROM team t WHERE t.organisation = {} ORDER BY lower(t.name) LIMIT 200""",
        client_id,
    )
    return {"members": members, "teams": teams}


async def active_links_of_client(client_id: int) -> list[Link]:
    """The client's live links, as billing needs them (grant, payer rule, partner currency)."""
    rows = await PartnerLink.raw(
        """SELECT l.*, p.currency AS partner_currency, p.name AS partner_name,
                  ARRAY(SELECT product FROM delegated_product d WHERE d.link = l.id) AS product_ids,
                  ARRAY(SELECT account FROM client_assignment a
                        WHERE a.link = l.id AND account IS NOT NULL) AS assigned_user_ids,
                  ARRAY(SELECT team FROM client_assignment a
                        WHERE a.link = l.id AND team IS NOT NULL) AS assigned_team_ids
           FROM partner_link l JOIN organisation p ON p.id = l.partner
           WHERE l.client = {} AND l.status = 'active'""",
        client_id,
    )
    return [Link.from_row(row) for row in rows]


# --- names, for the audit log's snapshots ----------------------------------------------------


async def product_names(client_id: int, product_ids) -> dict[int, str]:
    """The names of the client's products among PRODUCT_IDS."""
    ids = sorted(product_ids)
    if not ids:
        return {}
    rows = await PartnerLink.raw(
        "SELECT id, name FROM product WHERE organisation = {} AND id = ANY({})", client_id, ids
    )
    return {row["id"]: row["name"] for row in rows}


# --- what falls due (docs/rules.md, Delegation: how long access lasts) --------------------------


def _of_organisation(organisation_id: int | None, arg, alias: str = "l") -> str:
    if organisation_id is None:
        return ""
    return (
        f"AND ({alias}.partner = {arg(organisation_id)} OR {alias}.client = {arg(organisation_id)})"
    )


async def anything_due(organisation_id: int, now: datetime) -> bool:
    """Whether any of the organisation's links has something to settle at NOW (what
    expire_overdue, due_elevations, due_endings and expire_requests find): one statement
    for the common case of a page read when nothing is due."""
    args, arg = arguments()

    def links(condition: str) -> str:
        return f"EXISTS (SELECT 1 FROM partner_link l WHERE {condition} {of(arg)})"

    def requests_on_links(condition: str) -> str:
        return (
            "EXISTS (SELECT 1 FROM link_request r JOIN partner_link l ON l.id = r.link "
            f"WHERE {condition} {of(arg)})"
        )

    def of(arg) -> str:
        return _of_organisation(organisation_id, arg)

    unanswered = "l.status IN ('awaiting_client', 'awaiting_partner')"
    sql = " OR ".join(
        [
            links(f"{unanswered} AND l.expires_at <= {arg(now)}"),
            links(f"l.status = 'active' AND l.ends_at <= {arg(now)}"),
            requests_on_links(f"r.status = 'active' AND r.ends_at <= {arg(now)}"),
            requests_on_links(f"r.status = 'pending' AND r.expires_at <= {arg(now)}"),
        ]
    )
    [row] = await PartnerLink.raw(f"SELECT {sql} AS due", *args)
    return row["due"]


async def due_elevations(now: datetime, organisation_id: int | None = None) -> list[dict]:
    """Temporary full access whose time is up, oldest first (of one organisation's links, or
    of all)."""
    args, arg = arguments()
    sql = (
        "SELECT r.id, r.link, l.client FROM link_request r JOIN partner_link l ON l.id = r.link "
        f"WHERE r.status = 'active' AND r.ends_at <= {arg(now)} "
        f"{_of_organisation(organisation_id, arg)} ORDER BY r.ends_at LIMIT 500"
    )
    return await PartnerLink.raw(sql, *args)


async def due_endings(now: datetime, organisation_id: int | None = None) -> list[dict]:
    """Active collaborations whose end date has come, oldest first."""
    args, arg = arguments()
    sql = (
        "SELECT l.id, l.client FROM partner_link l "
        f"WHERE l.status = 'active' AND l.ends_at <= {arg(now)} "
        f"{_of_organisation(organisation_id, arg)} ORDER BY l.ends_at LIMIT 500"
    )
    return await PartnerLink.raw(sql, *args)


async def expire_requests(now: datetime, organisation_id: int | None = None) -> None:
    """Requests on links, and transfer codes, left unanswered past their time."""
    args, arg = arguments()
    sql = (
        "UPDATE link_request r SET status = 'expired' FROM partner_link l "
        f"WHERE l.id = r.link AND r.status = 'pending' AND r.expires_at <= {arg(now)} "
        f"{_of_organisation(organisation_id, arg)}"
    )
    await PartnerLink.raw(sql, *args)


# A link's access as it stands: during temporary full access, the access it goes back to.
STANDING_ACCESS_SQL = """COALESCE((SELECT r.previous->>'access' FROM link_request r
                            WHERE r.link = l.id AND r.status = 'active' LIMIT 1), l.access)"""


async def links_ending_between(start: datetime, end: datetime) -> list[dict]:
    """Active collaborations whose end date falls in [START, END), for the reminders; ACCESS
    is the standing one (during temporary full access, the access it goes back to)."""
    return await PartnerLink.raw(
        f"""SELECT l.id, l.partner, l.client, l.ends_at, l.end_set_at, l.auto_extend,
                  {STANDING_ACCESS_SQL} AS access, p.name AS partner_name, c.name AS client_name,
                  ARRAY(SELECT s.days FROM reminder_sent s WHERE s.topic = 'link.end'
                        AND s.subject_id = l.id AND s.deadline = l.ends_at) AS sent
           FROM partner_link l JOIN organisation p ON p.id = l.partner
           JOIN organisation c ON c.id = l.client
           WHERE l.status = 'active' AND l.ends_at >= {{}} AND l.ends_at < {{}}
           ORDER BY l.ends_at LIMIT 5000""",
        start,
        end,
    )


# --- requests on a link: temporary full access, extension, change ------------------------------


async def insert_request(values: dict) -> int:
    rows = await LinkRequest.insert(LinkRequest(**values)).returning(LinkRequest.id)
    return rows[0]["id"]


async def update_request(request_id: int, values: dict) -> None:
    await LinkRequest.update(values).where(LinkRequest.id == request_id)


async def lock_request(request_id: int) -> dict | None:
    if not storable_id(request_id):
        return None
    return (
        await LinkRequest.select()
        .where(LinkRequest.id == request_id)
        .lock_rows(CHANGE_LOCK)
        .output(load_json=True)
        .first()
    )


async def request_of_link(link_id: int, request_id: int) -> dict | None:
    if not storable_id(request_id):
        return None
    return (
        await LinkRequest.select()
        .where(LinkRequest.id == request_id, LinkRequest.link == link_id)
        .output(load_json=True)
        .first()
    )


async def open_request(link_id: int, kind: str) -> dict | None:
    """The link's pending request of KIND, or its running temporary full access."""
    return (
        await LinkRequest.select()
        .where(
            LinkRequest.link == link_id,
            LinkRequest.kind == kind,
            LinkRequest.status.is_in(["pending", "active"]),
        )
        .output(load_json=True)
        .first()
    )


async def running_elevation(link_id: int) -> dict | None:
    return (
        await LinkRequest.select()
        .where(LinkRequest.link == link_id, LinkRequest.status == "active")
        .output(load_json=True)
        .first()
    )


async def requests_of_link(link_id: int, limit: int = 20) -> list[dict]:
    """The link's requests, newest first, with who asked and who decided."""
    return await LinkRequest.raw(
        """SELECT r.*, a.full_name AS requested_by, d.full_name AS decided_by_name,
                  e.full_name AS ended_by_name
           FROM link_request r LEFT JOIN account a ON a.id = r.created_by
           LEFT JOIN account d ON d.id = r.decided_by
           LEFT JOIN account e ON e.id = r.ended_by_account
           WHERE r.link = {} ORDER BY r.created_at DESC, r.id DESC LIMIT {}""",
        link_id,
        limit,
    )


async def close_open_requests(link_id: int, now: datetime) -> None:
    """A collaboration that ends takes its pending requests and open transfer codes along."""
    await LinkRequest.update({LinkRequest.status: "withdrawn", LinkRequest.decided_at: now}).where(
        LinkRequest.link == link_id, LinkRequest.status == "pending"
    )
    await LinkTransfer.update({LinkTransfer.cancelled_at: now}).where(
        LinkTransfer.link == link_id,
        LinkTransfer.redeemed_at.is_null(),
        LinkTransfer.cancelled_at.is_null(),
    )


# --- the client's inbox and the ended collaborations -------------------------------------------

INBOX_SQL = """
SELECT 'invitation' AS kind, l.id AS link_id, NULL::integer AS request_id, p.name AS partner_name,
       l.created_at, l.expires_at, l.requested_access, l.requested_families,
       l.requested_products, l.billing_mode, l.requested_days,
       NULL::integer AS length_hours, NULL::integer AS days, '' AS reason, l.message
FROM partner_link l JOIN organisation p ON p.id = l.partner
WHERE l.client = {client} AND l.status = 'awaiting_client' AND l.expires_at > {now}
UNION ALL
SELECT r.kind, l.id, r.id, p.name, r.created_at, r.expires_at, r.requested_access,
       r.requested_families, ARRAY[]::integer[], NULL, NULL, r.length_hours, r.days, r.reason, ''
FROM link_request r JOIN partner_link l ON l.id = r.link JOIN organisation p ON p.id = l.partner
WHERE l.client = {client} AND l.status = 'active' AND r.status = 'pending' AND r.expires_at > {now}
ORDER BY created_at DESC
LIMIT 200
"""


async def inbox_of_client(client_id: int, now: datetime) -> list[dict]:
    """What partners ask of the client and waits for its answer: invitations delivered to it,
    requests for temporary full access, a later end date or other access."""
    sql = INBOX_SQL.replace("{client}", "{}").replace("{now}", "{}")
    return await PartnerLink.raw(sql, client_id, now, client_id, now)


# Newest first; the link id orders collaborations that ended at the same moment. The page is
# read from the side's index of ended links (partner_link_partner_ended, _client_ended), then
# the names are looked up by primary key for its rows only (a join read the whole
# organisation table).
ENDED_ORDER = Order(("l.ended_at", "l.id"), ("ended_at", "id"), (Kind.TIME, Kind.ID), True)
ENDED_SQL = """
SELECT l.id, l.status, l.decided_at, l.ended_at, l.ended_by, l.access, l.families,
       l.billing_mode,
       (SELECT name FROM organisation WHERE id = l.partner) AS partner_name,
       (SELECT name FROM organisation WHERE id = l.client) AS client_name,
       (SELECT full_name FROM account WHERE id = l.ended_by_account) AS ended_by_name,
       (SELECT name FROM organisation WHERE id = l.ended_by) AS ended_by_organisation
FROM (SELECT l.* FROM partner_link l
      WHERE l.{side} = {{}} AND l.status IN ('stopped', 'ended', 'transferred') {keyset}
      ORDER BY {order} LIMIT {limit}) l
ORDER BY {outer_order}
"""


async def ended_links(
    side: str, organisation_id: int, position: Position = FIRST, size: int | None = None
) -> Page:
    """The page at POSITION of the collaborations that ended, newest first, of the
    organisation as SIDE ("partner" or "client")."""
    assert side in {"partner", "client"}

    async def fetch(window: Window) -> list[dict]:
        sql = ENDED_SQL.format(
            side=side,
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by_keys("l"),
        )
        return await PartnerLink.raw(sql, organisation_id, *window.arguments)

    return await read_page(ENDED_ORDER.window(position, size or PAGE_SIZE), fetch)


ENDING_SOON_SQL = f"""
SELECT l.id, l.ends_at, l.auto_extend, {STANDING_ACCESS_SQL} AS access, c.name AS client_name
FROM partner_link l JOIN organisation c ON c.id = l.client
WHERE l.partner = {{partner}} AND l.status = 'active' AND l.ends_at IS NOT NULL
  AND l.ends_at < {{horizon}} {{seen}}
ORDER BY l.ends_at, l.id
LIMIT 50
"""


async def ending_soon_for_partner(
    partner_id: int, scope: ClientScope, horizon: datetime
) -> list[dict]:
    """The partner's collaborations that end before HORIZON, soonest first, among the
    clients the person of SCOPE sees."""
    args, arg = arguments()
    sql = ENDING_SOON_SQL.format(
        partner=arg(partner_id),
        horizon=arg(horizon),
        seen=seen_filter(scope, "sl.id = l.id", arg),
    )
    return await PartnerLink.raw(sql, *args)


async def running_elevations_of(organisation_id: int) -> dict[int, dict]:
    """The organisation's links under temporary full access: link id → request."""
    rows = await LinkRequest.raw(
        """SELECT r.link, r.ends_at, r.starts_at FROM link_request r
           JOIN partner_link l ON l.id = r.link
           WHERE r.status = 'active' AND (l.partner = {} OR l.client = {})""",
        organisation_id,
        organisation_id,
    )
    return {row["link"]: row for row in rows}


# --- transfer codes ---------------------------------------------------------------------------


async def insert_transfer(values: dict) -> int:
    rows = await LinkTransfer.insert(LinkTransfer(**values)).returning(LinkTransfer.id)
    return rows[0]["id"]


async def transfer_by_code(code_hash: str) -> dict | None:
    rows = await LinkTransfer.raw(
        """SELECT t.*, c.name AS client_name, l.partner AS from_partner,
                  p.name AS from_partner_name, l.status AS link_status
           FROM link_transfer t JOIN organisation c ON c.id = t.client
           JOIN partner_link l ON l.id = t.link JOIN organisation p ON p.id = l.partner
           WHERE t.code_hash = {}""",
        code_hash,
    )
    return rows[0] if rows else None


async def lock_transfer(transfer_id: int) -> dict | None:
    if not storable_id(transfer_id):
        return None
    return (
        await LinkTransfer.select()
        .where(LinkTransfer.id == transfer_id)
        .lock_rows(CHANGE_LOCK)
        .output(load_json=True)
        .first()
    )


async def update_transfer(transfer_id: int, values: dict) -> None:
    await LinkTransfer.update(values).where(LinkTransfer.id == transfer_id)


async def open_transfers_of_client(client_id: int, now: datetime) -> list[dict]:
    return await LinkTransfer.raw(
        """SELECT t.id, t.link, t.expires_at, t.created_at, t.new_grant, o.name AS to_partner_name,
                  p.name AS from_partner_name
           FROM link_transfer t JOIN organisation o ON o.id = t.to_partner
           JOIN partner_link l ON l.id = t.link JOIN organisation p ON p.id = l.partner
           WHERE t.client = {} AND t.redeemed_at IS NULL AND t.cancelled_at IS NULL
             AND t.expires_at > {}
           ORDER BY t.created_at DESC LIMIT 50""",
        client_id,
        now,
    )


async def open_transfer_of_link(link_id: int) -> dict | None:
    return (
        await LinkTransfer.select()
        .where(
            LinkTransfer.link == link_id,
            LinkTransfer.redeemed_at.is_null(),
            LinkTransfer.cancelled_at.is_null(),
        )
        .output(load_json=True)
        .first()
    )


# --- request templates --------------------------------------------------------------------------


async def templates_of(partner_id: int) -> list[dict]:
    return await RequestTemplate.raw(
        "SELECT id, name, families FROM request_template WHERE partner = {} "
        "ORDER BY lower(name), id LIMIT 200",
        partner_id,
    )


async def template_of(partner_id: int, template_id: int) -> dict | None:
    if not storable_id(template_id):
        return None
    return (
        await RequestTemplate.select()
        .where(RequestTemplate.partner == partner_id, RequestTemplate.id == template_id)
        .first()
    )


async def insert_template(values: dict) -> int:
    rows = await RequestTemplate.insert(RequestTemplate(**values)).returning(RequestTemplate.id)
    return rows[0]["id"]


async def delete_template(template_id: int) -> None:
    await RequestTemplate.delete().where(RequestTemplate.id == template_id)


async def active_links_of_partner(partner_id: int, link_ids) -> list[dict]:
    """The partner's active links among LINK_IDS (a selection of its client list)."""
    ids = sorted({i for i in link_ids if storable_id(i)})
    if not ids:
        return []
    return await PartnerLink.raw(
        """SELECT l.id, l.client, l.ends_at, l.access, c.name AS client_name
           FROM partner_link l JOIN organisation c ON c.id = l.client
           WHERE l.partner = {} AND l.status = 'active' AND l.id = ANY({}) ORDER BY c.name""",
        partner_id,
        ids,
    )


async def names_of_people_and_teams(account_ids, team_ids) -> tuple[list[str], list[str]]:
    """The names of ACCOUNT_IDS and TEAM_IDS, for the audit log."""
    people = await PartnerLink.raw(
        "SELECT full_name FROM account WHERE id = ANY({}) ORDER BY full_name", sorted(account_ids)
    )
    teams = await PartnerLink.raw(
        "SELECT name FROM team WHERE id = ANY({}) ORDER BY lower(name)", sorted(team_ids)
    )
    return [row["full_name"] for row in people], [row["name"] for row in teams]
