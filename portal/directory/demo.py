"""Directory listings for the demo and the benchmark, bulk-loaded with COPY: deterministic
descriptions, places, languages and specialities, and evidence computed by the same rules as
the portal's refresh."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg

from portal.billing.rules import Tier, tier_for
from portal.core import reference
from portal.directory import rules
from portal.directory.queries import REGISTRATION_APPROVED

TOWNS = {
    "CH-ZH": ["Zürich", "Winterthur", "Uster"],
    "CH-GE": ["Genève", "Carouge", "Meyrin"],
    "CH-VD": ["Lausanne", "Montreux", "Nyon", "Yverdon"],
    "CH-BE": ["Bern", "Biel", "Thun"],
    "CH-BS": ["Basel"],
    "CH-LU": ["Luzern", "Kriens"],
    "CH-TI": ["Lugano", "Bellinzona", "Locarno"],
    "CH-VS": ["Sion", "Martigny", "Brig"],
    "CH-FR": ["Fribourg", "Bulle"],
    "CH-NE": ["Neuchâtel", "La Chaux-de-Fonds"],
    "CH-SG": ["St. Gallen", "Rapperswil"],
    "CH-GR": ["Chur", "Davos"],
}
FOREIGN_TOWNS = {"FR": ["Lyon", "Paris", "Annecy", "Grenoble", "Strasbourg"], "DE": ["Konstanz"]}
REGION_LANGUAGES = {"CH-GE": "fr", "CH-VD": "fr", "CH-NE": "fr", "CH-FR": "fr", "CH-VS": "fr"}
REGION_LANGUAGES |= {"CH-TI": "it", "CH-GR": "rm"}
SERVICES = {
    "website_creation": ["websites", "WordPress sites", "Webdesign", "sites vitrines"],
    "e_shop": ["online shops", "WooCommerce", "Onlineshops", "boutiques en ligne"],
    "migration": ["migrations", "moving sites and mail", "Umzüge", "migrations de sites"],
    "hosting": ["managed hosting", "cloud servers", "Hosting", "hébergement"],
    "email": ["business email", "Microsoft-free mail", "E-Mail-Lösungen", "messagerie"],
    "development": ["custom development", "Python and PHP apps", "Entwicklung", "développement"],
    "support": ["support contracts", "IT support", "Support vor Ort", "assistance"],
    "other": ["training", "SEO", "Beratung", "conseil"],
}
AUDIENCES = [
    "small companies",
    "doctors and lawyers",
    "hotels and restaurants",
    "associations",
    "craftsmen",
    "schools",
    "shops",
    "start-ups",
]
PREFIXES = ["Alpine", "Lac", "Jura", "Rhône", "Säntis", "Léman", "Ticino", "Aare", "Pilatus"]
PREFIXES += ["Helvetia", "Cervin", "Rigi", "Limmat", "Sarine", "Doubs", "Gotthard", "Eiger"]
CORES = ["Web", "Digital", "Net", "Cloud", "Code", "Pixel", "Data", "Media", "Soft", "Site"]
SUFFIXES = ["Studio", "Lab", "Works", "Atelier", "Factory", "Partners", "Solutions", "Team"]
FORMS = {"CH": ["AG", "GmbH", "Sàrl", "SA"], "FR": ["SARL", "SAS"], "DE": ["GmbH"]}


def listing_for(rng: random.Random, country: str) -> dict:
    """A plausible listing: a place, the languages spoken there (and often English), two or
    three specialities, and a description that mentions them."""
    if country == "CH":
        region = rng.choice(list(TOWNS))
        town = rng.choice(TOWNS[region])
        home = REGION_LANGUAGES.get(region, "de")
    else:
        region = ""
        town = rng.choice(FOREIGN_TOWNS.get(country, ["Europe"]))
        home = {"FR": "fr", "DE": "de"}.get(country, "en")
    languages = [home] + (["en"] if rng.random() < 0.5 else [])
    if rng.random() < 0.3:
        languages.append(rng.choice([code for code in ("de", "fr", "it") if code != home]))
    specialities = rng.sample(list(rules.SPECIALITIES), rng.choice((1, 2, 3)))
    offers = [rng.choice(SERVICES[s]) for s in specialities]
    description = (
        f"Based in {town}, we offer {', '.join(offers)} for {rng.choice(AUDIENCES)}. "
        f"Our team answers in {', '.join(reference.LANGUAGES[code] for code in languages)} and "
        f"looks after every project on the host's Swiss cloud, from the first call to support."
    )
    return {
        "description": description,
        "region": region,
        "languages": [code for code in reference.LANGUAGES if code in languages],
        "specialities": [code for code in rules.SPECIALITIES if code in specialities],
    }


def partner_name(rng: random.Random, number: int, country: str) -> str:
    form = rng.choice(FORMS.get(country, ["Ltd"]))
    return f"{rng.choice(PREFIXES)} {rng.choice(CORES)} {rng.choice(SUFFIXES)} {number} {form}"


LISTING_COLUMNS = [
    "organisation", "slug", "published", "name", "description", "country", "region",
    "languages", "specialities", "website", "logo_version", "partner_active", "verified",
    "tier", "active_clients", "tenders_received", "tenders_answered", "rank_score",
    "rank_tiebreak", "evidence_at", "updated_at", "rank_window",
]  # fmt: skip


def listing_record(
    organisation: dict,
    listing: dict,
    *,
    verified: bool,
    tier: str,
    evidence: rules.Evidence,
    seed: int,
    now: datetime,
) -> tuple:
    organisation_id = organisation["id"]
    return (
        organisation_id,
        f"{rules.slug_of(organisation['name'])}-{organisation_id}",
        True,
        organisation["name"],
        listing["description"],
        organisation["country"],
        listing["region"],
        listing["languages"],
        listing["specialities"],
        organisation["website"] or "",
        0,
        rules.partner_shown(organisation["partner_status"]),
        verified,
        tier,
        evidence.active_clients,
        evidence.tenders_received,
        evidence.tenders_answered,
        rules.rank_score(evidence),
        rules.tiebreak(seed, organisation_id),
        now,
        now,
    )


async def load_listings(connection: asyncpg.Connection, today: date | None = None) -> int:
    """A listing for every partner (active or flagged) of the database that has none, with
    its evidence read from its links, managed volume and tenders. Returns how many were
    added."""
    partners = await connection.fetch(
        f"""SELECT o.id, o.name, o.country, o.currency, o.website, o.partner_status,
                  {REGISTRATION_APPROVED} AS registration_approved
           FROM organisation o
           WHERE o.partner_status IN ('active', 'flagged')
             AND NOT EXISTS (SELECT 1 FROM directory_listing l WHERE l.organisation = o.id)
           ORDER BY o.id"""
    )
    if not partners:
        return 0
    ids = [partner["id"] for partner in partners]
    clients = dict(
        await connection.fetch(
            """SELECT partner, count(DISTINCT client) FROM partner_link
               WHERE status = 'active' AND partner = ANY($1::int[]) GROUP BY partner""",
            ids,
        )
    )
    volumes = dict(
        await connection.fetch(
            """SELECT partner, sum(volume) FROM managed_link
               WHERE partner = ANY($1::int[]) GROUP BY partner""",
            ids,
        )
    )
    tenders = {
        row["partner"]: (row["received"], row["answered"])
        for row in await connection.fetch(
            """SELECT partner, received, answered FROM partner_tender_record
               WHERE partner = ANY($1::int[])""",
            ids,
        )
    }
    tiers = await _tiers(connection)
    rng = random.Random(7)
    now = datetime.now(UTC)
    seed = rules.week_seed(today or now.date())
    records = []
    for partner in partners:
        tier = tier_for(tiers[partner["currency"]], Decimal(volumes.get(partner["id"], 0)))
        records.append(
            listing_record(
                dict(partner),
                listing_for(rng, partner["country"]),
                verified=partner["registration_approved"],
                tier=tier.name if tier else "",
                evidence=rules.Evidence(
                    clients.get(partner["id"], 0), *tenders.get(partner["id"], (0, 0))
                ),
                seed=seed,
                now=now,
            )
        )
    await copy_listings(connection, records)
    await mark_refreshed(connection, seed, now)
    return len(records)


async def _tiers(connection: asyncpg.Connection) -> dict[str, list[Tier]]:
    import json

    payload = await connection.fetchval(
        "SELECT payload FROM programme_setting WHERE kind = 'tiers' "
        "ORDER BY created_at DESC, id DESC LIMIT 1"
    )
    table = json.loads(payload) if isinstance(payload, str) else payload
    return {
        currency: [Tier(name, Decimal(rate), Decimal(threshold)) for name, rate, threshold in rows]
        for currency, rows in table.items()
    }


async def copy_listings(connection: asyncpg.Connection, records: Iterable[tuple]) -> None:
    """Write listing_record()s, each with its ranking window (computed among these records
    and those already listed as the portal's full refresh does)."""
    records = list(records)
    column = LISTING_COLUMNS.index
    listed = await connection.fetch(
        "SELECT id, rank_score, rank_tiebreak, organisation FROM directory_listing "
        "WHERE published AND partner_active"
    )
    keys = {("listed", row["id"]): (-row["rank_score"], *tuple(row)[2:]) for row in listed}
    for number, record in enumerate(records):
        if record[column("published")] and record[column("partner_active")]:
            keys[("new", number)] = (
                -record[column("rank_score")],
                record[column("rank_tiebreak")],
                record[column("organisation")],
            )
    windows = rules.rank_windows(keys)
    await connection.copy_records_to_table(
        "directory_listing",
        records=[
            (*record, windows.get(("new", number), rules.LAST_WINDOW))
            for number, record in enumerate(records)
        ],
        columns=LISTING_COLUMNS,
    )


async def mark_refreshed(connection: asyncpg.Connection, seed: int, now: datetime) -> None:
    await connection.execute(
        "UPDATE directory_state SET seed_week = $1, refreshed_at = $2", seed, now
    )


async def bulk_partners(connection: asyncpg.Connection, count: int, seed: int = 11) -> None:
    """COUNT active partners with their listings, for the benchmark: organisations and
    listings by COPY, with evidence spread as in a live programme (most partners have a few
    clients, some many; a third have answered tenders)."""
    rng = random.Random(seed)
    first_id = await connection.fetchval("SELECT coalesce(max(id), 0) + 1 FROM organisation")
    organisations, records = [], []
    now = datetime.now(UTC)
    week = rules.week_seed(now.date())
    for number in range(count):
        organisation_id = first_id + number
        country = "CH" if number % 5 else rng.choice(["FR", "FR", "DE"])
        organisation = {
            "id": organisation_id,
            "name": partner_name(rng, number, country),
            "country": country,
            "website": f"https://partner{number}.example",
            "partner_status": "active",
        }
        organisations.append(
            (
                organisation_id, organisation["name"], "company", country,
                "CHF" if country == "CH" else "EUR", organisation["website"], "active",
            )
        )  # fmt: skip
        received = rng.choice([0, 0, 0, 2, 5, 12])
        evidence = rules.Evidence(
            active_clients=int(rng.paretovariate(1.2)) - 1,
            tenders_received=received,
            tenders_answered=rng.randint(0, received),
        )
        records.append(
            listing_record(
                organisation,
                listing_for(rng, country),
                verified=rng.random() < 0.8,
                tier=rng.choice(["", "Bronze", "Bronze", "Silver", "Gold", "Platinum"]),
                evidence=evidence,
                seed=week,
                now=now,
            )
        )
    await connection.copy_records_to_table(
        "organisation",
        records=organisations,
        columns=["id", "name", "kind", "country", "currency", "website", "partner_status"],
    )
    await connection.execute(
        "SELECT setval(pg_get_serial_sequence('organisation', 'id'), "
        "(SELECT max(id) FROM organisation))"
    )
    await copy_listings(connection, records)
    await mark_refreshed(connection, week, now)
