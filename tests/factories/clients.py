"""Delegation between partners and clients: links in every state, the people on each side, and
a partner with its client written straight into the database for the services of a delegation's
whole life (TwoSides)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from piccolo.querystring import QueryString

from portal.access import (
    Actor,
    LinkResource,
    Role,
)
from portal.accounts.tables import Account
from portal.clients import requests as link_requests
from portal.clients.rules import normalised_code
from portal.clients.tables import (
    ClientAssignment,
    DelegatedProduct,
    LinkRequest,
    LinkTransfer,
    PartnerLink,
    RequestTemplate,
)
from portal.core.current import Current, OrganisationSummary
from portal.core.tokens import new_token, token_hash
from portal.organisations.tables import Membership, Organisation
from portal.piccolo_conf import DB
from portal.products.tables import CatalogueItem, Product
from portal.settings import Settings
from tests.factories.accounts import PASSWORD, logged_in_browser
from tests.factories.organisations import insert_organisation, insert_person, insert_team
from tests.factories.products import insert_product


async def make_partner(name: str) -> int:
    organisation = (
        await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    )
    await Organisation.update({Organisation.partner_status: "active"}).where(
        Organisation.id == organisation["id"]
    )
    return organisation["id"]


async def give_products(organisation_name: str, *codes: str) -> dict[str, int]:
    organisation = (
        await Organisation.select(Organisation.id)
        .where(Organisation.name == organisation_name)
        .first()
    )
    ids = {}
    for code in codes:
        item = await CatalogueItem.select().where(CatalogueItem.code == code).first()
        rows = await Product.insert(
            Product(
                organisation=organisation["id"],
                item=item["id"],
                family=item["family"],
                name=f"{code}.example",
                period="yearly",
                started_on=date(2026, 1, 1),
                renews_on=date(2027, 1, 1),
            )
        ).returning(Product.id)
        ids[code] = rows[0]["id"]
    return ids


async def organisation(name: str, partner: bool = False) -> int:
    rows = await Organisation.insert(
        Organisation(
            name=name,
            country="CH",
            currency="CHF",
            partner_status="active" if partner else "none",
        )
    ).returning(Organisation.id)
    return rows[0]["id"]


async def legal_representative(
    organisation_id: int,
    email: str,
    *,
    organisation_name: str = "Client",
    password_hash: str = "x",
    staff: bool = False,
) -> Current:
    """A legal representative with billing rights, as the services see them (no session)."""
    rows = await Account.insert(
        Account(email=email, full_name=email, password_hash=password_hash, is_staff=staff)
    ).returning(Account.id)
    account_id = rows[0]["id"]
    await Membership.insert(
        Membership(
            organisation=organisation_id,
            account=account_id,
            role="legal_representative",
            billing_rights=True,
        )
    )
    return Current(
        session_id=0,
        user_id=account_id,
        email=email,
        full_name=email,
        totp_enabled=False,
        second_factor_pending=False,
        organisation=OrganisationSummary(organisation_id, organisation_name, "CHF", "CH"),
        organisations=((organisation_id, organisation_name),),
        actor=Actor(account_id, organisation_id, Role.LEGAL_REPRESENTATIVE, True, is_staff=staff),
    )


async def invitation(partner_id: int, access: str, families=()) -> str:
    token = new_token()
    await PartnerLink.insert(
        PartnerLink(
            partner=partner_id,
            status="awaiting_client",
            initiated_by="partner",
            invited_email="client@example.ch",
            token_hash=token_hash(token),
            requested_access=access,
            requested_families=list(families),
            requested_products=[],
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
    )
    return token


LEGAL, ADMIN, USER = Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR, Role.USER


@dataclass(frozen=True)
class Someone:
    key: str
    side: str  # partner | client | third
    role: Role | None  # None: a team guest (no membership, only a team of the partner)
    in_team: bool = False  # in the partner's team "Support", which is assigned to the link
    assigned: bool = False  # assigned to the link in person


PEOPLE = [
    Someone("partner legal rep", "partner", LEGAL),
    Someone("partner administrator", "partner", ADMIN),
    Someone("assigned collaborator", "partner", USER, assigned=True),
    Someone("collaborator through a team", "partner", USER, in_team=True),
    Someone("team guest", "partner", None, in_team=True),
    Someone("unassigned user", "partner", USER),
    Someone("client legal rep", "client", LEGAL),
    Someone("client administrator", "client", ADMIN),
    Someone("client user", "client", USER),
    Someone("third legal rep", "third", LEGAL),
]


FULL, RESTRICTED = "active, full", "active, restricted"
ELEVATED = "active, restricted with temporary full access"


AWAITING_CLIENT, AWAITING_PARTNER, STOPPED = (
    "awaiting the client",
    "awaiting the partner",
    "stopped",
)


DELIVERED = "awaiting the client, delivered to its inbox"
ACTIVE_STATES = {FULL, RESTRICTED, ELEVATED}
TRANSFER_CODE = "K7QM-2XRD-PW9T-HC4N"
NO_SUCH_ID = 999_999


@dataclass
class World:
    state: str
    organisations: dict[str, int]  # side → id
    products: dict[str, int]  # hosting, mail, domain (the client's), foreign (the third's)
    product_names: dict[int, str]
    team: int
    link: int = 0
    token: str = ""
    web_pro_item: int = 0  # the catalogue item ordered for the client
    accounts: dict[str, int] = field(default_factory=dict)
    # the partner's pending requests (elevation: restricted state only), the running temporary
    # full access, the open transfer code (active states) and a request template
    requests: dict[str, int] = field(default_factory=dict)
    transfer: int = NO_SUCH_ID
    template: int = NO_SUCH_ID
    browsers: dict = field(default_factory=dict)
    counter: int = 0

    def actor(self, someone: Someone) -> Actor:
        organisation = self.organisations[someone.side]
        return Actor(
            user_id=self.accounts[someone.key],
            organisation_id=organisation,
            role=someone.role,
            team_ids=frozenset({self.team}) if someone.in_team else frozenset(),
            in_programme=someone.side in {"partner", "third"},
        )

    def link_resource(self) -> LinkResource:
        client = None if self.state == AWAITING_CLIENT else self.organisations["client"]
        return LinkResource(
            partner_id=self.organisations["partner"],
            client_id=client,
            active=self.state in ACTIVE_STATES,
            open=self.state != STOPPED,
            initiated_by_partner=self.state != AWAITING_PARTNER,
            assigned_user_ids=frozenset(self.accounts[p.key] for p in PEOPLE if p.assigned),
            assigned_team_ids=frozenset({self.team}),
        )

    def covers(self, product: str) -> bool:
        """Whether the link's grant covers PRODUCT (or, for "new", a new web hosting)."""
        if self.state in (FULL, ELEVATED):
            return product != "foreign"
        if self.state == RESTRICTED:  # web hosting as a category, and the mail by name
            return product in {"hosting", "mail", "new"}
        return False

    def unique(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


async def build_world(client, state: str) -> World:
    organisations = {
        "partner": await insert_organisation("Partner AG", partner_status="active"),
        "client": await insert_organisation("Client GmbH"),
        "third": await insert_organisation("Third SA", partner_status="active"),
        "other partner": await insert_organisation("Other Partner AG", partner_status="active"),
    }
    products = {
        "hosting": await insert_product(organisations["client"], "web-pro"),
        "mail": await insert_product(organisations["client"], "mail-5"),
        "domain": await insert_product(organisations["client"], "domain-ch"),
        "foreign": await insert_product(organisations["third"], "web-pro", "third.example"),
    }
    world = World(state, organisations, products, await _product_names(), team=0)
    world.web_pro_item = await _web_pro_item()
    for someone in PEOPLE:
        email = someone.key.replace(" ", ".") + "@example.ch"
        role = someone.role.value if someone.role else None
        world.accounts[someone.key] = await insert_person(email, organisations[someone.side], role)
    world.team = await insert_team(
        organisations["partner"],
        "Support",
        [world.accounts[p.key] for p in PEOPLE if p.in_team],
    )
    world.token = new_token()
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=organisations["partner"],
            status="awaiting_client",
            initiated_by="partner",
            requested_access="restricted",
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
    ).returning(PartnerLink.id)
    world.link = rows[0]["id"]
    await put_back(world)
    for someone in PEOPLE:
        email = someone.key.replace(" ", ".") + "@example.ch"
        guest = someone.role is None
        world.browsers[someone.key] = await logged_in_browser(
            client, email, organisations["partner"] if guest else None
        )
    return world


async def put_back(world: World) -> None:
    """The link, what it delegates, who is assigned and the products' names, as the state
    says; links that allowed requests created are removed."""
    o, p = world.organisations, world.products
    now = datetime.now(UTC)
    common = {
        "partner": o["partner"],
        "client": o["client"],
        "status": "active",
        "initiated_by": "partner",
        "invited_email": "",
        "token_hash": None,
        "requested_access": "restricted",
        "requested_families": ["web_hosting"],
        "requested_products": [p["mail"]],
        "access": None,
        "families": [],
        "billing_mode": None,
        "decided_at": now,
        "ended_at": None,
        "ended_by": None,
        "expires_at": now + timedelta(days=30),
    }
    delegated: list[int] = []
    if world.state in (FULL, RESTRICTED, ELEVATED, STOPPED):
        common |= {"ends_at": now + timedelta(days=100), "end_set_at": now}
    if world.state == FULL:
        values = {**common, "access": "full", "billing_mode": "client"}
    elif world.state == RESTRICTED:
        values = {**common, "access": "restricted", "families": ["web_hosting"]}
        delegated = [p["mail"]]
    elif world.state == ELEVATED:  # restricted, and full access for now
        values = {**common, "access": "full", "billing_mode": "client"}
    elif world.state in (AWAITING_CLIENT, DELIVERED):
        values = {
            **common,
            "client": None if world.state == AWAITING_CLIENT else o["client"],
            "status": "awaiting_client",
            "invited_email": "client.legal.rep@example.ch",
            "token_hash": token_hash(world.token),
            "decided_at": None,
            "ends_at": None,
            "end_set_at": None,
        }
    elif world.state == AWAITING_PARTNER:
        values = {**common, "status": "awaiting_partner", "initiated_by": "client"}
        values["decided_at"] = None
    else:  # stopped as stop_link leaves it: the grant kept, the named products released
        values = {
            **common,
            "status": "stopped",
            "access": "restricted",
            "families": ["web_hosting"],
            "ended_at": now,
            "ended_by": o["client"],
        }
    await PartnerLink.delete().where(PartnerLink.id != world.link)
    await PartnerLink.update(values).where(PartnerLink.id == world.link)
    await DelegatedProduct.delete().where(DelegatedProduct.link == world.link)
    for product in delegated:
        await DelegatedProduct.insert(
            DelegatedProduct(link=world.link, product=product, client=o["client"])
        )
    await ClientAssignment.delete().where(ClientAssignment.link == world.link)
    assigned = [world.accounts[s.key] for s in PEOPLE if s.assigned]
    await ClientAssignment.insert(
        *[ClientAssignment(link=world.link, account=a) for a in assigned],
        ClientAssignment(link=world.link, team=world.team),
    )
    for product_id, name in world.product_names.items():
        await Product.update({Product.name: name}).where(Product.id == product_id)
    await _put_back_requests(world, now)


async def _put_back_requests(world: World, now: datetime) -> None:
    """A pending request for other access (every state), a pending one for temporary full
    access (restricted), the running one (elevated), an open transfer code to Third SA (active
    states), and the partner's request template."""
    await LinkRequest.delete().where(LinkRequest.id > 0)
    await LinkTransfer.delete().where(LinkTransfer.id > 0)
    await RequestTemplate.delete().where(RequestTemplate.id > 0)
    asked = {"link": world.link, "status": "pending", "expires_at": now + timedelta(days=30)}
    world.requests = {
        "change": await _request({**asked, "kind": "change", "requested_access": "full"}),
        "elevation": NO_SUCH_ID,
    }
    if world.state == RESTRICTED:
        world.requests["elevation"] = await _request(
            {**asked, "kind": "elevation", "length_hours": 2, "reason": "Moving the mailboxes."}
        )
    if world.state == ELEVATED:
        await _request(
            {
                **asked,
                "kind": "elevation",
                "status": "active",
                "length_hours": 2,
                "reason": "Moving the mailboxes.",
                "starts_at": now,
                "ends_at": now + timedelta(hours=2),
                "previous": {
                    "access": "restricted",
                    "families": ["web_hosting"],
                    "products": [world.products["mail"]],
                    "billing_mode": "client",
                },
            }
        )
    world.transfer = NO_SUCH_ID
    if world.state in ACTIVE_STATES:
        rows = await LinkTransfer.insert(
            LinkTransfer(
                client=world.organisations["client"],
                link=world.link,
                to_partner=world.organisations["third"],
                code_hash=token_hash(normalised_code(TRANSFER_CODE)),
                expires_at=now + timedelta(days=14),
            )
        ).returning(LinkTransfer.id)
        world.transfer = rows[0]["id"]
    rows = await RequestTemplate.insert(
        RequestTemplate(
            partner=world.organisations["partner"], name="Websites", families=["web_hosting"]
        )
    ).returning(RequestTemplate.id)
    world.template = rows[0]["id"]


async def _request(values: dict) -> int:
    rows = await LinkRequest.insert(LinkRequest(**values)).returning(LinkRequest.id)
    return rows[0]["id"]


async def _product_names() -> dict[int, str]:
    return {row["id"]: row["name"] for row in await Product.select(Product.id, Product.name)}


SNAPSHOT_SQL = """
SELECT
  (SELECT json_agg(l ORDER BY l.id) FROM partner_link l) AS links,
  (SELECT json_agg(d ORDER BY d.id) FROM delegated_product d) AS delegated,
  (SELECT json_agg(a ORDER BY a.id) FROM client_assignment a) AS assignments,
  (SELECT json_agg(json_build_array(p.id, p.name, p.status) ORDER BY p.id) FROM product p)
      AS products,
  (SELECT count(*) FROM invoice) AS invoices,
  (SELECT count(*) FROM invitation) AS invitations,
  (SELECT count(*) FROM outbox_mail) AS mails,
  (SELECT count(*) FROM audit_event) AS audit_events,
  (SELECT json_agg(r ORDER BY r.id) FROM link_request r) AS requests,
  (SELECT json_agg(t ORDER BY t.id) FROM link_transfer t) AS transfers,
  (SELECT json_agg(rt ORDER BY rt.id) FROM request_template rt) AS templates
"""


async def snapshot() -> dict:
    """Everything a delegation route could change."""
    return (await DB.run_querystring(QueryString(SNAPSHOT_SQL)))[0]


async def _web_pro_item() -> int:
    from portal.products.tables import CatalogueItem

    return (await CatalogueItem.select().where(CatalogueItem.code == "web-pro").first())["id"]


class Delegation:
    """A partner and a client with an active restricted link (web hosting), another partner's
    pending invitation, the partner's link with another client, and a product of a third
    organisation."""

    async def build(self, client) -> Delegation:
        self.partner = await insert_organisation("Partner AG", partner_status="active")
        self.client = await insert_organisation("Client GmbH")
        self.stranger = await insert_organisation("Stranger SA")
        self.not_in_programme = await insert_organisation("Plain AG")
        await insert_person("paula@partner.ch", self.partner, "legal_representative")
        await insert_person("carl@client.ch", self.client, "legal_representative")
        self.hosting = await insert_product(self.client, "web-pro")
        self.domain = await insert_product(self.client, "domain-ch")
        self.foreign = await insert_product(self.stranger, "web-pro", "stranger.example")
        self.link = await _link(
            self.partner, self.client, "active", access="restricted", families=["web_hosting"]
        )
        other_client = await insert_organisation("Other Client AG")  # not Carl's
        self.foreign_link = await _link(
            self.partner, other_client, "active", access="restricted", families=["domain"]
        )
        self.inviting = await insert_organisation("Inviting AG", partner_status="active")
        self.token = new_token()
        await _link(self.inviting, None, "awaiting_client", token=self.token)
        self.colleague = await insert_person("otto@partner.ch", self.partner, "user")
        await ClientAssignment.insert(ClientAssignment(link=self.link, account=self.colleague))
        self.paula = await logged_in_browser(client, "paula@partner.ch")
        self.carl = await logged_in_browser(client, "carl@client.ch")
        return self

    async def close(self) -> None:
        await self.paula.aclose()
        await self.carl.aclose()


async def _link(partner, client, status, *, token="", access=None, families=(), expires_in=30):
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client,
            status=status,
            initiated_by="partner",
            invited_email="" if client else "carl@client.ch",
            token_hash=token_hash(token) if token else None,
            requested_access="restricted",
            requested_families=["web_hosting"],
            access=access,
            families=list(families),
            expires_at=datetime.now(UTC) + timedelta(days=expires_in),
        )
    ).returning(PartnerLink.id)
    return rows[0]["id"]


SETTINGS = Settings(secret_key="test", base_url="https://portal.test")


async def product(client_id: int, code: str) -> int:
    item = await CatalogueItem.select().where(CatalogueItem.code == code).first()
    rows = await Product.insert(
        Product(
            organisation=client_id,
            item=item["id"],
            family=item["family"],
            name=code,
            period="yearly",
            started_on=date(2026, 1, 1),
            renews_on=date(2027, 1, 1),
        )
    ).returning(Product.id)
    return rows[0]["id"]


# --- a partner and its client, with the Current of each side's legal representative -----------

SETTINGS = Settings(secret_key="test", base_url="https://portal.test")


def current_of(
    account_id: int, email: str, organisation_id: int, name: str, role=Role.LEGAL_REPRESENTATIVE
) -> Current:
    full_name = email.split("@")[0].replace(".", " ").title()
    return Current(
        session_id=0,
        user_id=account_id,
        email=email,
        full_name=full_name,
        totp_enabled=False,
        second_factor_pending=False,
        organisation=OrganisationSummary(organisation_id, name, "CHF", "CH", "active"),
        organisations=((organisation_id, name),),
        actor=Actor(account_id, organisation_id, role, True, in_programme=True),
    )


@dataclass
class TwoSides:
    partner: int
    client: int
    partner_rep: Current
    client_rep: Current
    products: dict[str, int]
    link: int = 0
    others: dict[str, int] = field(default_factory=dict)

    async def person(self, email: str, organisation: str, name: str) -> Current:
        organisation_id = (
            getattr(self, organisation)
            if organisation in ("partner", "client")
            else self.others[organisation]
        )
        account = await insert_person(email, organisation_id, "legal_representative")
        return current_of(account, email, organisation_id, name)


async def restricted_world(*, families=("web_hosting",), named=("mail",)) -> TwoSides:
    """Partner AG manages, with restricted access, Client GmbH's web hosting (by category)
    and its mail (by name); the domain is not delegated."""
    partner = await insert_organisation("Partner AG", partner_status="active")
    client = await insert_organisation("Client GmbH")
    nina = await insert_person("nina.berg@partner.ch", partner, "legal_representative")
    carl = await insert_person("carl.client@client.ch", client, "legal_representative")
    products = {
        "hosting": await insert_product(client, "web-pro", "www.client.ch"),
        "mail": await insert_product(client, "mail-5", "Reception mail"),
        "domain": await insert_product(client, "domain-ch", "client.ch"),
    }
    world = TwoSides(
        partner,
        client,
        current_of(nina, "nina.berg@partner.ch", partner, "Partner AG"),
        current_of(carl, "carl.client@client.ch", client, "Client GmbH"),
        products,
    )
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client,
            status="active",
            initiated_by="partner",
            requested_access="restricted",
            requested_families=list(families),
            access="restricted",
            families=list(families),
            expires_at=datetime.now(UTC),
            decided_at=datetime.now(UTC),
        )
    ).returning(PartnerLink.id)
    world.link = rows[0]["id"]
    for key in named:
        await DelegatedProduct.insert(
            DelegatedProduct(link=world.link, product=products[key], client=client)
        )
    return world


async def the_link(link_id: int) -> dict:
    return await PartnerLink.select().where(PartnerLink.id == link_id).first()


async def delegated(link_id: int) -> set[int]:
    rows = await DelegatedProduct.select(DelegatedProduct.product).where(
        DelegatedProduct.link == link_id
    )
    return {row["product"] for row in rows}


async def asked_and_approved(world: TwoSides, hours: int = 2) -> int:
    """The partner asks for temporary full access for HOURS; the client approves it now."""
    request_id = await link_requests.request_elevation(
        SETTINGS, world.partner_rep, world.link, timedelta(hours=hours), "Migrating the mail."
    )
    await link_requests.approve_elevation(
        SETTINGS, world.client_rep, world.link, request_id, PASSWORD, ""
    )
    return request_id
