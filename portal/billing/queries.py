"""Reads and writes of money: settings in force, managed volume, invoices, the ledger."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from portal.access import ClientScope
from portal.billing import records
from portal.billing.rules import Tier, VatRate, VolumeStep
from portal.billing.tables import Invoice, InvoiceLine, LedgerEntry, ProgrammeSetting
from portal.clients.queries import arguments, seen_filter
from portal.database import storable_id
from portal.downloads import spreadsheet_text
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page

# An invoice the organisation paid is shown to a person when it is for the organisation's own
# products, or for a client they see (an invoice the partner paid for its client).
INVOICE_SEEN = "sl.partner = i.payer AND sl.client = i.client"

# The managed volume of a partner in one SQL aggregate over `managed_link`, which triggers keep
# current (billing migration 2026-12-01): per active link, the annualised public prices, in the
# partner's currency, of the active products it manages (full: all the client's products;
# restricted: its categories and named products). A partner has one active link per client, so
# counting links counts clients.
MANAGED_VOLUME_SQL = """
SELECT coalesce(sum(volume), 0) AS volume, count(*) AS clients
FROM managed_link WHERE partner = {}
"""


async def managed_volume(partner_id: int) -> tuple[Decimal, int]:
    rows = await Invoice.raw(MANAGED_VOLUME_SQL, partner_id)
    return Decimal(rows[0]["volume"]).quantize(Decimal("0.01")), rows[0]["clients"]


# The volume, the number of clients and the largest of them in one pass over the partner's
# links (one active link per partner and client, so counting links counts clients).
MANAGED_CLIENTS_SQL = """
WITH largest AS (
    SELECT link, client, volume, products,
           sum(volume) OVER () AS total, count(*) OVER () AS clients
    FROM managed_link WHERE partner = {}
    ORDER BY volume DESC, client LIMIT {}
)
SELECT s.client AS id, c.name, l.access, s.volume, s.products, s.total, s.clients
FROM largest s
JOIN organisation c ON c.id = s.client
JOIN partner_link l ON l.id = s.link
ORDER BY s.volume DESC, s.client
"""


async def managed_clients(partner_id: int, limit: int = 20) -> tuple[Decimal, int, list]:
    """The managed volume, how many clients count toward it, and the LIMIT largest."""
    rows = await Invoice.raw(MANAGED_CLIENTS_SQL, partner_id, limit)
    if not rows:
        return Decimal("0.00"), 0, []
    return Decimal(rows[0]["total"]).quantize(Decimal("0.01")), rows[0]["clients"], rows


# --- settings in force -------------------------------------------------------------------------


# The newest version of a setting is in force; read on every dashboard and order.
SETTING_SQL = """
SELECT payload FROM programme_setting WHERE kind = {} ORDER BY created_at DESC, id DESC LIMIT 1
"""


async def setting(kind: str) -> dict:
    rows = await ProgrammeSetting.raw(SETTING_SQL, kind)
    payload = rows[0]["payload"]
    return json.loads(payload) if isinstance(payload, str) else payload


async def tiers(currency: str) -> list[Tier]:
    payload = await setting("tiers")
    return [
        Tier(name, Decimal(rate), Decimal(threshold)) for name, rate, threshold in payload[currency]
    ]


async def volume_steps() -> list[VolumeStep]:
    return [
        VolumeStep(int(count), Decimal(rate)) for count, rate in await setting("volume_discount")
    ]


def vat_rows(payload) -> list[VatRate]:
    """A version of the VAT table; the first versions held one rate per country, undated."""
    if isinstance(payload, dict):
        return [VatRate(c, Decimal(r), date(2000, 1, 1)) for c, r in payload.items()]
    return [VatRate(c, Decimal(r), date.fromisoformat(day)) for c, r, day in payload]


async def vat_table() -> list[VatRate]:
    return vat_rows(await setting("vat_rates"))


async def setting_history(kind: str) -> list[dict]:
    return await ProgrammeSetting.raw(
        """SELECT s.id, s.payload, s.note, s.created_at, a.full_name AS created_by
           FROM programme_setting s LEFT JOIN account a ON a.id = s.created_by
           WHERE s.kind = {} ORDER BY s.created_at DESC, s.id DESC LIMIT 50""",
        kind,
    )


async def insert_setting(kind: str, payload, note: str, account_id: int) -> None:
    await ProgrammeSetting.insert(
        ProgrammeSetting(kind=kind, payload=json.dumps(payload), note=note, created_by=account_id)
    )


# --- ledger ------------------------------------------------------------------------------------


async def ledger_balance(organisation_id: int, currency: str) -> Decimal:
    """The account's balance, kept as entries are added (billing migration 2026-12-03)."""
    rows = await LedgerEntry.raw(
        "SELECT balance FROM ledger_balance WHERE organisation = {} AND currency = {}",
        organisation_id,
        currency,
    )
    return Decimal(rows[0]["balance"] if rows else 0).quantize(Decimal("0.01"))


async def balances(organisation_id: int) -> list[dict]:
    """Every currency the organisation holds money in (or ever did), CHF first."""
    return await LedgerEntry.raw(
        "SELECT currency, balance, entries FROM ledger_balance WHERE organisation = {} "
        "ORDER BY currency",
        organisation_id,
    )


async def insert_ledger_entry(values: dict) -> int:
    details = values.get("details")
    if details is not None and not isinstance(details, str):
        values = {**values, "details": json.dumps(details)}
    rows = await LedgerEntry.insert(LedgerEntry(**values)).returning(LedgerEntry.id)
    return rows[0]["id"]


async def insert_ledger_entries(entries: list[dict]) -> None:
    """Many entries in one statement (a bank statement's deposits)."""
    if not entries:
        return
    await LedgerEntry.raw(
        """INSERT INTO ledger_entry (organisation, currency, kind, amount, reference, details)
           SELECT o, c, k, a, r, d::jsonb FROM unnest({}::int[], {}::text[], {}::text[],
                                                   {}::numeric[], {}::text[], {}::text[])
                                         AS t(o, c, k, a, r, d)""",
        [e["organisation"] for e in entries],
        [e["currency"] for e in entries],
        [str(e["kind"]) for e in entries],
        [e["amount"] for e in entries],
        [e["reference"] for e in entries],
        [json.dumps(e.get("details", {})) for e in entries],
    )


async def record_many(events: list[tuple[int, str, str]]) -> None:
    """Audit rows written by the portal itself (organisation, action, subject), at once."""
    if not events:
        return
    await LedgerEntry.raw(
        """INSERT INTO audit_event (organisation, actor_name, action, subject)
           SELECT o, 'Partner Portal (bank statement)', a, s
           FROM unnest({}::int[], {}::text[], {}::text[]) AS t(o, a, s)""",
        [e[0] for e in events],
        [e[1] for e in events],
        [e[2] for e in events],
    )


async def organisation_name(organisation_id: int) -> str | None:
    if not storable_id(organisation_id):
        return None
    rows = await LedgerEntry.raw("SELECT name FROM organisation WHERE id = {}", organisation_id)
    return rows[0]["name"] if rows else None


# Newest first; ledger_entry_account (organisation, currency, id) reads any page directly.
LEDGER_ORDER = Order(("e.id",), ("id",), (Kind.ID,), descending=True)
LEDGER_SEEN = "sl.partner = e.organisation AND sl.client = i.client"
LEDGER_OWN = "i.id IS NULL OR i.client = e.organisation"


async def ledger_entries(
    organisation_id: int, currency: str, before: int | None, scope: ClientScope, size: int = 50
):
    """One page of the account's entries, newest first, from the entry BEFORE (keyset: any
    page costs what the first does); each says whether it is about a client the person of
    SCOPE sees (`client_seen`): a cashback entry names its client."""
    args, arg = arguments()
    seen = seen_filter(
        scope,
        "sl.partner = e.organisation AND sl.client = i.client",
        arg,
        or_else="i.id IS NULL OR i.client = e.organisation",
    )
    # The page is a range of the account's index (organisation, currency, id), written as row
    # comparisons: with "organisation = …" the planner may walk the primary key backwards
    # instead, through every newer entry of other accounts, when one account is most of the
    # table.
    first = f"(e.organisation, e.currency, e.id) > ({arg(organisation_id)}, {arg(currency)}, 0)"
    if before is None:
        last = f"(e.organisation, e.currency) <= ({arg(organisation_id)}, {arg(currency)})"
    else:
        last = (
            f"(e.organisation, e.currency, e.id) "
            f"< ({arg(organisation_id)}, {arg(currency)}, {arg(before)})"
        )
    sql = f"""SELECT e.id, e.kind, e.amount, e.reference, e.created_at, e.details,
                     i.number AS invoice_number, i.id AS invoice_id, (TRUE {seen}) AS client_seen
              FROM ledger_entry e LEFT JOIN invoice i ON i.id = e.invoice
              WHERE {first} AND {last}
              ORDER BY e.organisation DESC, e.currency DESC, e.id DESC
              LIMIT {arg(size + 1)}"""
    rows = await LedgerEntry.raw(sql, *args)
    return rows[:size], len(rows) > size


NOT_SEEN = "On an invoice of a client not given to you"


def ledger_export_query(
    organisation_id: int, currency: str, scope: ClientScope
) -> tuple[str, list]:
    """The ledger's CSV: every entry, newest first, amounts as exact decimals; what concerns
    a client the person of SCOPE does not see is not named, as on the page."""
    args, arg = arguments()
    seen = seen_filter(scope, LEDGER_SEEN, arg, or_else=LEDGER_OWN)  # its arguments once
    sql = f"""SELECT to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
                     AS time_utc,
                 e.kind,
                 CASE WHEN s.seen THEN {spreadsheet_text("e.reference")} ELSE '{NOT_SEEN}' END
                     AS reference,
                 CASE WHEN s.seen THEN coalesce(i.number, '') ELSE '' END AS invoice,
                 e.amount, e.currency
          FROM ledger_entry e LEFT JOIN invoice i ON i.id = e.invoice
               CROSS JOIN LATERAL (SELECT (TRUE {seen}) AS seen) s
          WHERE e.organisation = {arg(organisation_id)} AND e.currency = {arg(currency)}
          ORDER BY {LEDGER_ORDER.window(FIRST, 1).order_by}"""
    return sql, args


# --- invoices ----------------------------------------------------------------------------------


async def next_invoice_number(year: int, prefix: str = "INV") -> str:
    """INV-… for an invoice, CN-… for a credit note: one sequence, so no number repeats."""
    rows = await Invoice.raw("SELECT nextval('invoice_number_seq') AS n")
    return f"{prefix}-{year}-{rows[0]['n']:07d}"


async def invoice_by_id(invoice_id: int) -> dict | None:
    """Any organisation's invoice (staff), with the names of those it concerns."""
    if not storable_id(invoice_id):
        return None
    rows = await Invoice.raw(
        """SELECT i.*, c.name AS client_name, p.name AS payer_name, pa.name AS partner_name
           FROM invoice i JOIN organisation c ON c.id = i.client
           JOIN organisation p ON p.id = i.payer
           LEFT JOIN organisation pa ON pa.id = i.partner WHERE i.id = {}""",
        invoice_id,
    )
    return rows[0] if rows else None


async def invoice_id_by_number(number: str) -> int | None:
    rows = await Invoice.raw("SELECT id FROM invoice WHERE number = {}", number.strip().upper())
    return rows[0]["id"] if rows else None


async def lock_invoice(invoice_id: int) -> dict | None:
    if not storable_id(invoice_id):
        return None
    rows = await Invoice.raw("SELECT * FROM invoice WHERE id = {} FOR NO KEY UPDATE", invoice_id)
    return rows[0] if rows else None


async def lines_with_credits(invoice_id: int) -> list[dict]:
    return await InvoiceLine.raw(
        """SELECT l.*, EXISTS (SELECT 1 FROM invoice_line c WHERE c.credits_line = l.id)
                  AS credited
           FROM invoice_line l WHERE l.invoice = {} ORDER BY l.position, l.id""",
        invoice_id,
    )


async def insert_invoice(values: dict, lines: list[dict]) -> int:
    rows = await Invoice.insert(Invoice(**values)).returning(Invoice.id)
    invoice_id = rows[0]["id"]
    await InvoiceLine.insert(*[InvoiceLine(invoice=invoice_id, **line) for line in lines])
    return invoice_id


# Newest first, then by id; invoice_payer_issued (payer, issued_on DESC, id DESC) reads any page.
INVOICE_ORDER = Order(("i.issued_on", "i.id"), ("issued_on", "id"), (Kind.DAY, Kind.ID), True)


async def invoices_paid_by(
    organisation_id: int, scope: ClientScope, position: Position = FIRST, size: int = 25
) -> Page:
    """The page of the invoices the organisation paid that the person of SCOPE sees. The
    page's invoices are chosen from the index alone, then joined to their client's name: a
    plan (even a prepared statement's generic one) never joins every invoice before the
    LIMIT."""

    async def fetch(window: Window) -> list[records.Invoice]:
        args, arg = arguments()
        sql = f"""SELECT i.*, c.name AS client_name
                  FROM (SELECT i.id, i.number, i.issued_on, i.currency, i.net, i.vat, i.gross,
                               i.vat_rule, i.kind, i.paid_at, i.client
                        FROM invoice i WHERE i.payer = {arg(organisation_id)}
                          {seen_filter(scope, INVOICE_SEEN, arg, or_else="i.client = i.payer")}
                          {window.and_condition()}
                        ORDER BY {window.order_by} LIMIT {window.limit}) i
                  JOIN organisation c ON c.id = i.client
                  ORDER BY {window.order_by_keys("i")}"""
        rows = await Invoice.raw(sql, *args, *window.arguments)
        return [records.Invoice.from_row(row) for row in rows]

    return await read_page(INVOICE_ORDER.window(position, size), fetch)


async def invoice_of_payer(
    organisation_id: int, invoice_id: int, scope: ClientScope, *, lock: bool = False
) -> dict | None:
    """The invoice if the organisation paid it and the person of SCOPE sees it; LOCK: its row
    locked for the rest of the transaction."""
    if not storable_id(invoice_id):
        return None
    args, arg = arguments()
    sql = f"""SELECT i.*, c.name AS client_name, p.name AS payer_name
              FROM invoice i JOIN organisation c ON c.id = i.client
              JOIN organisation p ON p.id = i.payer
              WHERE i.id = {arg(invoice_id)} AND i.payer = {arg(organisation_id)}
                {seen_filter(scope, INVOICE_SEEN, arg, or_else="i.client = i.payer")}
              {"FOR NO KEY UPDATE OF i" if lock else ""}"""
    rows = await Invoice.raw(sql, *args)
    return rows[0] if rows else None


async def credit_notes_of(invoice_id: int) -> list[dict]:
    return await Invoice.raw(
        "SELECT id, number FROM invoice WHERE credits = {} ORDER BY id", invoice_id
    )


async def invoice_lines(invoice_id: int) -> list[dict]:
    return (
        await InvoiceLine.select()
        .where(InvoiceLine.invoice == invoice_id)
        .order_by(InvoiceLine.position)
    )


async def benefits_by_month(partner_id: int, currency: str, months: int = 12) -> list[dict]:
    """Cashback and discounts the partner earned, per month, for the dashboard's chart."""
    return await Invoice.raw(
        """SELECT date_trunc('month', i.issued_on)::date AS month,
                  sum(l.cashback) AS cashback, sum(l.discount) AS discount
           FROM invoice i JOIN invoice_line l ON l.invoice = i.id
           WHERE i.partner = {} AND i.currency = {}
             AND i.issued_on >= date_trunc('month', now()) - make_interval(months => {})
           GROUP BY 1 ORDER BY 1""",
        partner_id,
        currency,
        months - 1,
    )


async def lock_account(organisation_id: int) -> None:
    """Serialise the prepaid account's debits: two payments at once cannot overdraw it."""
    await Invoice.raw(
        "SELECT id FROM organisation WHERE id = {} FOR NO KEY UPDATE", organisation_id
    )


async def mark_paid(invoice_id: int, method: str) -> None:
    from datetime import UTC, datetime

    await Invoice.update({Invoice.paid_at: datetime.now(UTC), Invoice.paid_with: method}).where(
        Invoice.id == invoice_id
    )


async def requests_waiting(partner_id: int, scope: ClientScope) -> int:
    """Link requests still waiting for an answer, counted only for whoever sees every client
    (a request is nobody else's business)."""
    if not scope.every_client:
        return 0
    waiting = await Invoice.raw(
        """SELECT count(*) AS n FROM partner_link
           WHERE partner = {} AND status IN ('awaiting_client', 'awaiting_partner')""",
        partner_id,
    )
    return waiting[0]["n"]


async def referred_orders(affiliate_id: int) -> list[dict]:
    """Invoices paid by the customers this affiliate referred, with the referral date."""
    return await Invoice.raw(
        """SELECT i.issued_on AS day, i.net AS amount, r.referred_at::date AS referred_on,
                  i.currency, c.name AS customer
           FROM referral r JOIN invoice i ON i.payer = r.customer
           JOIN organisation c ON c.id = r.customer
           WHERE r.affiliate = {} ORDER BY i.issued_on, i.id""",
        affiliate_id,
    )


async def referrals_of(affiliate_id: int) -> list[dict]:
    return await Invoice.raw(
        """SELECT c.name, r.referred_at FROM referral r JOIN organisation c ON c.id = r.customer
           WHERE r.affiliate = {} ORDER BY r.referred_at DESC LIMIT 200""",
        affiliate_id,
    )


async def paid_out(organisation_id: int, currency: str) -> Decimal:
    rows = await LedgerEntry.raw(
        "SELECT coalesce(-sum(amount), 0) AS paid FROM ledger_entry "  # a rejected payout
        "WHERE organisation = {} AND currency = {} AND kind IN ('payout', 'payout_released')",
        organisation_id,
        currency,
    )
    return Decimal(rows[0]["paid"])
