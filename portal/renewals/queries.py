"""Reads and writes of renewals: the products the run looks at, their steps, the renewals it
made, what it tells, and the policy in force. Writes of many rows are one statement each."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from piccolo.querystring import QueryString as Q

from portal.billing import queries as billing_queries
from portal.billing.rules import SettingKind
from portal.products.tables import Product
from portal.renewals.rules import Policy
from portal.renewals.tables import Renewal, RenewalNotice

# --- the policy ---------------------------------------------------------------------------------


async def policies() -> dict[str, Policy]:
    """The renewal policy in force, per family ("*": the others)."""
    return policies_of(await billing_queries.setting(SettingKind.RENEWAL_POLICY))


def policies_of(payload: dict) -> dict[str, Policy]:
    """The policies of the programme setting's PAYLOAD."""
    return {
        family: Policy(
            int(values["grace_days"]),
            int(values["suspension_days"]),
            bool(values["automatic_by_default"]),
        )
        for family, values in payload.items()
    }


# --- the run's work -----------------------------------------------------------------------------

# The clients with a product to look at by TODAY, the one whose earliest renewal date came
# first first, each with the organisation that pays its renewals (itself, or its full-access
# partner when the partner pays).
CLIENTS_WITH_WORK_SQL = """
SELECT w.client, coalesce(l.partner, w.client) AS payer
FROM (SELECT organisation AS client, min(renews_on) AS since
      FROM product WHERE next_renewal_check <= {}
      GROUP BY organisation) w
LEFT JOIN partner_link l ON l.client = w.client AND l.status = 'active'
                        AND l.access = 'full' AND l.billing_mode = 'partner'
ORDER BY w.since, w.client
"""


async def clients_with_work(today: date) -> list[tuple[int, int]]:
    """(client, payer) of each client with work, in date order."""
    rows = await Product.raw(CLIENTS_WITH_WORK_SQL, today)
    return [(row["client"], row["payer"]) for row in rows]


# A batch of one client's products to look at, in the order their dates came, locked until the
# batch commits (the client is locked first by the caller), each with the link of the partner
# managing it. A product another run has handled meanwhile no longer matches once its lock is
# granted, and is left out.
PRODUCTS_TO_CHECK_SQL = """
SELECT p.id, p.name, p.family, p.period, p.status, p.renews_on, p.renewal_step,
       p.automatic_renewal, p.renewal_warranty, p.managed_by, i.name AS offer,
       EXISTS (SELECT 1 FROM renewal r WHERE r.product = p.id AND r.invoice_step IN (1, 2))
           AS warranty_unpaid,
       c.name AS client_name, l.access, l.billing_mode, m.name AS partner_name
FROM product p
JOIN catalogue_item i ON i.id = p.item
JOIN organisation c ON c.id = p.organisation
LEFT JOIN partner_link l ON l.client = p.organisation AND l.partner = p.managed_by
                        AND l.status = 'active'
LEFT JOIN organisation m ON m.id = p.managed_by
WHERE p.organisation = {} AND p.next_renewal_check <= {}
ORDER BY p.renews_on, p.id
LIMIT {}
FOR NO KEY UPDATE OF p
"""


async def products_to_check(client_id: int, today: date, limit: int) -> list[dict]:
    return await Product.raw(PRODUCTS_TO_CHECK_SQL, client_id, today, limit)


async def organisation_names(ids: Sequence[int]) -> dict[int, str]:
    rows = await Product.raw(
        "SELECT id, name FROM organisation WHERE id = ANY({})", sorted(set(ids))
    )
    return {row["id"]: row["name"] for row in rows}


async def record_steps(
    steps: Sequence[tuple[int, int, str, date | None]],
    notices: Sequence[tuple[int, int, int, str, date, dict]],
    audit: Q,
    *,
    durable: bool = True,
) -> None:
    """In one statement: (product, step, status, next check) of many products, the
    (recipient, product, client, kind, renews_on, details) notices of a batch, and AUDIT (an
    INSERT of audit entries, audit.services.insert_many).

    Not DURABLE: the transaction's commit does not wait for the disk (synchronous_commit off
    for it alone). A crash of the database may then lose it, whole, as if it had not run —
    the next run takes the same steps again — but never anything committed after it, nor
    what others saw: a durable commit writes every earlier one to disk, and the notices are
    mailed (and the mail queued) by a durable transaction."""
    ids, step_values, statuses, checks = _columns(steps, 4)
    recipients, products, clients, kinds, dates, details = _columns(notices, 6)
    await Product.raw(
        """WITH stepped AS (
               UPDATE product p SET renewal_step = v.step, status = v.status,
                      next_renewal_check = v.next_check
               FROM unnest({}::int[], {}::smallint[], {}::text[], {}::date[])
                    AS v(id, step, status, next_check)
               WHERE p.id = v.id),
           told AS (
               INSERT INTO renewal_notice (recipient, product, client, kind, renews_on, details)
               SELECT recipient, product, client, kind, renews_on, details::jsonb
               FROM unnest({}::int[], {}::int[], {}::int[], {}::text[], {}::date[], {}::text[])
                    AS v(recipient, product, client, kind, renews_on, details)),
           audited AS ({})
           SELECT set_config('synchronous_commit', {}, true)""",
        ids,
        step_values,
        statuses,
        checks,
        recipients,
        products,
        clients,
        kinds,
        dates,
        [json.dumps(d) for d in details],
        audit,
        "on" if durable else "off",
    )


def _columns(rows: Sequence[tuple], width: int) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


async def insert_renewal(values: dict) -> None:
    await Renewal.insert(Renewal(**values))


async def renewed_until(product_id: int) -> date:
    rows = await Product.raw("SELECT renews_on FROM product WHERE id = {}", product_id)
    return rows[0]["renews_on"]


# --- warranty invoices ------------------------------------------------------------------------

INVOICES_TO_CHECK_SQL = """
SELECT DISTINCT client FROM renewal WHERE next_check <= {} ORDER BY client
"""


async def clients_with_invoices_to_check(today: date) -> list[int]:
    rows = await Renewal.raw(INVOICES_TO_CHECK_SQL, today)
    return [row["client"] for row in rows]


WARRANTY_INVOICES_SQL = """
SELECT r.id, r.product, r.payer, r.due_on, r.invoice_step, i.number AS invoice,
       i.paid_at IS NOT NULL AS paid, i.gross, i.currency,
       p.name, p.status, p.renewal_step, p.renews_on, p.managed_by, c.name AS offer
FROM renewal r
JOIN invoice i ON i.id = r.invoice
JOIN product p ON p.id = r.product
JOIN catalogue_item c ON c.id = p.item
WHERE r.client = {} AND r.next_check <= {}
ORDER BY r.due_on, r.id
FOR NO KEY UPDATE OF r, p
"""


async def warranty_invoices_to_check(client_id: int, today: date) -> list[dict]:
    return await Renewal.raw(WARRANTY_INVOICES_SQL, client_id, today)


async def record_invoice_steps(rows: Sequence[tuple[int, int, date | None]]) -> None:
    """(renewal, invoice step, next check) of many renewals at once."""
    if not rows:
        return
    ids, steps, checks = (list(column) for column in zip(*rows, strict=True))
    await Renewal.raw(
        """UPDATE renewal r SET invoice_step = v.step, next_check = v.next_check
           FROM unnest({}::int[], {}::smallint[], {}::date[]) AS v(id, step, next_check)
           WHERE r.id = v.id""",
        ids,
        steps,
        checks,
    )


async def set_statuses(product_ids: Sequence[int], status: str) -> None:
    if product_ids:
        await Product.raw(
            "UPDATE product SET status = {} WHERE id = ANY({})", status, list(product_ids)
        )


# --- the kept counts ---------------------------------------------------------------------------

# The deltas the triggers wrote since the last compaction, summed into one row per partner and
# date (those of dates gone by are dropped: no count reads them). One statement: a delta being
# written meanwhile is not seen, and stays for the next time.
COMPACT_DAY_COUNTS_SQL = """
WITH touched AS (
    SELECT DISTINCT partner, renews_on FROM renewal_day_count
    WHERE NOT compacted AND renews_on >= {}),
gone AS (
    DELETE FROM renewal_day_count c USING touched t
    WHERE c.partner = t.partner AND c.renews_on = t.renews_on
    RETURNING c.partner, c.renews_on, c.products),
past AS (
    DELETE FROM renewal_day_count WHERE renews_on < {})
INSERT INTO renewal_day_count (partner, renews_on, products, compacted)
SELECT partner, renews_on, sum(products), true FROM gone
GROUP BY 1, 2 HAVING sum(products) <> 0
"""


async def compact_day_counts(today: date) -> None:
    await Product.raw(COMPACT_DAY_COUNTS_SQL, today, today)


# --- notices ----------------------------------------------------------------------------------


async def recipients_waiting() -> list[int]:
    rows = await RenewalNotice.raw(
        "SELECT DISTINCT recipient FROM renewal_notice WHERE mailed_at IS NULL ORDER BY 1"
    )
    return [row["recipient"] for row in rows]


async def lock_waiting_notices(recipients: Sequence[int]) -> list[dict]:
    """The notices waiting for RECIPIENTS, oldest first, locked; those another run holds are
    left to it."""
    rows = await RenewalNotice.raw(
        """SELECT n.id, n.recipient, n.client, n.kind, n.details, c.name AS client_name
           FROM renewal_notice n JOIN organisation c ON c.id = n.client
           WHERE n.recipient = ANY({}) AND n.mailed_at IS NULL
           ORDER BY n.recipient, n.id
           FOR NO KEY UPDATE OF n SKIP LOCKED""",
        list(recipients),
    )
    for row in rows:
        if isinstance(row["details"], str):
            row["details"] = json.loads(row["details"])
    return rows


async def people_told(organisations: Sequence[int]) -> dict[tuple[int, bool], list[str]]:
    """Who reads each organisation's renewal notices, by (organisation, client side): its
    managers, and about its own products its members with billing rights too (a partner's
    other people see only some of its clients)."""
    rows = await RenewalNotice.raw(
        """SELECT m.organisation, a.email, m.billing_rights,
                  m.role IN ('legal_representative', 'administrator') AS manager
           FROM membership m JOIN account a ON a.id = m.account
           WHERE m.organisation = ANY({}) ORDER BY m.organisation, a.email""",
        list(organisations),
    )
    told: dict[tuple[int, bool], list[str]] = {}
    for row in rows:
        if row["manager"] or row["billing_rights"]:
            told.setdefault((row["organisation"], True), []).append(row["email"])
        if row["manager"]:
            told.setdefault((row["organisation"], False), []).append(row["email"])
    return told


async def mark_mailed(notice_ids: Sequence[int]) -> None:
    await RenewalNotice.raw(
        "UPDATE renewal_notice SET mailed_at = now() WHERE id = ANY({})", list(notice_ids)
    )


# --- options ------------------------------------------------------------------------------------

OPTION_COLUMNS = ("automatic_renewal", "renewal_warranty")


async def set_option(column: str, rows: Sequence[tuple[int, bool, date | None]]) -> None:
    """(product, value, next check) of many products at once, for COLUMN."""
    if not rows:
        return
    assert column in OPTION_COLUMNS
    ids, values, checks = (list(c) for c in zip(*rows, strict=True))
    await Product.raw(
        f"""UPDATE product p SET {column} = v.value, next_renewal_check = v.next_check
            FROM unnest({{}}::int[], {{}}::boolean[], {{}}::date[]) AS v(id, value, next_check)
            WHERE p.id = v.id""",
        ids,
        values,
        checks,
    )


# --- what a person sees -------------------------------------------------------------------------


async def products_given(account_id: int, organisation_id: int) -> set[int]:
    """The products of the organisation given to a plain user."""
    rows = await Product.raw(
        "SELECT pa.product FROM product_access pa JOIN membership m ON m.id = pa.membership "
        "WHERE m.account = {} AND m.organisation = {}",
        account_id,
        organisation_id,
    )
    return {row["product"] for row in rows}


async def clients_seen(partner_id: int, account_id: int, team_ids: frozenset[int]) -> list[int]:
    """The active clients of the partner given to a collaborator, in person or by a team."""
    rows = await Product.raw(
        "SELECT DISTINCT l.client FROM partner_link l JOIN client_assignment a "
        "ON a.link = l.id WHERE l.partner = {} AND l.status = 'active' "
        "AND (a.account = {} OR a.team = ANY({})) ORDER BY 1",
        partner_id,
        account_id,
        sorted(team_ids),
    )
    return [row["client"] for row in rows]
