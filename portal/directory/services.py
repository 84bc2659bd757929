"""The directory's work: a partner's listing and logo (load → decide → persist in one
transaction), the evidence behind the ranking (refreshed when a listing is saved, and every
10 minutes by the worker's periodic job), and the visitor's search."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import anyio
from asyncpg.exceptions import UniqueViolationError

from portal.access import Action, require
from portal.billing import queries as billing_queries
from portal.billing.rules import tier_for
from portal.core.current import Current
from portal.core.reference import countries
from portal.directory import queries, rules
from portal.directory.forms import ListingInput
from portal.directory.logos import reencode_logo
from portal.errors import NotFound
from portal.jobs.registry import Periodic
from portal.partners import queries as partner_queries
from portal.piccolo_conf import DB
from portal.tenders.queries import tender_records
from portal.tenders.rules import TenderRecord

log = logging.getLogger(__name__)

REFRESH_EVERY = timedelta(minutes=10)
SAVE_ATTEMPTS = 3
# Logos re-encoded at once per process: each holds up to ~60 MB while it decodes, and a burst
# of uploads must not take every thread from the requests that need one.
LOGO_ENCODERS = anyio.CapacityLimiter(2)


def _now() -> datetime:
    return datetime.now(UTC)


# --- a partner's own listing ---------------------------------------------------------------


async def listing_for_editing(current: Current) -> tuple[dict | None, dict]:
    """The organisation's listing (None before the first save) and the organisation."""
    organisation = current.organisation
    require(current.actor, Action.MANAGE_LISTING, current.organisation_resource())
    assert organisation is not None
    details = await partner_queries.organisation(organisation.id)
    if details is None:
        raise NotFound()
    return await queries.listing_of(organisation.id), details


async def save_listing(current: Current, entered: ListingInput) -> str:
    """Create or update the listing; its evidence is computed at once. Returns its slug."""
    require(current.actor, Action.MANAGE_LISTING, current.organisation_resource())
    organisation = current.organisation
    assert organisation is not None
    values = {**entered.values(), "updated_at": _now()}
    for attempt in range(SAVE_ATTEMPTS):
        try:
            return await _save_listing_once(organisation, values)
        except UniqueViolationError:
            # Another save inserted between our check and our insert: the same name's slug
            # (the retry takes the next free one), or this organisation's own listing (the
            # retry updates it).
            if attempt == SAVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def _save_listing_once(organisation, values: dict) -> str:
    async with DB.transaction():
        listing = await queries.listing_of(organisation.id, lock=True)
        if listing is None:
            slug = await _free_slug(organisation.name, organisation.id)
            if await queries.insert_listing(organisation.id, slug, values) is None:
                raise NotFound()
        else:
            slug = listing["slug"]
            await queries.update_listing(listing["id"], values)
        await refresh_evidence(organisation.id)
    return slug


async def _free_slug(name: str, organisation_id: int) -> str:
    slug = rules.slug_of(name)
    if not rules.slug_is_usable(slug) or await queries.slug_taken(slug):
        slug = f"{slug}-{organisation_id}"
    return slug


async def upload_logo(current: Current, data: bytes) -> None:
    """Re-encode and keep the logo; LogoRefused says why an upload is not one."""
    require(current.actor, Action.MANAGE_LISTING, current.organisation_resource())
    logo = await anyio.to_thread.run_sync(reencode_logo, data, limiter=LOGO_ENCODERS)
    async with DB.transaction():
        listing = await _own_listing(current)
        await queries.save_logo(listing["id"], logo.image, logo.width, logo.height, _now())


async def remove_logo(current: Current) -> None:
    require(current.actor, Action.MANAGE_LISTING, current.organisation_resource())
    async with DB.transaction():
        listing = await _own_listing(current)
        await queries.delete_logo(listing["id"])


async def own_logo(current: Current) -> dict:
    require(current.actor, Action.MANAGE_LISTING, current.organisation_resource())
    assert current.organisation is not None
    logo = await queries.logo_of(current.organisation.id)
    if logo is None:
        raise NotFound()
    return logo


async def _own_listing(current: Current) -> dict:
    assert current.organisation is not None
    listing = await queries.listing_of(current.organisation.id, lock=True)
    if listing is None:
        raise NotFound("Save your listing first.")
    return listing


# --- evidence ------------------------------------------------------------------------------


async def refresh_evidence(organisation_id: int | None = None, today=None) -> int:
    """Recompute the badge and ranking of one listing, or of all; returns how many were
    looked at. Inside the caller's transaction when there is one."""
    await queries.mend_from_organisations(organisation_id)
    listings = await queries.listings_for_evidence(organisation_id)
    if not listings:
        return 0
    ids = [listing["organisation"] for listing in listings]
    clients = await queries.active_clients(ids)
    volumes = await queries.managed_volumes(ids)
    tenders = await tender_records(ids)
    tiers = {currency: await billing_queries.tiers(currency) for currency in ("CHF", "EUR")}
    seed = rules.week_seed(today or _now().date())
    now = _now()
    rows, keys = [], {}
    for listing in listings:
        partner = listing["organisation"]
        counts = tenders.get(partner, TenderRecord())
        evidence = rules.Evidence(clients.get(partner, 0), counts.received, counts.answered)
        tier = tier_for(tiers[listing["currency"]], Decimal(volumes.get(partner, 0)))
        score = rules.rank_score(evidence)
        if listing["shown"]:
            keys[listing["id"]] = rules.ranking_key(score, seed, partner)
        rows.append(
            [
                listing["id"],
                _verified(listing),
                tier.name if tier else "",
                evidence.active_clients,
                evidence.tenders_received,
                evidence.tenders_answered,
                score,
                rules.tiebreak(seed, partner),
                now,
            ]
        )
    windows = await _windows(keys, whole_directory=organisation_id is None)
    for row in rows:
        row.append(windows.get(row[0], rules.LAST_WINDOW))
    await queries.write_evidence(rows)
    if organisation_id is None:
        await queries.tidy_search_index()
    return len(rows)


async def _windows(keys: dict[int, tuple], *, whole_directory: bool) -> dict[int, int]:
    """The ranking windows: of every shown listing after a full refresh; of one listing
    from its place among the others (whose windows stay as the last full refresh left them:
    a window may then hold a few more, or fewer, than its size)."""
    if whole_directory:
        return rules.rank_windows(keys)
    windows = {}
    for listing_id, (negative_score, tiebreak, organisation_id) in keys.items():
        ahead = await queries.listings_ahead(-negative_score, tiebreak, organisation_id)
        windows[listing_id] = rules.rank_window(ahead + 1)
    return windows


def _verified(listing: dict) -> bool:
    """The badge: the organisation holds the very numbers the programme approved when it
    became a partner (checked against their register's format and check digit, or by a
    person of the host). A number typed since, even one with a valid check digit, is not
    one the programme approved."""
    return listing["registration_approved"]


async def refresh_if_due(now: datetime | None = None) -> bool:
    """Refresh every listing's evidence when the week changed or the last refresh is older
    than REFRESH_EVERY; only one process does it at a time. True when it ran."""
    now = now or _now()
    async with DB.transaction():
        if not await queries.claim_refresh(rules.week_seed(now.date()), now - REFRESH_EVERY, now):
            return False
        await refresh_evidence(today=now.date())
    return True


async def refresh_periodically(settings, now: datetime) -> None:
    """The periodic job (every 10 minutes, by one worker): new evidence, and on Mondays the
    new week's order of ties."""
    if await refresh_if_due(now):
        log.info("The directory's evidence is refreshed.")


PERIODIC = [Periodic("directory.refresh_evidence", "*/10 * * * *", refresh_periodically)]


# --- the visitor's search ------------------------------------------------------------------


_known_version: tuple[int, float] | None = None  # (version, when it was read: monotonic)


async def directory_version(ttl: float) -> int:
    """The directory's version, part of every ETag and cache key: read from the database at
    most once per TTL seconds per process (0: on every request). A listing that changes is
    thus seen everywhere within TTL; the pages themselves are only ever served for the
    version they were rendered for."""
    global _known_version
    now = time.monotonic()
    if ttl > 0 and _known_version and now - _known_version[1] < ttl:
        return _known_version[0]
    version = (await queries.state())["version"]
    _known_version = (version, now)
    return version


async def countries_listed() -> dict[str, str]:
    """The countries with at least one partner shown, for the country filter."""
    names = countries()
    return {code: names.get(code, code) for code in await queries.listed_countries()}


@dataclass(frozen=True)
class Results:
    """One page of a search. No total: counting every match would grow with the directory,
    and a visitor needs the page, and whether others come before and after it."""

    search: rules.Search
    partners: list[dict]
    has_previous: bool
    has_next: bool

    @property
    def previous(self) -> rules.Search:
        return self.search.moved(before=rules.place_of(self.partners[0]))

    @property
    def next(self) -> rules.Search:
        return self.search.moved(after=rules.place_of(self.partners[-1]))


def results_of(search: rules.Search, rows: list[dict]) -> Results:
    """The page of SEARCH made of ROWS as queries.search_sql returned them."""
    rows = list(rows)
    more = len(rows) > rules.PAGE_SIZE
    rows = rows[: rules.PAGE_SIZE]
    if search.before is not None:
        rows.reverse()
        has_previous, has_next = more, True
    else:
        has_previous, has_next = search.after is not None, more
    if not rows:
        has_previous = has_next = False
    return Results(search, rows, has_previous, has_next)


async def search(search: rules.Search) -> Results:
    return results_of(search, await queries.search(search))
