"""The big tenants of bench/big_tenants.py, added with COPY to a demo database.

- the big partner of bench/big_partner.py: 5,000 clients, 100,000 products;
- a big client organisation (BIG_CLIENT_EMAIL, its legal representative), full-access client
  of the big partner: 1,000,000 audit events, 100,000 ledger entries, 50,000 invoices it paid,
  20,000 products, 2,000 members, 1,000 teams, 1,000 restricted partners, 5,000 tenders (the
  first with 1,000 quotes) and 1,000 live sessions of its legal representative;
- 20,000 collaborations of the big partner that ended (four per client), and a webhook endpoint
  of the big client with 100,000 deliveries (one attempt each);
- an active partner (INBOX_PARTNER_EMAIL) that received the 5,000 tenders and asked for 3,000
  background reports.

The sizes are arguments (Sizes), so that a test or a quick run can load less. Everything is
loaded in one transaction; logins use the demo password.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from bench import big_partner
from portal.accounts.passwords import hash_password
from portal.core.tokens import token_hash
from portal.demo import DEMO_DOMAIN, DEMO_PASSWORD

BIG_CLIENT_NAME = "Bench Big Client AG"
BIG_CLIENT_EMAIL = f"big.client@{DEMO_DOMAIN}"
INBOX_PARTNER_NAME = "Bench Inbox Partner AG"
INBOX_PARTNER_EMAIL = f"inbox.partner@{DEMO_DOMAIN}"
SESSION_TOKEN_PREFIX = "bench-big-client-session-"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# The big partner's billing lines to download straight from the page (the most that is not
# made in the background): one line each, paid by its full-access clients, with cashback.
REPORT_PERIOD = (date(2025, 1, 1), date(2025, 11, 30))
ACTIONS = [
    "member.changed", "team.member_added", "client.product_renamed", "invitation.sent",
    "link.changed", "member.joined", "team.created", "product.ordered",
]  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    audit_events: int = 1_000_000
    ledger_entries: int = 100_000
    invoices: int = 50_000
    products: int = 20_000
    members: int = 2_000
    teams: int = 1_000
    partners: int = 1_000
    tenders: int = 5_000
    quotes: int = 1_000
    sessions: int = 1_000
    reports: int = 3_000
    partner_clients: int = 5_000
    products_per_partner_client: int = 20
    report_lines: int = 5_000  # the big partner's billing lines in REPORT_PERIOD, at most 5,000
    ended_links: int = 20_000  # the big partner's collaborations that ended
    deliveries: int = 100_000  # to the big client's webhook endpoint


@dataclass(frozen=True)
class BigTenants:
    big_partner: int
    big_client: int
    big_client_account: int
    link: int  # the big partner's link to the big client (full access)
    inbox_partner: int
    inbox_account: int
    first_tender: int  # the big client's tender with the quotes
    endpoint: int  # the big client's webhook endpoint with the deliveries

    def as_dict(self) -> dict:
        return self.__dict__.copy()


async def add_big_tenants(url: str, sizes: Sizes = Sizes()) -> BigTenants:
    """Add the big tenants (once) to the demo database at URL."""
    big_partner_id = await big_partner.add_big_partner(
        url, sizes.partner_clients, sizes.products_per_partner_client
    )
    connection = await asyncpg.connect(url)
    try:
        found = await connection.fetchval(
            "SELECT id FROM organisation WHERE name = $1", BIG_CLIENT_NAME
        )
        if found is None:
            async with connection.transaction():
                await _Loader(connection, sizes, big_partner_id).load()
            await connection.execute("VACUUM ANALYZE")
        return await _found(connection, big_partner_id)
    finally:
        await connection.close()


async def _found(connection: asyncpg.Connection, big_partner_id: int) -> BigTenants:
    client = await connection.fetchrow(
        """SELECT o.id, m.account FROM organisation o JOIN membership m ON m.organisation = o.id
           JOIN account a ON a.id = m.account WHERE o.name = $1 AND a.email = $2""",
        BIG_CLIENT_NAME,
        BIG_CLIENT_EMAIL,
    )
    inbox = await connection.fetchrow(
        """SELECT o.id, m.account FROM organisation o JOIN membership m ON m.organisation = o.id
           JOIN account a ON a.id = m.account WHERE o.name = $1 AND a.email = $2""",
        INBOX_PARTNER_NAME,
        INBOX_PARTNER_EMAIL,
    )
    link = await connection.fetchval(
        "SELECT id FROM partner_link WHERE partner = $1 AND client = $2 AND status = 'active'",
        big_partner_id,
        client["id"],
    )
    first_tender = await connection.fetchval(
        "SELECT min(id) FROM tender WHERE author_organisation = $1", client["id"]
    )
    endpoint = await connection.fetchval(
        "SELECT min(id) FROM webhook_endpoint WHERE organisation = $1", client["id"]
    )
    return BigTenants(
        big_partner_id, client["id"], client["account"], link, inbox["id"], inbox["account"],
        first_tender, endpoint,
    )  # fmt: skip


class _Loader:
    def __init__(self, connection: asyncpg.Connection, sizes: Sizes, big_partner_id: int):
        self.connection, self.sizes, self.big_partner = connection, sizes, big_partner_id
        self.rng = random.Random(18)

    async def next_id(self, table: str) -> int:
        return await self.connection.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")

    async def copy(self, table: str, columns: list[str], records) -> None:
        await self.connection.copy_records_to_table(table, columns=columns, records=records)

    async def load(self) -> None:
        sizes, password = self.sizes, hash_password(DEMO_PASSWORD)
        organisation = await self.next_id("organisation")
        account = await self.next_id("account")
        client, inbox = organisation, organisation + 1
        partners = list(range(organisation + 2, organisation + 2 + sizes.partners))
        organisations = [
            (client, BIG_CLIENT_NAME, "CH", "CHF", "none"),
            (inbox, INBOX_PARTNER_NAME, "CH", "CHF", "active"),
            *[(p, f"Bench Partner {p:07d} GmbH", "CH", "CHF", "active") for p in partners],
        ]
        await self.copy(
            "organisation", ["id", "name", "country", "currency", "partner_status"], organisations
        )
        client_account, inbox_account = account, account + 1
        members = list(range(account + 2, account + 2 + sizes.members))
        names = ["Anna", "Bruno", "Chantal", "Dario", "Elena", "Fritz", "Gina", "Hans"]
        accounts = [
            (client_account, BIG_CLIENT_EMAIL, "Bea Bigclient", password),
            (inbox_account, INBOX_PARTNER_EMAIL, "Ivo Inbox", password),
            *[
                (a, f"member{a}@big-client.example", f"{names[a % 8]} Member {a % 300:03d}", "")
                for a in members
            ],  # namesakes on purpose: the order needs its id
        ]
        await self.copy("account", ["id", "email", "full_name", "password_hash"], accounts)
        memberships = [
            (client, client_account, "legal_representative", True),
            (inbox, inbox_account, "legal_representative", True),
            *[(client, a, "user", False) for a in members],
        ]
        await self.copy(
            "membership", ["organisation", "account", "role", "billing_rights"], memberships
        )
        await self.copy(
            "team",
            ["organisation", "name", "leader"],
            [(client, f"Team {n:05d}", members[n % len(members)]) for n in range(sizes.teams)],
        )
        await self._products(client)
        await self._links(client, partners)
        await self._money(client)
        await self._audit(client, client_account)
        await self._tenders(client, client_account, inbox, partners)
        await self._sessions(client, client_account)
        await self._partner_report()
        await self._ended_links()
        await self._webhooks(client)
        await self.copy(
            "report_file",
            ["organisation", "requested_by", "file_format", "status", "period_start",
             "period_end", "rows_total", "rows_written", "created_at"],
            [
                (inbox, inbox_account, "xlsx", "failed", date(2026, 1, 1), date(2026, 1, 31),
                 9_000, 0, NOW - timedelta(minutes=n))
                for n in range(sizes.reports)
            ],
        )  # fmt: skip
        tables = ("organisation", "account", "product", "partner_link", "invoice", "tender",
                  "webhook_endpoint", "webhook_event", "webhook_delivery")  # fmt: skip
        for table in tables:
            await self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )

    async def _products(self, client: int) -> None:
        catalogue = await self.connection.fetch("SELECT id, family FROM catalogue_item ORDER BY id")
        rows = []
        for n in range(self.sizes.products):
            item = catalogue[n % len(catalogue)]
            rows.append(
                (client, item["id"], item["family"], f"site{n % 5_000:05d}.example", "yearly",
                 date(2025, 1, 1) + timedelta(days=n % 365), date(2026, 12, 31))
            )  # fmt: skip
        await self.copy(
            "product",
            ["organisation", "item", "family", "name", "period", "started_on", "renews_on"],
            rows,
        )

    async def _links(self, client: int, partners: list[int]) -> None:
        decided = datetime(2026, 1, 15, tzinfo=UTC)
        links = [
            (self.big_partner, client, "active", "partner", "full", "full", [], "client", decided)
        ]
        links += [
            (p, client, "active", "client", "restricted", "restricted", ["domain"], None, decided)
            for p in partners
        ]
        await self.copy(
            "partner_link",
            ["partner", "client", "status", "initiated_by", "access", "requested_access",
             "families", "billing_mode", "decided_at"],
            links,
        )  # fmt: skip

    async def _money(self, client: int) -> None:
        first_invoice = await self.next_id("invoice")
        invoices = []
        for n in range(self.sizes.invoices):
            net = Decimal(100 + n % 900) + Decimal(n % 100) / 100
            vat = (net * Decimal("0.081")).quantize(Decimal("0.01"))
            invoices.append(
                (first_invoice + n, f"BIG-{first_invoice + n:09d}", client, client, "CHF",
                 date(2026, 11, 30) - timedelta(days=n // 20), "swiss_vat", Decimal("0.081"),
                 net, vat, net + vat)
            )  # fmt: skip
        await self.copy(
            "invoice",
            ["id", "number", "payer", "client", "currency", "issued_on", "vat_rule", "vat_rate",
             "net", "vat", "gross"],
            invoices,
        )  # fmt: skip
        entries = (
            (client, "CHF", "payment" if n % 3 else "deposit",
             Decimal(n % 5_000) / 100 * (-1 if n % 3 else 1), f"Entry {n}",
             NOW - timedelta(minutes=self.sizes.ledger_entries - n))
            for n in range(self.sizes.ledger_entries)
        )  # fmt: skip
        await self.copy(
            "ledger_entry",
            ["organisation", "currency", "kind", "amount", "reference", "created_at"],
            entries,
        )

    async def _audit(self, client: int, account: int) -> None:
        """The log in time order, as it grows: a few entries share their microsecond."""
        count = self.sizes.audit_events
        start = NOW - timedelta(seconds=count * 3)
        actor = "Bea Bigclient <big.client@demo.partner-portal.test>"
        events = (
            (client, account, actor, ACTIONS[n % len(ACTIONS)], f"Member {n % 2_000:04d}",
             start + timedelta(seconds=(n // 2) * 6))
            for n in range(count)
        )  # fmt: skip
        await self.copy(
            "audit_event",
            ["organisation", "actor", "actor_name", "action", "subject", "created_at"],
            events,
        )

    async def _tenders(self, client: int, account: int, inbox: int, partners: list[int]) -> None:
        first = await self.next_id("tender")
        tenders = [
            (first + n, f"Tender {n:05d}: a new website", "A website for our shop.",
             "website_creation", Decimal(1000), Decimal(5000), "CHF", "de", "CH",
             NOW + timedelta(days=30), "open", "Bea Bigclient", BIG_CLIENT_EMAIL, client,
             account, NOW - timedelta(minutes=n), NOW - timedelta(minutes=n))
            for n in range(self.sizes.tenders)
        ]  # fmt: skip
        await self.copy(
            "tender",
            ["id", "title", "description", "category", "budget_min", "budget_max", "currency",
             "language", "country", "deadline", "status", "author_name", "author_email",
             "author_organisation", "author_account", "created_at", "opened_at"],
            tenders,
        )  # fmt: skip
        await self.copy(
            "tender_recipient",
            ["tender", "partner", "notified_at", "mailed_at"],
            [(first + n, inbox, NOW, NOW) for n in range(self.sizes.tenders)],
        )
        quotes = [
            (first, p, Decimal(2000 + (n % 50) * 10), "CHF", "Four weeks", "We build it.", NOW)
            for n, p in enumerate(partners[: self.sizes.quotes])
        ]
        await self.copy(
            "tender_recipient",
            ["tender", "partner"],
            [(first, p) for p in partners[: self.sizes.quotes]],
        )
        await self.copy(
            "quote",
            ["tender", "partner", "price", "currency", "timeline", "message", "commitment_at"],
            quotes,
        )

    async def _partner_report(self) -> None:
        clients = await self.connection.fetch(
            """SELECT client FROM partner_link WHERE partner = $1 AND status = 'active'
               AND access = 'full' ORDER BY client""",
            self.big_partner,
        )
        first = await self.next_id("invoice")
        invoices, lines = [], []
        for n in range(self.sizes.report_lines):
            invoice, client = first + n, clients[n % len(clients)]["client"]
            day = REPORT_PERIOD[0] + timedelta(days=n % 334)
            public, net = Decimal("119.04") + n % 50, Decimal("95.23") + n % 50
            vat = (net * Decimal("0.081")).quantize(Decimal("0.01"))
            invoices.append(
                (invoice, f"BIGP-{invoice:09d}", client, client, self.big_partner, "CHF", day,
                 "swiss_vat", Decimal("0.081"), net, vat, net + vat)
            )  # fmt: skip
            lines.append(
                (invoice, f"Web Hosting Pro =site{n % 900}", "web_hosting", day,
                 day + timedelta(days=364), "client", public, Decimal(0), Decimal("0.20"), net,
                 public - net, Decimal(0), 1)
            )  # fmt: skip
        await self.copy(
            "invoice",
            ["id", "number", "payer", "client", "partner", "currency", "issued_on", "vat_rule",
             "vat_rate", "net", "vat", "gross"],
            invoices,
        )  # fmt: skip
        await self.copy(
            "invoice_line",
            ["invoice", "description", "family", "service_from", "service_to", "ordered_by",
             "public_price", "volume_rate", "partner_rate", "amount", "cashback", "discount",
             "position"],
            lines,
        )  # fmt: skip

    async def _ended_links(self) -> None:
        """The big partner's collaborations that ended, newest every minute, two at a time."""
        clients = await self.connection.fetch(
            "SELECT client FROM partner_link WHERE partner = $1 AND status = 'active' "
            "ORDER BY client",
            self.big_partner,
        )
        decided = datetime(2024, 1, 15, tzinfo=UTC)
        links = (
            (self.big_partner, clients[n % len(clients)]["client"], "stopped", "partner",
             "restricted", "restricted", ["domain"], decided, decided,
             NOW - timedelta(minutes=n // 2), self.big_partner)
            for n in range(self.sizes.ended_links)
        )  # fmt: skip
        await self.copy(
            "partner_link",
            ["partner", "client", "status", "initiated_by", "access", "requested_access",
             "families", "expires_at", "decided_at", "ended_at", "ended_by"],
            links,
        )  # fmt: skip

    async def _webhooks(self, client: int) -> None:
        """An endpoint of the big client with one event per delivery, each tried once."""
        endpoint = await self.next_id("webhook_endpoint")
        await self.copy(
            "webhook_endpoint",
            ["id", "organisation", "url", "description", "event_types", "secret"],
            [(endpoint, client, "https://crm.big-client.example/in", "CRM",
              ["invoice.issued"], "sealed")],
        )  # fmt: skip
        count = self.sizes.deliveries
        event = await self.next_id("webhook_event")
        delivery = await self.next_id("webhook_delivery")
        await self.copy(
            "webhook_event",
            ["id", "public_id", "organisation", "event_type", "payload", "created_at"],
            ((event + n, f"evt_bench_{n:07d}", client, "invoice.issued", "{}",
              NOW - timedelta(seconds=count - n)) for n in range(count)),
        )  # fmt: skip
        await self.copy(
            "webhook_delivery",
            ["id", "event", "endpoint", "status", "attempts", "first_attempt_at",
             "delivered_at", "last_status_code", "last_error", "created_at"],
            ((delivery + n, event + n, endpoint, "delivered", 1,
              NOW - timedelta(seconds=count - n), NOW - timedelta(seconds=count - n), 200, "",
              NOW - timedelta(seconds=count - n)) for n in range(count)),
        )  # fmt: skip
        await self.copy(
            "webhook_attempt",
            ["delivery", "started_at", "duration_ms", "status_code", "response", "error"],
            ((delivery + n, NOW - timedelta(seconds=count - n), 40 + n % 200, 200,
              '{"ok": true}', "") for n in range(count)),
        )  # fmt: skip

    async def _sessions(self, client: int, account: int) -> None:
        """Seen a day ahead, so that they stay live (not idle) however long the run."""
        now = datetime.now(UTC) + timedelta(days=1)
        await self.copy(
            "web_session",
            ["token_hash", "account", "organisation_id", "user_agent", "ip_address",
             "created_at", "last_seen_at"],
            [
                (token_hash(f"{SESSION_TOKEN_PREFIX}{n}"), account, client,
                 f"Bench browser {n % 7}", "192.0.2.1", now - timedelta(minutes=5),
                 now - timedelta(seconds=n % 120))
                for n in range(self.sizes.sessions)
            ],
        )  # fmt: skip
