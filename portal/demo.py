"""Deterministic demo data, bulk-loaded with COPY so that benchmark sizes load in seconds."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from portal.accounts.passwords import hash_password
from portal.api.demo import load_api_token
from portal.billing import rules as billing_rules
from portal.billing.demo import load_money
from portal.billing.queries import vat_rows
from portal.billing.rules import add_months, period_end
from portal.clients import demo as delegation_demo
from portal.directory.demo import load_listings
from portal.partners.rules import COMMITMENTS, TERMS_VERSION
from portal.renewals import demo as renewal_demo
from portal.tenders import demo as tender_demo
from portal.webhooks.demo import load_webhooks

DEMO_PASSWORD = "Alpine-Demo-2026"
DEMO_DOMAIN = "demo.partner-portal.test"


@dataclass(frozen=True)
class Person:
    key: str
    name: str

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_DOMAIN}"


ALICE = Person("alice", "Alice Keller")
BRUNO = Person("bruno", "Bruno Favre")
CHLOE = Person("chloe", "Chloé Meier")
DAVID = Person("david", "David Rossi")
ELISE = Person("elise", "Élise Martin")
NAMED_PEOPLE = [ALICE, BRUNO, CHLOE, DAVID, ELISE]


NAMED_ORGANISATIONS = [
    # name, country, currency, registration number, vat number, website
    (
        "Alpine Web Studio GmbH",
        "CH",
        "CHF",
        "CHE-116.281.710",
        "CHE-116.281.710 MWST",
        "https://alpine-web.example",
    ),
    (
        "Lumière Digital SARL",
        "FR",
        "EUR",
        "732829320",
        "FR40303265045",
        "https://lumiere-digital.example",
    ),
]
# (person, organisation index, role, billing rights)
NAMED_MEMBERSHIPS = [
    (ALICE, 0, "legal_representative", True),
    (BRUNO, 0, "administrator", True),
    (CHLOE, 0, "user", True),
    (DAVID, 0, "user", False),
    (ELISE, 1, "legal_representative", True),
    (ALICE, 1, "administrator", False),
]
NAMED_CLIENTS = [
    # name, country, currency, partner index (into NAMED_ORGANISATIONS), access, families
    ("Bäckerei Huber AG", "CH", "CHF", 0, "full", []),
    ("Hotel Bellevue Sàrl", "CH", "CHF", 0, "restricted", ["web_hosting", "domain"]),
    ("Cabinet Dupont", "FR", "EUR", 1, "restricted", ["mail_service"]),
    # Alpine's client in euros: its cashback fills Alpine's second ledger
    ("Weinhaus Berger GmbH", "AT", "EUR", 0, "full", []),
]
CLIENT_OWNER = Person("huber", "Hans Huber")
STAFF = Person("staff", "Sofia Staff")  # a person of the host: decides applications

LOGINS_TEXT = f"""Demo logins (password for all: {DEMO_PASSWORD})
  {ALICE.email:<38} legal representative of Alpine Web Studio GmbH,
  {"":<38} administrator of Lumière Digital SARL
  {BRUNO.email:<38} administrator of Alpine Web Studio GmbH
  {CHLOE.email:<38} user with billing rights at Alpine Web Studio GmbH
  {ELISE.email:<38} legal representative of Lumière Digital SARL
  {CLIENT_OWNER.email:<38} legal representative of four client organisations
  {STAFF.email:<38} programme staff: reviews applications at /staff
In this development mode, staff read the portal's mails at /dev/outbox."""
NAMED_TEAMS = [
    (0, "Web team", ALICE, [ALICE, CHLOE, DAVID]),
    (0, "Support", BRUNO, [BRUNO]),
    (1, "Équipe Paris", ELISE, [ELISE]),
]

FIRST_NAMES = [
    "Anna",
    "Luca",
    "Sophie",
    "Noah",
    "Mia",
    "Leon",
    "Emma",
    "Elias",
    "Lea",
    "Louis",
    "Julia",
    "Matteo",
    "Laura",
    "Jonas",
    "Sara",
    "Nico",
    "Clara",
    "Marc",
    "Nina",
    "Tim",
]
LAST_NAMES = [
    "Müller",
    "Meier",
    "Schmid",
    "Keller",
    "Weber",
    "Huber",
    "Schneider",
    "Meyer",
    "Steiner",
    "Fischer",
    "Gerber",
    "Brunner",
    "Baumann",
    "Frei",
    "Zimmermann",
    "Moser",
]
TRADES = ["Web", "Cloud", "Digital", "IT", "Hosting", "Media", "Data", "Net", "Code", "Pixel"]
PLACES = [
    "Zürich",
    "Bern",
    "Basel",
    "Lausanne",
    "Genève",
    "Luzern",
    "Lugano",
    "Sion",
    "Lyon",
    "Paris",
    "Annecy",
    "Chur",
]
FORMS = {"CH": ("AG", "GmbH", "Sàrl"), "FR": ("SARL", "SAS", "SA")}


async def load(url: str, size: int) -> bool:
    """Load the named demo organisations and SIZE generated ones; False if already there."""
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            if await connection.fetchval("SELECT 1 FROM account WHERE email = $1", ALICE.email):
                return False
            await _load(connection, size)
    finally:
        await connection.close()
    return True


async def _load(connection: asyncpg.Connection, size: int) -> None:
    password_hash = hash_password(DEMO_PASSWORD)  # one hash serves every demo account
    next_id = {
        table: await connection.fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        for table in (
            "organisation",
            "account",
            "membership",
            "team",
            "product",
            "partner_link",
            "invoice",
        )
    }
    catalogue = [
        tuple(row) for row in await connection.fetch("SELECT id, code, family FROM catalogue_item")
    ]
    today = datetime.now(UTC).date()
    plan = DemoPlan(next_id, random.Random(2026), sorted(catalogue), today)
    plan.add_named()
    for number in range(1, size + 1):
        plan.add_generated(number)
    renewals = renewal_demo.shape(plan.products, plan.named_clients, today)
    invoices = DemoInvoices(plan, await _programme(connection), next_id["invoice"])

    await _copy(
        connection,
        "organisation",
        plan.organisations,
        [
            "id",
            "name",
            "kind",
            "country",
            "currency",
            "registration_number",
            "vat_number",
            "website",
            "partner_status",
        ],
    )
    # The demo's partners joined the programme, which approved their numbers then.
    await connection.execute(
        "INSERT INTO approved_registration (organisation, registration_number, vat_number) "
        "SELECT id, registration_number, vat_number FROM organisation "
        "WHERE id = ANY($1::int[]) AND partner_status IN ('active', 'flagged')",
        [row[0] for row in plan.organisations],
    )
    await _copy(
        connection,
        "account",
        [(*a, password_hash) for a in plan.accounts],
        ["id", "email", "full_name", "password_hash"],
    )
    await _copy(
        connection,
        "membership",
        plan.memberships,
        ["id", "organisation", "account", "role", "billing_rights"],
    )
    await connection.execute("UPDATE account SET is_staff = true WHERE email = $1", STAFF.email)
    await _copy(connection, "team", plan.teams, ["id", "organisation", "name", "leader"])
    await _copy(connection, "team_member", plan.team_members, ["team", "account"])
    product_columns = ["id", "organisation", "item", "family", "name", "period", "status"]
    await _copy(
        connection,
        "product",
        renewals.products(plan.products),
        [*product_columns, "started_on", "renews_on", *renewal_demo.COLUMNS],
    )
    link_columns = ["id", "partner", "client", "status", "initiated_by", "requested_access"]
    await _copy(
        connection,
        "partner_link",
        plan.links,
        [
            *link_columns,
            "requested_families",
            "access",
            "families",
            "billing_mode",
            "expires_at",
            "decided_at",
        ],
    )
    await _copy(connection, "client_assignment", plan.assignments, ["link", "team"])
    await _copy(
        connection,
        "commitment_acceptance",
        plan.commitments,
        ["organisation", "commitment", "terms_version"],
    )
    await _copy(connection, "invoice", invoices.invoices, INVOICE_COLUMNS)
    await _copy(connection, "invoice_line", invoices.lines, LINE_COLUMNS)
    await _copy(
        connection,
        "ledger_entry",
        invoices.ledger,
        ["organisation", "currency", "kind", "amount", "invoice", "reference", "details"],
    )
    await renewal_demo.load(
        connection,
        renewals,
        invoices.invoices,
        invoices.lines,
        plan.named_clients["Bäckerei Huber AG"],
        today,
    )
    await _copy(
        connection,
        "audit_event",
        plan.audit_events,
        ["organisation", "actor", "actor_name", "action", "subject", "after"],
    )
    await tender_demo.load(connection, plan.generated_partners)
    for table in next_id:
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
    # after the sequences: it inserts rows of its own
    await delegation_demo.load(connection)  # the named links' history, requests, templates
    await delegation_demo.generated_endings(connection)
    await load_listings(connection)  # every demo partner appears in the public directory
    await load_money(connection)  # a deposit, a statement, a payout and a credit note
    alpine = await connection.fetchval(
        "SELECT id FROM organisation WHERE name = 'Alpine Web Studio GmbH'"
    )
    await load_webhooks(connection, alpine)
    await load_api_token(connection, ALICE.email, alpine)


async def _programme(connection: asyncpg.Connection) -> dict:
    """Prices and the programme settings in force, for the demo's invoices."""
    prices = {
        (r["item"], r["currency"], r["period"]): r["amount"]
        for r in await connection.fetch(
            "SELECT item, currency, period, amount FROM catalogue_price"
        )
    }
    settings = {}
    for kind in ("tiers", "volume_discount", "vat_rates"):
        payload = await connection.fetchval(
            "SELECT payload FROM programme_setting WHERE kind = $1 "
            "ORDER BY created_at DESC, id DESC LIMIT 1",
            kind,
        )
        settings[kind] = json.loads(payload)
    return {"prices": prices, **settings}


async def _copy(connection: asyncpg.Connection, table: str, records: list, columns: list[str]):
    await connection.copy_records_to_table(table, records=records, columns=columns)


class DemoPlan:
    """The rows to load, with ids assigned up front so that COPY can link them."""

    PARTNER_EVERY = 20  # one generated organisation in 20 is a partner; the others its clients
    PRODUCTS_PER_CLIENT = 10

    def __init__(
        self,
        next_id: dict[str, int],
        rng: random.Random,
        catalogue: list[tuple],
        today: date | None = None,
    ):
        self.next_id = dict(next_id)
        self.rng = rng
        self.catalogue = catalogue
        self.today = today or datetime.now(UTC).date()
        self.products: list[tuple] = []
        self.named_clients: dict[str, int] = {}
        self.commitments: list[tuple] = []  # the programme's commitments of every partner
        self.links: list[tuple] = []
        self.assignments: list[tuple] = []
        self.generated_partners: list[int] = []
        self.partner_teams: dict[int, int] = {}
        self.organisations: list[tuple] = []
        self.accounts: list[tuple] = []
        self.memberships: list[tuple] = []
        self.teams: list[tuple] = []
        self.team_members: list[tuple] = []
        self.audit_events: list[tuple] = []

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] += 1
        return value

    def add_named(self) -> None:
        organisation_ids = [
            self._organisation(*row, partner_status="active") for row in NAMED_ORGANISATIONS
        ]
        account_ids = {p.key: self._account(p.email, p.name) for p in NAMED_PEOPLE}
        owner = self._account(CLIENT_OWNER.email, CLIENT_OWNER.name)
        self._account(STAFF.email, STAFF.name)
        for name, country, currency, partner, access, families in NAMED_CLIENTS:
            client_id = self._organisation(name, country, currency, "", "", "")
            self.named_clients[name] = client_id
            self.memberships.append(
                (self._id("membership"), client_id, owner, "legal_representative", True)
            )
            # enough for the named partners to reach a tier, even with the products the renewals
            # demo suspends or lets expire
            self._products(client_id, 18)
            self._link(organisation_ids[partner], client_id, access, families)
        for person, index, role, billing in NAMED_MEMBERSHIPS:
            self.memberships.append(
                (
                    self._id("membership"),
                    organisation_ids[index],
                    account_ids[person.key],
                    role,
                    billing,
                )
            )
        for index, name, leader, members in NAMED_TEAMS:
            self._team(
                organisation_ids[index],
                name,
                account_ids[leader.key],
                [account_ids[m.key] for m in members],
            )
        for organisation_id, row in zip(organisation_ids, NAMED_ORGANISATIONS, strict=True):
            self._created(
                organisation_id,
                account_ids[ALICE.key if row[1] == "CH" else "elise"],
                ALICE if row[1] == "CH" else ELISE,
                row[0],
            )

    def add_generated(self, number: int) -> None:
        rng = self.rng
        is_partner = number % self.PARTNER_EVERY == 1
        country = "CH" if number % 3 else "FR"
        name = (
            f"{rng.choice(TRADES)} {rng.choice(PLACES)} {number:05d} {rng.choice(FORMS[country])}"
        )
        organisation_id = self._organisation(
            name,
            country,
            "CHF" if country == "CH" else "EUR",
            "",
            "",
            f"https://org{number:05d}.example",
            partner_status="active" if is_partner else "none",
        )
        people = []
        for seat, role in enumerate(("legal_representative", "administrator", "user")):
            full_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            email = f"org{number:05d}.{seat}@{DEMO_DOMAIN}"
            account_id = self._account(email, full_name)
            self.memberships.append(
                (self._id("membership"), organisation_id, account_id, role, role != "user")
            )
            people.append((account_id, Person(email.split("@")[0], full_name)))
        team_id = self._team(organisation_id, "Projects", people[1][0], [p[0] for p in people[1:]])
        self._created(organisation_id, people[0][0], people[0][1], name)
        if is_partner:
            self.generated_partners.append(organisation_id)
            self.partner_teams[organisation_id] = team_id
        elif self.generated_partners:
            self._products(organisation_id, self.PRODUCTS_PER_CLIENT)
            partner = self.generated_partners[number % len(self.generated_partners)]
            full = number % 2 == 0
            link_id = self._link(
                partner,
                organisation_id,
                "full" if full else "restricted",
                [] if full else ["web_hosting", "domain", "mail_service"],
            )
            if number % 4 == 0:
                self.assignments.append((link_id, self.partner_teams[partner]))

    def _organisation(
        self, name, country, currency, registration, vat, website, *, partner_status="none"
    ) -> int:
        organisation_id = self._id("organisation")
        if partner_status != "none":
            self.commitments.extend((organisation_id, key, TERMS_VERSION) for key in COMMITMENTS)
        self.organisations.append(
            (
                organisation_id,
                name,
                "company",
                country,
                currency,
                registration,
                vat,
                website,
                partner_status,
            )
        )
        return organisation_id

    def _products(self, organisation_id: int, count: int) -> None:
        rng = self.rng
        for seat in range(count):
            item_id, code, family = self.catalogue[rng.randrange(len(self.catalogue))]
            period = "yearly" if family == "domain" or rng.random() < 0.4 else "monthly"
            started = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
            renews = started
            while renews < self.today:  # renewed until now, by the calendar from the day it started
                renews = period_end(started, renews, period)
            self.products.append(
                (
                    self._id("product"),
                    organisation_id,
                    item_id,
                    family,
                    f"{code}-{organisation_id}-{seat + 1}",
                    period,
                    "active",
                    started,
                    renews,
                )
            )

    def _link(self, partner: int, client: int, access: str, families: list[str]) -> int:
        link_id = self._id("partner_link")
        decided = datetime(2026, 1, 15, tzinfo=UTC)
        self.links.append(
            (
                link_id,
                partner,
                client,
                "active",
                "partner",
                access,
                families,
                access,
                families,
                "client" if access == "full" else None,
                decided + timedelta(days=30),
                decided,
            )
        )
        return link_id

    def _account(self, email: str, full_name: str) -> int:
        account_id = self._id("account")
        self.accounts.append((account_id, email, full_name))
        return account_id

    def _team(self, organisation_id: int, name: str, leader: int, members: list[int]) -> int:
        team_id = self._id("team")
        self.teams.append((team_id, organisation_id, name, leader))
        self.team_members.extend((team_id, member) for member in members)
        return team_id

    def _created(self, organisation_id: int, account_id: int, person: Person, name: str):
        self.audit_events.append(
            (
                organisation_id,
                account_id,
                f"{person.name} <{person.email}>",
                "organisation.created",
                name,
                json.dumps({"name": name}),
            )
        )


INVOICE_COLUMNS = [
    "id",
    "number",
    "payer",
    "client",
    "partner",
    "currency",
    "issued_on",
    "vat_rule",
    "vat_rate",
    "net",
    "vat",
    "gross",
    "paid_at",
    "paid_with",
]
LINE_COLUMNS = [
    "invoice",
    "product",
    "description",
    "family",
    "service_from",
    "service_to",
    "ordered_by",
    "public_price",
    "volume_rate",
    "partner_rate",
    "amount",
    "cashback",
    "discount",
    "position",
    "unit_price",
    "quantity",
    "products",
    "tier",
]


class DemoInvoices:
    """The last renewal of every demo product, invoiced by the same rules as the portal:
    tier by managed volume, volume discount, cashback to the managing partner, VAT."""

    def __init__(self, plan: DemoPlan, programme: dict, first_id: int):
        self.rules = billing_rules
        self.prices = programme["prices"]
        self.vat_table = vat_rows(programme["vat_rates"])
        self.steps = [
            billing_rules.VolumeStep(int(n), Decimal(r)) for n, r in programme["volume_discount"]
        ]
        self.tiers = {
            currency: [billing_rules.Tier(n, Decimal(r), Decimal(t)) for n, r, t in rows]
            for currency, rows in programme["tiers"].items()
        }
        self.next_id = first_id
        self.invoices: list[tuple] = []
        self.lines: list[tuple] = []
        self.ledger: list[tuple] = []
        self._invoice_all(plan)

    def _invoice_all(self, plan: DemoPlan) -> None:
        organisations = {row[0]: row for row in plan.organisations}  # id → row
        links = {row[2]: row for row in plan.links}  # client → link
        hostings: dict[int, int] = {}
        for product in plan.products:
            if product[3] in self.rules.VOLUME_DISCOUNT_FAMILIES:
                hostings[product[1]] = hostings.get(product[1], 0) + 1
        rates = self._partner_rates(plan, organisations, links)
        for product in plan.products:
            self._invoice(product, organisations, links.get(product[1]), hostings, rates)

    def _covers(self, link: tuple | None, family: str) -> bool:
        return link is not None and (link[7] == "full" or family in link[8])

    def _partner_rates(self, plan, organisations, links) -> dict[int, tuple[Decimal, str]]:
        volumes: dict[int, Decimal] = {}
        for _, client, item, family, _, period, *_ in plan.products:
            link = links.get(client)
            if not self._covers(link, family):
                continue
            currency = organisations[link[1]][4]
            price = self.prices.get((item, currency, period), Decimal(0))
            volumes[link[1]] = volumes.get(link[1], Decimal(0)) + (
                price if period == "yearly" else price * 12
            )
        rates = {}
        for partner, volume in volumes.items():
            tier = self.rules.tier_for(self.tiers[organisations[partner][4]], volume)
            rates[partner] = (tier.rate, tier.name) if tier else (self.rules.ZERO, "")
        return rates

    def _invoice(self, product, organisations, link, hostings, rates) -> None:
        rules = self.rules
        product_id, client, item, family, name, period, _, started, renews = product
        _, client_name, _, country, currency, *_ = organisations[client]
        public = self.prices.get((item, currency, period))
        if public is None:
            return
        months = 12 if period == "yearly" else 1
        service_from = max(add_months(renews, -months), started)
        # a partner earns only on what was invoiced while its link existed
        covered = self._covers(link, family) and service_from >= link[11].date()
        partner = link[1] if covered else None
        volume_rate = (
            rules.volume_discount_rate(self.steps, hostings.get(client, 0))
            if family in rules.VOLUME_DISCOUNT_FAMILIES
            else rules.ZERO
        )
        partner_rate, tier = rates.get(partner, (rules.ZERO, ""))
        price = rules.price_line(public, partner_rate, volume_rate)
        settlement = rules.settle(
            rules.OrderContext(
                rules.Orderer.CLIENT,
                link[7] if covered else None,
                link[9] if covered else None,
                covered,
            ),
            price,
        )
        vat = rules.vat_for(country, False, rules.rates_in_force(self.vat_table, service_from))
        totals = rules.invoice_totals([settlement.charged], vat.rate)
        invoice_id = self.next_id
        self.next_id += 1
        paid_at = datetime.combine(service_from, datetime.min.time(), UTC)
        self.invoices.append(
            (
                invoice_id,
                f"INV-DEMO-{invoice_id:07d}",
                client,
                client,
                partner,
                currency,
                service_from,
                vat.rule.value,
                vat.rate,
                totals.net,
                totals.vat,
                totals.gross,
                paid_at,
                "card",
            )
        )
        self.lines.append(
            (
                invoice_id,
                product_id,
                f"Renewal — {name}",
                family,
                service_from,
                renews,
                "client",
                price.public,
                volume_rate,
                partner_rate,
                settlement.charged,
                settlement.cashback,
                settlement.discount,
                1,
                price.public,
                1,
                [product_id],
                tier,
            )
        )
        if settlement.cashback > 0:
            self.ledger.append(
                (
                    partner,
                    currency,
                    "cashback",
                    settlement.cashback,
                    invoice_id,
                    f"Cashback on {name} for {client_name}",
                    json.dumps(
                        {
                            "client": client_name,
                            "product": name,
                            "quantity": 1,
                            "public_price": str(price.public),
                            "rate": str(partner_rate),
                            "tier": tier,
                        }
                    ),
                )
            )
