"""Demo tenders: the named partners' tender settings, one in three generated partners opted in,
and a few tenders in every state — open with quotes, decided, withdrawn, closed at the
deadline, and one visitor's tender waiting for its confirmation."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from portal.tenders.rules import deadline_at

NAMED_SETTINGS = {
    # organisation: categories, languages, regions
    "Alpine Web Studio GmbH": (
        ["website_creation", "hosting", "email", "migration", "support"],
        ["de", "en"],
        ["CH"],
    ),
    "Lumière Digital SARL": (["website_creation", "e_shop", "development"], ["fr"], []),
}
GENERATED_CATEGORY_SETS = [
    ["website_creation", "e_shop"],
    ["hosting", "email", "migration"],
    ["development", "support", "other"],
]
VISITOR_PERSON = ("Valérie Roux", "valerie.roux@example.org", "Atelier Roux")

# title, category, language, country, region, budget, currency, days to deadline, status,
# description
TENDERS = [
    (
        "New website for our bakery with online orders",
        "website_creation",
        "de",
        "CH",
        "CH-ZH",
        ("3000", "8000"),
        "CHF",
        25,
        "open",
        "We are a family bakery with three shops in Zurich. We need a new website in German "
        "and English with our products, opening hours and an order form for cakes.",
    ),
    (
        "Move 15 mailboxes to the host",
        "email",
        "de",
        "CH",
        "",
        ("800", "2000"),
        "CHF",
        12,
        "decided",
        "Our 15 mailboxes and shared calendars should move from our old provider without "
        "losing mail, ideally over a weekend.",
    ),
    (
        "Boutique en ligne pour nos créations",
        "e_shop",
        "fr",
        "FR",
        "",
        ("4000", "12000"),
        "EUR",
        40,
        "open",
        "Nous créons des bijoux à Lyon et voulons vendre en ligne : catalogue d'environ 200 "
        "pièces, paiement par carte, livraison en France et en Suisse.",
    ),
    (
        "Hosting for our association's website",
        "hosting",
        "en",
        "CH",
        "CH-BE",
        ("200", "600"),
        "CHF",
        -3,
        "expired",
        "A small association needs reliable hosting for a WordPress site with about 500 "
        "visitors a month, and someone to keep it updated.",
    ),
    (
        "Support contract for our office IT",
        "support",
        "de",
        "CH",
        "",
        ("1500", "4000"),
        "CHF",
        30,
        "withdrawn",
        "Twelve workstations, a NAS and our mail need a support contract with a reaction time "
        "of one working day.",
    ),
]


async def load(connection: asyncpg.Connection, generated_partner_ids: list[int]) -> None:
    ids = {
        row["name"]: row["id"]
        for row in await connection.fetch(
            "SELECT id, name FROM organisation WHERE name = ANY($1::varchar[])",
            [*NAMED_SETTINGS, "Bäckerei Huber AG"],
        )
    }
    settings = [
        (ids[name], categories, languages, regions)
        for name, (categories, languages, regions) in NAMED_SETTINGS.items()
    ]
    for number, partner_id in enumerate(generated_partner_ids):
        if number % 3 == 0:
            chosen = GENERATED_CATEGORY_SETS[(number // 3) % len(GENERATED_CATEGORY_SETS)]
            settings.append((partner_id, chosen, [], []))
    await connection.copy_records_to_table(
        "tender_preference",
        records=settings,
        columns=["partner", "categories", "languages", "regions"],
    )
    alpine, lumiere = ids["Alpine Web Studio GmbH"], ids["Lumière Digital SARL"]
    huber = ids["Bäckerei Huber AG"]
    owner = await connection.fetchrow(
        "SELECT a.id, a.full_name, a.email FROM account a JOIN membership m ON m.account = a.id "
        "WHERE m.organisation = $1 AND m.role = 'legal_representative' LIMIT 1",
        huber,
    )
    now = datetime.now(UTC).replace(microsecond=0)
    for number, row in enumerate(TENDERS):
        title, category, language, country, region, budget, currency, days, status, text = row
        by_client = country == "CH"
        opened = now - timedelta(days=8 - number)
        tender_id = await connection.fetchval(
            """INSERT INTO tender (title, description, category, budget_min, budget_max,
                   currency, language, country, region, deadline, status, author_name,
                   author_email, author_company, author_organisation, author_account,
                   author_ip, created_at, opened_at, closed_at, manage_nonce)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                   '127.0.0.1', $17, $17, $18, $19) RETURNING id""",
            title,
            text,
            category,
            Decimal(budget[0]),
            Decimal(budget[1]),
            currency,
            language,
            country,
            region,
            deadline_at((now + timedelta(days=days)).date()),
            status,
            owner["full_name"] if by_client else VISITOR_PERSON[0],
            owner["email"] if by_client else VISITOR_PERSON[1],
            "Bäckerei Huber AG" if by_client else VISITOR_PERSON[2],
            huber if by_client else None,
            owner["id"] if by_client else None,
            opened,
            None if status == "open" else now - timedelta(days=1),
            None if by_client else secrets.token_hex(16),
        )
        recipient = alpine if by_client else lumiere
        await connection.execute(
            "INSERT INTO tender_recipient (tender, partner, notified_at, mailed_at, read_at) "
            "VALUES ($1, $2, $3, $3, $4)",
            tender_id,
            recipient,
            opened,
            None if number == 0 else opened + timedelta(hours=2),
        )
        if status in {"decided", "expired", "withdrawn"} or number == 0:
            quote_status = {"decided": "accepted"}.get(status, "submitted")
            await connection.execute(
                """INSERT INTO quote (tender, partner, status, price, currency, timeline,
                       message, commitment_at, created_at, updated_at, decided_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, $9)""",
                tender_id,
                recipient,
                quote_status,
                Decimal(budget[0]) + Decimal("500"),
                currency,
                "Three weeks from the go-ahead",
                "We did this for several clients in your region; happy to show references.",
                opened + timedelta(hours=3),
                now - timedelta(days=1) if status == "decided" else None,
            )
    # a visitor's tender that waits for the confirmation: partners never see it
    await connection.execute(
        """INSERT INTO tender (title, description, category, budget_min, budget_max, currency,
               language, country, region, deadline, status, author_name, author_email,
               confirm_token_hash, author_ip)
           VALUES ('Migration of our online shop', 'Our shop runs on an old server and should
           move to the host with as little downtime as possible.', 'migration', 1000, 3000,
           'CHF', 'de', 'CH', '', $1, 'unconfirmed', 'Urs Unconfirmed', 'urs@example.org',
           $2, '127.0.0.1')""",
        deadline_at((now + timedelta(days=20)).date()),
        secrets.token_hex(32),
    )
