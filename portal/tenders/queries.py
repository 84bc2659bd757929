"""Reads and writes of tenders, their routing and quotes — scoped: a partner reaches a tender
only through its own routing row, an author only through its organisation or private link.
The author's contact details are selected only where the caller may show them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from portal.database import CHANGE_LOCK, storable_id
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page
from portal.tenders.records import RoutedTender
from portal.tenders.rules import (
    POSTING_LIMITS,
    Preferences,
    QuoteStatus,
    RecentPostings,
    TenderRecord,
)
from portal.tenders.tables import Quote, Tender, TenderPreference, TenderRecipient

PAGE_SIZE = 20

# What anyone routed the tender may read: everything but who posted it.
PUBLIC_COLUMNS = """t.id, t.title, t.description, t.category, t.budget_min, t.budget_max,
    t.currency, t.language, t.country, t.region, t.deadline, t.status, t.created_at,
    t.opened_at, t.closed_at"""
CONTACT_COLUMNS = "t.author_name, t.author_email, t.author_phone, t.author_company"


# --- posting -----------------------------------------------------------------------------------


async def insert_tender(values: dict) -> int:
    rows = await Tender.insert(Tender(**values)).returning(Tender.id)
    return rows[0]["id"]


async def recent_postings(email: str, ip: str, now: datetime) -> RecentPostings:
    """How many tenders EMAIL and IP posted within each posting limit's window."""
    columns = ", ".join(
        f"count(*) FILTER (WHERE author_email = {{}} AND created_at > {{}}) AS email_{i}, "
        f"count(*) FILTER (WHERE author_ip = {{}} AND created_at > {{}}) AS ip_{i}"
        for i in range(len(POSTING_LIMITS))
    )
    since = [now - limit.window for limit in POSTING_LIMITS]
    arguments = [value for start in since for value in (email, start, ip, start)]
    oldest = min(since)
    rows = await Tender.raw(
        f"SELECT {columns} FROM tender "
        "WHERE (author_email = {} OR author_ip = {}) AND created_at > {}",
        *arguments,
        email,
        ip,
        oldest,
    )
    row = rows[0]
    return RecentPostings(
        by_email=tuple(row[f"email_{i}"] for i in range(len(POSTING_LIMITS))),
        by_ip=tuple(row[f"ip_{i}"] for i in range(len(POSTING_LIMITS))),
    )


async def lock_posting(email: str, ip: str) -> None:
    """Serialise postings by one email or IP address until the transaction ends, so that
    racing posts count each other (transaction-scoped: released at commit)."""
    await Tender.raw(
        "SELECT pg_advisory_xact_lock(hashtext({})), pg_advisory_xact_lock(hashtext({}))",
        "tender-email:" + email,
        "tender-ip:" + ip,
    )


async def tender_by_confirm_token(token_hash: str) -> dict | None:
    return (
        await Tender.select(
            Tender.id, Tender.title, Tender.status, Tender.deadline, Tender.created_at
        )
        .where(Tender.confirm_token_hash == token_hash)
        .first()
    )


async def lock_tender(tender_id: int) -> dict | None:
    """The whole tender, locked until the transaction ends: decisions on it go one at a time."""
    if not storable_id(tender_id):
        return None
    return await Tender.select().where(Tender.id == tender_id).lock_rows(CHANGE_LOCK).first()


async def open_tender(tender_id: int, now: datetime, manage_nonce: str | None) -> None:
    await Tender.update(
        {
            Tender.status: "open",
            Tender.opened_at: now,
            Tender.manage_nonce: manage_nonce,
        }
    ).where(Tender.id == tender_id)


async def close_tender(tender_id: int, status: str, now: datetime) -> None:
    await Tender.update({Tender.status: status, Tender.closed_at: now}).where(
        Tender.id == tender_id
    )


# --- routing -----------------------------------------------------------------------------------


async def candidate_preferences(category: str) -> list[Preferences]:
    """The settings of every active partner that opted in for CATEGORY (the rules decide the
    rest: languages, regions, not the author)."""
    rows = await TenderPreference.raw(
        """SELECT p.partner, p.categories, p.languages, p.regions
           FROM tender_preference p JOIN organisation o ON o.id = p.partner
           WHERE o.partner_status = 'active' AND p.categories @> ARRAY[{}]::varchar[]""",
        category,
    )
    return [
        Preferences(
            organisation_id=row["partner"],
            active=True,
            categories=frozenset(row["categories"]),
            languages=frozenset(row["languages"]),
            regions=frozenset(row["regions"]),
        )
        for row in rows
    ]


async def insert_recipients(tender_id: int, partner_ids: Iterable[int], now: datetime) -> None:
    ids = list(partner_ids)
    if ids:
        await TenderRecipient.raw(
            """INSERT INTO tender_recipient (tender, partner, notified_at)
               SELECT {}, unnest({}::integer[]), {} ON CONFLICT DO NOTHING""",
            tender_id,
            ids,
            now,
        )


async def recipients_to_mail(tender_id: int) -> list[int]:
    """The partners routed to TENDER_ID, not yet mailed, that are still active partners: one
    flagged since the routing can no longer open the tender, so it is not told of it."""
    rows = await TenderRecipient.raw(
        """SELECT r.partner FROM tender_recipient r JOIN organisation o ON o.id = r.partner
           WHERE r.tender = {} AND r.mailed_at IS NULL AND o.partner_status = 'active'
           ORDER BY r.partner""",
        tender_id,
    )
    return [row["partner"] for row in rows]


async def mark_mailed(tender_id: int, partner_id: int, now: datetime) -> None:
    await TenderRecipient.update({TenderRecipient.mailed_at: now}).where(
        TenderRecipient.tender == tender_id, TenderRecipient.partner == partner_id
    )


async def notification_emails(partner_ids: list[int]) -> dict[int, list[str]]:
    """Each partner's legal representatives and administrators: who hears of new tenders."""
    if not partner_ids:
        return {}
    rows = await Tender.raw(
        """SELECT m.organisation, a.email FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = ANY({}::integer[])
             AND m.role IN ('legal_representative', 'administrator')
           ORDER BY m.organisation, a.email""",
        partner_ids,
    )
    emails: dict[int, list[str]] = {}
    for row in rows:
        emails.setdefault(row["organisation"], []).append(row["email"])
    return emails


# --- preferences -------------------------------------------------------------------------------


async def preferences_of(partner_id: int) -> dict | None:
    return (
        await TenderPreference.select(
            TenderPreference.categories, TenderPreference.languages, TenderPreference.regions
        )
        .where(TenderPreference.partner == partner_id)
        .first()
    )


async def save_preferences(
    partner_id: int, categories: list[str], languages: list[str], regions: list[str], by: int
) -> None:
    await TenderPreference.raw(
        """INSERT INTO tender_preference (partner, categories, languages, regions, updated_by)
           VALUES ({}, {}::varchar[], {}::varchar[], {}::varchar[], {})
           ON CONFLICT (partner) DO UPDATE SET categories = excluded.categories,
               languages = excluded.languages, regions = excluded.regions,
               updated_by = excluded.updated_by, updated_at = current_timestamp""",
        partner_id,
        categories,
        languages,
        regions,
        by,
    )


# --- the partner's side ------------------------------------------------------------------------


# Newest first: tender_recipient_inbox (partner, tender DESC) reads any page directly.
INBOX_ORDER = Order(("r.tender",), ("id",), (Kind.ID,), descending=True)
INBOX_SQL = """
SELECT {columns}, r.read_at, q.status AS quote_status, q.id AS quote_id,
       q.price AS quote_price, q.currency AS quote_currency
FROM (SELECT r.tender, r.partner, r.read_at FROM tender_recipient r
      WHERE r.partner = {{}} {keyset} ORDER BY {order} LIMIT {limit}) r
JOIN tender t ON t.id = r.tender
LEFT JOIN quote q ON q.tender = r.tender AND q.partner = r.partner
ORDER BY {outer_order}
"""


async def inbox(
    partner_id: int, now: datetime, position: Position = FIRST, size: int | None = None
) -> Page:
    """The tenders routed to PARTNER_ID, newest first, with its own quote's status, as they
    stand at NOW."""

    async def fetch(window: Window) -> list[RoutedTender]:
        sql = INBOX_SQL.format(
            columns=PUBLIC_COLUMNS,
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
            outer_order=window.order_by,
        )
        rows = await Tender.raw(sql, partner_id, *window.arguments)
        return [RoutedTender.from_row(row, now) for row in rows]

    return await read_page(INBOX_ORDER.window(position, size or PAGE_SIZE), fetch)


async def tender_for_partner(partner_id: int, tender_id: int) -> dict | None:
    """The tender if it was routed to PARTNER_ID (else None → 404), without its author."""
    if not storable_id(tender_id):
        return None
    rows = await Tender.raw(
        f"""SELECT {PUBLIC_COLUMNS}, r.read_at, r.notified_at
            FROM tender_recipient r JOIN tender t ON t.id = r.tender
            WHERE r.partner = {{}} AND r.tender = {{}}""",
        partner_id,
        tender_id,
    )
    return rows[0] if rows else None


async def contact_for_winner(partner_id: int, tender_id: int) -> dict | None:
    """The author's contact details, only for the partner whose quote was accepted."""
    rows = await Tender.raw(
        f"""SELECT {CONTACT_COLUMNS}
            FROM tender t JOIN quote q ON q.tender = t.id
            WHERE t.id = {{}} AND q.partner = {{}} AND q.status = 'accepted'""",
        tender_id,
        partner_id,
    )
    return rows[0] if rows else None


async def mark_read(partner_id: int, tender_id: int, now: datetime) -> None:
    await TenderRecipient.update({TenderRecipient.read_at: now}).where(
        TenderRecipient.partner == partner_id,
        TenderRecipient.tender == tender_id,
        TenderRecipient.read_at.is_null(),
    )


async def quote_of(partner_id: int, tender_id: int) -> dict | None:
    return (
        await Quote.select().where(Quote.partner == partner_id, Quote.tender == tender_id).first()
    )


async def insert_quote(values: dict) -> int:
    rows = await Quote.insert(Quote(**values)).returning(Quote.id)
    return rows[0]["id"]


async def update_quote(quote_id: int, values: dict) -> None:
    await Quote.update(values).where(Quote.id == quote_id)


# --- the author's side -------------------------------------------------------------------------


# Newest first: tender_author_organisation (author_organisation, id) reads any page directly.
AUTHOR_ORDER = Order(("t.id",), ("id",), (Kind.ID,), descending=True)
AUTHOR_SQL = """
SELECT {columns}, t.author_account,
       (SELECT count(*) FROM quote q
        WHERE q.tender = t.id AND q.status IN ('submitted', 'accepted')) AS quote_count
FROM (SELECT t.id FROM tender t
      WHERE t.author_organisation = {{}} AND ({{}}::int IS NULL OR t.author_account = {{}})
        {keyset}
      ORDER BY {order} LIMIT {limit}) page
JOIN tender t ON t.id = page.id
ORDER BY {order}
"""


async def tenders_of_organisation(
    organisation_id: int, position: Position = FIRST, *, author_account: int | None = None
) -> Page:
    """The organisation's tenders, newest first; with AUTHOR_ACCOUNT, only that person's."""

    async def fetch(window: Window) -> list[dict]:
        sql = AUTHOR_SQL.format(
            columns=PUBLIC_COLUMNS,
            keyset=window.and_condition(),
            order=window.order_by,
            limit=window.limit,
        )
        return await Tender.raw(
            sql, organisation_id, author_account, author_account, *window.arguments
        )

    return await read_page(AUTHOR_ORDER.window(position, PAGE_SIZE), fetch)


async def tender_of_organisation(organisation_id: int, tender_id: int) -> dict | None:
    if not storable_id(tender_id):
        return None
    return (
        await Tender.select()
        .where(Tender.id == tender_id, Tender.author_organisation == organisation_id)
        .first()
    )


async def tender_by_id(tender_id: int) -> dict | None:
    """For the private link only: the caller proves the link matches before showing it."""
    if not storable_id(tender_id):
        return None
    return await Tender.select().where(Tender.id == tender_id).first()


# Cheapest first, then by id (quote_tender_price reads any page directly). Each partner's
# tenders won are counted for the page's partners only (quote_partner), not for every partner
# as the partner_tender_record view would.
QUOTE_ORDER = Order(("q.price", "q.id"), ("price", "id"), (Kind.DECIMAL, Kind.ID))
QUOTE_PAGE_SIZE = 20
QUOTES_SQL = """
SELECT q.*, o.name AS partner_name, o.country AS partner_country,
       o.website AS partner_website, o.partner_status = 'active' AS partner_active,
       (SELECT count(*) FROM quote w WHERE w.partner = q.partner AND w.status = 'accepted')
           AS partner_won
FROM (SELECT q.id, q.status, q.price, q.currency, q.timeline, q.message, q.commitment_at,
             q.created_at, q.updated_at, q.partner
      FROM quote q WHERE q.tender = {{}} AND q.status <> 'withdrawn' {keyset}
      ORDER BY {order} LIMIT {limit}) q
JOIN organisation o ON o.id = q.partner
ORDER BY {order}
"""


async def quotes_for_author(tender_id: int, position: Position = FIRST) -> Page:
    """The quotes the author compares: live ones (submitted or accepted, and declined ones once
    decided), cheapest first, with who sent them. Withdrawn quotes are not shown."""

    async def fetch(window: Window) -> list[dict]:
        sql = QUOTES_SQL.format(
            keyset=window.and_condition(), order=window.order_by, limit=window.limit
        )
        return await Quote.raw(sql, tender_id, *window.arguments)

    return await read_page(QUOTE_ORDER.window(position, QUOTE_PAGE_SIZE), fetch)


async def lock_quotes(tender_id: int) -> list[dict]:
    return (
        await Quote.select()
        .where(Quote.tender == tender_id)
        .lock_rows(CHANGE_LOCK)
        .order_by(Quote.id)
    )


async def decide_quotes(tender_id: int, accepted_id: int, now: datetime) -> None:
    """The chosen quote is accepted, every other submitted one declined."""
    await Quote.raw(
        """UPDATE quote SET status = CASE WHEN id = {} THEN 'accepted' ELSE 'declined' END,
                            decided_at = {}
           WHERE tender = {} AND status = 'submitted'""",
        accepted_id,
        now,
        tender_id,
    )


async def partners_with_submitted_quotes(tender_id: int) -> list[int]:
    rows = await Quote.select(Quote.partner).where(
        Quote.tender == tender_id, Quote.status == QuoteStatus.SUBMITTED
    )
    return [row["partner"] for row in rows]


# --- jobs --------------------------------------------------------------------------------------


async def expire_overdue(now: datetime) -> list[dict]:
    """Write down the expiry of open tenders past their deadline; the ones changed."""
    return await Tender.raw(
        """UPDATE tender SET status = 'expired', closed_at = {}
           WHERE status = 'open' AND deadline <= {}
           RETURNING id, title, author_email, author_name""",
        now,
        now,
    )


async def delete_unconfirmed_before(cutoff: datetime) -> int:
    rows = await Tender.raw(
        "DELETE FROM tender WHERE status = 'unconfirmed' AND created_at <= {} RETURNING id",
        cutoff,
    )
    return len(rows)


# --- a partner's record (the directory ranks by it) --------------------------------------------


async def tender_records(partner_ids: Iterable[int] | None = None) -> dict[int, TenderRecord]:
    """Per partner organisation: tenders received, answered and won. Only partners that
    received at least one tender appear; PARTNER_IDS narrows the answer to those."""
    if partner_ids is None:
        rows = await Tender.raw(
            "SELECT partner, received, answered, won FROM partner_tender_record"
        )
    else:
        ids = [i for i in partner_ids if storable_id(i)]
        if not ids:
            return {}
        rows = await Tender.raw(
            """SELECT partner, received, answered, won FROM partner_tender_record
               WHERE partner = ANY({}::integer[])""",
            ids,
        )
    return {
        row["partner"]: TenderRecord(row["received"], row["answered"], row["won"]) for row in rows
    }


async def tender_record(partner_id: int) -> TenderRecord:
    return (await tender_records([partner_id])).get(partner_id, TenderRecord())


async def recipient_count(tender_id: int) -> int:
    return await TenderRecipient.count().where(TenderRecipient.tender == tender_id)


async def unread_count(partner_id: int) -> int:
    rows = await TenderRecipient.raw(
        """SELECT count(*) AS unread FROM tender_recipient r JOIN tender t ON t.id = r.tender
           WHERE r.partner = {} AND r.read_at IS NULL AND t.status = 'open'
             AND t.deadline > current_timestamp""",
        partner_id,
    )
    return rows[0]["unread"]
