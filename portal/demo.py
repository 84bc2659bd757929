"""Deterministic demo data, bulk-loaded with COPY so that benchmark sizes load in seconds."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from portal.accounts.passwords import hash_password

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
]
CLIENT_OWNER = Person("huber", "Hans Huber")
STAFF = Person("staff", "Sofia Staff")  # a person of the host: decides applications

LOGINS_TEXT = f"""Demo logins (password for all: {DEMO_PASSWORD})
  {ALICE.email:<38} legal representative of Alpine Web Studio GmbH,
  {"":<38} administrator of Lumière Digital SARL
  {BRUNO.email:<38} administrator of Alpine Web Studio GmbH
  {CHLOE.email:<38} user with billing rights at Alpine Web Studio GmbH
  {ELISE.email:<38} legal representative of Lumière Digital SARL
  {CLIENT_OWNER.email:<38} legal representative of three client organisations
  {STAFF.email:<38} programme staff: reviews applications at /staff
Mails are shown at /dev/outbox while no SMTP server is configured."""
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
        for table in ("organisation", "account", "membership", "team", "product", "partner_link")
    }
    catalogue = [
        tuple(row) for row in await connection.fetch("SELECT id, code, family FROM catalogue_item")
    ]
    plan = DemoPlan(next_id, random.Random(2026), sorted(catalogue))
    plan.add_named()
    for number in range(1, size + 1):
        plan.add_generated(number)

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
    await _copy(connection, "product", plan.products, [*product_columns, "started_on", "renews_on"])
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
        "audit_event",
        plan.audit_events,
        ["organisation", "actor", "actor_name", "action", "subject", "after"],
    )
    for table in next_id:
        await connection.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )


async def _copy(connection: asyncpg.Connection, table: str, records: list, columns: list[str]):
    await connection.copy_records_to_table(table, records=records, columns=columns)


class DemoPlan:
    """The rows to load, with ids assigned up front so that COPY can link them."""

    PARTNER_EVERY = 20  # one generated organisation in 20 is a partner; the others its clients
    PRODUCTS_PER_CLIENT = 10

    def __init__(self, next_id: dict[str, int], rng: random.Random, catalogue: list[tuple]):
        self.next_id = dict(next_id)
        self.rng = rng
        self.catalogue = catalogue
        self.products: list[tuple] = []
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
            self.memberships.append(
                (self._id("membership"), client_id, owner, "legal_representative", True)
            )
            self._products(client_id, 6)
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
            step = timedelta(days=365 if period == "yearly" else 30)
            renews = started + step
            while renews < date(2026, 11, 1):
                renews += step
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
