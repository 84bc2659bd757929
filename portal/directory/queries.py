"""Reads and writes of the directory: the visitor's search, a profile, a partner's own listing,
its logo, the directory's state and the evidence behind the ranking."""

from __future__ import annotations

from datetime import datetime

from portal.database import CHANGE_LOCK, storable_id
from portal.directory.rules import (
    LAST_WINDOW,
    PAGE_SIZE,
    Search,
    search_facets,
    tsquery_text,
)
from portal.directory.tables import DirectoryListing, DirectoryLogo, DirectoryState

SHOWN = "published AND partner_active"
CARD_COLUMNS = """organisation AS id, slug, name, left(description, 400) AS description,
       country, region, languages, specialities, website, logo_version, verified, tier,
       active_clients, rank_window, rank_score, rank_tiebreak"""
FORWARD = "rank_score DESC, rank_tiebreak, organisation"
BACKWARD = "rank_score, rank_tiebreak DESC, organisation DESC"


def search_sql(search: Search) -> tuple[str, list]:
    """One page of results, and one row more to know whether another page follows; every
    value from the visitor a bound parameter, never SQL text.

    The directory's order is the ranking window, then the ranking key (FORWARD). A page reads
    the slices of that order from its place on (rank_slices), one after the other (UNION ALL
    under the LIMIT: once the page is full the later slices are never read), each through
    its window's index: the GIN index over the words and every filter's token for a search,
    the ranking index read in order without one. The database reads only the index entries
    and rows of the slices it needs, however many partners the directory holds and however
    deep the page. A page before a place reads the same slices backwards."""
    conditions, values = [], []
    if search.words:
        conditions.append("search_document @@ {}::tsquery")
        values.append(tsquery_text(search.words))
    facets = search_facets(search)
    if facets:
        conditions.append("facets @> {}::text[]")
        values.append(facets)
    matching = "".join(f" AND {condition}" for condition in conditions)
    branches, arguments = [], []
    for condition, slice_values, order in rank_slices(search):
        branches.append(
            f"(SELECT {CARD_COLUMNS} FROM directory_listing "
            f"WHERE {SHOWN} AND {condition}{matching} ORDER BY {order})"
        )
        arguments += [*slice_values, *values]
    sql = " UNION ALL ".join(branches) + " LIMIT {}"
    return sql, [*arguments, PAGE_SIZE + 1]


def rank_slices(search: Search) -> list[tuple[str, list, str]]:
    """The slices of the directory's order a page reads, in reading order: (condition, its
    values, order). The window is written in the SQL (a number of ours, checked when the
    place was read, never the visitor's text): the planner must see it to pick that
    window's partial index."""
    if search.before is not None:
        window, score, tiebreak, organisation = search.before
        return [
            (f"rank_window = {window:d} AND rank_score = {{}} "
             "AND (rank_tiebreak, organisation) < ({}, {})",
             [score, tiebreak, organisation], BACKWARD),
            (f"rank_window = {window:d} AND rank_score > {{}}", [score], BACKWARD),
            *[(f"rank_window = {w:d}", [], BACKWARD) for w in range(window - 1, 0, -1)],
        ]  # fmt: skip
    if search.after is not None:
        window, score, tiebreak, organisation = search.after
        return [
            (f"rank_window = {window:d} AND rank_score = {{}} "
             "AND (rank_tiebreak, organisation) > ({}, {})",
             [score, tiebreak, organisation], FORWARD),
            (f"rank_window = {window:d} AND rank_score < {{}}", [score], FORWARD),
            *[(f"rank_window = {w:d}", [], FORWARD)
              for w in range(window + 1, LAST_WINDOW + 1)],
        ]  # fmt: skip
    return [(f"rank_window = {w:d}", [], FORWARD) for w in range(1, LAST_WINDOW + 1)]


async def search(search: Search) -> list[dict]:
    sql, values = search_sql(search)
    return await DirectoryListing.raw(sql, *values)


async def shown_listing(slug: str) -> dict | None:
    """A listing a visitor may see (active partner, opted in), by its slug."""
    rows = await DirectoryListing.raw(
        f"SELECT {CARD_COLUMNS}, description AS full_description "
        f"FROM directory_listing WHERE slug = {{}} AND {SHOWN}",
        slug,
    )
    return rows[0] if rows else None


async def slug_of_organisation(organisation_id: int) -> str | None:
    if not storable_id(organisation_id):
        return None
    rows = await DirectoryListing.raw(
        f"SELECT slug FROM directory_listing WHERE organisation = {{}} AND {SHOWN}",
        organisation_id,
    )
    return rows[0]["slug"] if rows else None


async def organisation_of_slug(slug: str) -> int | None:
    """The organisation whose listing has SLUG, shown or not (the command line names a
    partner by it)."""
    rows = await DirectoryListing.raw(
        "SELECT organisation FROM directory_listing WHERE slug = {}", slug
    )
    return rows[0]["organisation"] if rows else None


async def shown_logo(slug: str) -> dict | None:
    rows = await DirectoryLogo.raw(
        """SELECT g.image, g.media_type, l.logo_version
            FROM directory_logo g JOIN directory_listing l ON l.id = g.listing
            WHERE l.slug = {} AND l.published AND l.partner_active""",
        slug,
    )
    return rows[0] if rows else None


async def listed_countries() -> list[str]:
    rows = await DirectoryListing.raw(
        f"SELECT DISTINCT country FROM directory_listing WHERE {SHOWN} ORDER BY country"
    )
    return [row["country"] for row in rows]


async def logo_of(organisation_id: int) -> dict | None:
    """An organisation's own logo, whether its listing is shown or not."""
    rows = await DirectoryLogo.raw(
        """SELECT g.image, g.media_type FROM directory_logo g
           JOIN directory_listing l ON l.id = g.listing WHERE l.organisation = {}""",
        organisation_id,
    )
    return rows[0] if rows else None


# --- the directory's state -----------------------------------------------------------------


async def state() -> dict:
    rows = await DirectoryState.raw(
        "SELECT version, seed_week, refreshed_at FROM directory_state LIMIT 1"
    )
    return rows[0]


async def claim_refresh(seed_week: int, stale_before: datetime, now: datetime) -> bool:
    """Whether this transaction should refresh the evidence: the week changed or the last
    refresh is older than STALE_BEFORE, and no other process is refreshing (the row lock is
    held until the transaction ends; SKIP LOCKED lets the others go on serving)."""
    rows = await DirectoryState.raw(
        """UPDATE directory_state SET seed_week = {}, refreshed_at = {}
           WHERE id = (SELECT id FROM directory_state
                       WHERE seed_week <> {} OR refreshed_at IS NULL OR refreshed_at < {}
                       FOR NO KEY UPDATE SKIP LOCKED)
           RETURNING id""",
        seed_week,
        now,
        seed_week,
        stale_before,
    )
    return bool(rows)


# --- a partner's own listing ---------------------------------------------------------------

LISTING_COLUMNS = (
    DirectoryListing.id,
    DirectoryListing.organisation,
    DirectoryListing.slug,
    DirectoryListing.published,
    DirectoryListing.name,
    DirectoryListing.description,
    DirectoryListing.country,
    DirectoryListing.region,
    DirectoryListing.languages,
    DirectoryListing.specialities,
    DirectoryListing.website,
    DirectoryListing.logo_version,
    DirectoryListing.partner_active,
    DirectoryListing.verified,
    DirectoryListing.tier,
    DirectoryListing.active_clients,
    DirectoryListing.tenders_received,
    DirectoryListing.tenders_answered,
    DirectoryListing.rank_score,
    DirectoryListing.evidence_at,
)


async def listing_of(organisation_id: int, *, lock: bool = False) -> dict | None:
    query = DirectoryListing.select(*LISTING_COLUMNS).where(
        DirectoryListing.organisation == organisation_id
    )
    if lock:
        query = query.lock_rows(CHANGE_LOCK)
    return await query.first()


async def slug_taken(slug: str) -> bool:
    return await DirectoryListing.exists().where(DirectoryListing.slug == slug)


async def insert_listing(organisation_id: int, slug: str, values: dict) -> int | None:
    """The first save: what the partner wrote, with the name and status read from the
    organisation in the same statement (the request's view of them may be stale by now).
    None when the organisation is gone."""
    columns = list(values)
    rows = await DirectoryListing.raw(
        f"""INSERT INTO directory_listing
                (organisation, slug, name, partner_active, {", ".join(columns)})
            SELECT o.id, {{}}, o.name, directory_partner_shown(o.partner_status),
                   {", ".join("{}" for _ in columns)}
            FROM organisation o WHERE o.id = {{}}
            RETURNING id""",
        slug,
        *values.values(),
        organisation_id,
    )
    return rows[0]["id"] if rows else None


async def update_listing(listing_id: int, values: dict) -> None:
    await DirectoryListing.update(
        {getattr(DirectoryListing, key): value for key, value in values.items()}
    ).where(DirectoryListing.id == listing_id)


async def save_logo(listing_id: int, image: bytes, width: int, height: int, now) -> None:
    await DirectoryLogo.raw(
        """INSERT INTO directory_logo (listing, image, media_type, width, height, uploaded_at)
           VALUES ({}, {}, 'image/webp', {}, {}, {})
           ON CONFLICT (listing) DO UPDATE SET image = EXCLUDED.image, width = EXCLUDED.width,
               height = EXCLUDED.height, uploaded_at = EXCLUDED.uploaded_at""",
        listing_id,
        image,
        width,
        height,
        now,
    )
    await DirectoryListing.raw(
        "UPDATE directory_listing SET logo_version = abs(logo_version) + 1 WHERE id = {}",
        listing_id,
    )


async def delete_logo(listing_id: int) -> None:
    await DirectoryLogo.delete().where(DirectoryLogo.listing == listing_id)
    # Keeps the last version, negated: the next upload goes on from it, so its URL (cached
    # for a year as immutable) is one no browser has seen.
    await DirectoryListing.raw(
        "UPDATE directory_listing SET logo_version = -abs(logo_version) WHERE id = {}",
        listing_id,
    )


# --- evidence ------------------------------------------------------------------------------


# The badge's rule: organisation o holds (non-empty) the very numbers the programme approved.
REGISTRATION_APPROVED = """EXISTS (
    SELECT 1 FROM approved_registration a WHERE a.organisation = o.id
       AND a.registration_number = o.registration_number AND a.vat_number = o.vat_number
       AND (o.registration_number <> '' OR o.vat_number <> ''))"""


async def listings_for_evidence(organisation_id: int | None = None) -> list[dict]:
    """Each listing with what its evidence is computed from (one, or all of them)."""
    only = "WHERE l.organisation = {}" if organisation_id is not None else ""
    values = [organisation_id] if organisation_id is not None else []
    return await DirectoryListing.raw(
        f"""SELECT l.id, l.organisation, o.currency, o.partner_status,
                   l.published AND l.partner_active AS shown,
                   {REGISTRATION_APPROVED} AS registration_approved
            FROM directory_listing l JOIN organisation o ON o.id = l.organisation {only}
            ORDER BY l.id""",
        *values,
    )


async def active_clients(partner_ids: list[int]) -> dict[int, int]:
    rows = await DirectoryListing.raw(
        """SELECT partner, count(DISTINCT client) AS clients FROM partner_link
           WHERE status = 'active' AND partner = ANY({}::int[]) GROUP BY partner""",
        partner_ids,
    )
    return {row["partner"]: row["clients"] for row in rows}


# The managed volume billing keeps per managing link (managed_link), for many partners at
# once: the tier badge is read from it.
MANAGED_VOLUMES_SQL = """
SELECT partner, sum(volume) AS volume FROM managed_link
WHERE partner = ANY({}::int[]) GROUP BY partner
"""


async def managed_volumes(partner_ids: list[int]) -> dict:
    rows = await DirectoryListing.raw(MANAGED_VOLUMES_SQL, partner_ids)
    return {row["partner"]: row["volume"] for row in rows}


async def write_evidence(rows: list[tuple]) -> None:
    """Bulk update (listing id, verified, tier, clients, received, answered, score, tiebreak,
    at, window); rows whose values did not change are left alone, so the version only moves
    when something a visitor sees moved."""
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    await DirectoryListing.raw(
        """UPDATE directory_listing AS l SET verified = e.verified, tier = e.tier,
               active_clients = e.clients, tenders_received = e.received,
               tenders_answered = e.answered, rank_score = e.score,
               rank_tiebreak = e.tiebreak, evidence_at = e.at, rank_window = e.place_window
           FROM unnest({}::int[], {}::bool[], {}::varchar[], {}::int[], {}::int[], {}::int[],
                       {}::smallint[], {}::int[], {}::timestamptz[], {}::smallint[])
                AS e(id, verified, tier, clients, received, answered, score, tiebreak, at,
                     place_window)
           WHERE l.id = e.id
             AND (l.verified, l.tier, l.active_clients, l.tenders_received,
                  l.tenders_answered, l.rank_score, l.rank_tiebreak, l.rank_window)
                 IS DISTINCT FROM
                 (e.verified, e.tier, e.clients, e.received, e.answered, e.score, e.tiebreak,
                  e.place_window)""",
        *[list(column) for column in columns],
    )


async def listings_ahead(score: int, tiebreak: int, organisation_id: int) -> int:
    """How many shown listings rank before a listing of SCORE and TIEBREAK."""
    rows = await DirectoryListing.raw(
        f"""SELECT count(*) AS ahead FROM directory_listing
            WHERE {SHOWN} AND organisation <> {{}}
              AND (rank_score > {{}} OR (rank_score = {{}}
                   AND (rank_tiebreak, organisation) < ({{}}, {{}})))""",
        organisation_id,
        score,
        score,
        tiebreak,
        organisation_id,
    )
    return rows[0]["ahead"]


async def tidy_search_index() -> None:
    """Move the GIN indexes' pending entries (a full refresh rewrites many rows) into the
    indexes proper, so that searches stop scanning the pending lists one by one."""
    for window in range(1, LAST_WINDOW + 1):
        await DirectoryListing.raw(
            f"SELECT gin_clean_pending_list('directory_listing_find_{window:d}'::regclass)"
        )


async def mend_from_organisations(organisation_id: int | None = None) -> None:
    """Copy the organisation's name and status again into the listings out of step with it
    (the trigger keeps them in step; this mends one that missed a change). Only those rows
    are written: setting the name rewrites the search words."""
    only = "AND l.organisation = {}" if organisation_id is not None else ""
    values = [organisation_id] if organisation_id is not None else []
    await DirectoryListing.raw(
        f"""UPDATE directory_listing l
            SET name = o.name, partner_active = directory_partner_shown(o.partner_status)
            FROM organisation o
            WHERE o.id = l.organisation {only}
              AND (l.name, l.partner_active)
                  IS DISTINCT FROM (o.name, directory_partner_shown(o.partner_status))""",
        *values,
    )
