"""The whole life of links, driven through portal/clients/services.py by hypothesis: a random
sequence of steps (invite, grant, decline, request, accept or refuse, change, withdraw a product,
withdraw a request, stop), each applied both to the database and to a small model written from
docs/rules.md, Delegation. After every step the database matches the model (status, grant, delegated
products), and the invariants hold: at most one active full-access link per client (and then no
other active partner), no product covered by two active links, an ended link delegates nothing. A
refused step raises a portal error (a clear 4xx), never anything else, and changes nothing.

A sequence of steps is the state machine's run (hypothesis shrinks it to the shortest one
that fails); it is driven by a plain async loop because the services run on the test's event
loop, which a RuleBasedStateMachine's synchronous rules cannot await.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.access import Actor, Role
from portal.clients import services
from portal.clients.rules import Access, BillingMode, Grant
from portal.clients.tables import DelegatedProduct, PartnerLink
from portal.core.current import Current, OrganisationSummary
from portal.errors import PortalError
from portal.settings import Settings
from tests.factories.accounts import PASSWORD
from tests.factories.organisations import insert_organisation, insert_person, outbox_link
from tests.factories.products import insert_product

SETTINGS = Settings(secret_key="test", base_url="https://portal.test")
CLIENT_EMAIL = "lr@client.example"
PARTNERS = 3
# The client's products: two web hostings, a domain, a mail service; no kDrive at all.
PRODUCT_CODES = {
    "hosting-1": "web-pro",
    "hosting-2": "web-pro",
    "domain": "domain-ch",
    "mail": "mail-5",
}
FAMILIES = ["web_hosting", "domain", "mail_service", "kdrive"]
ENDED = {"refused", "withdrawn", "expired", "stopped"}


# --- the world: made once per test, the links emptied before each sequence ----------------------


@dataclass
class World:
    client: Current
    partners: list[Current]
    products: dict[str, int]  # key → id, the client's
    families: dict[int, str]  # product id → family
    foreign_product: int  # a product of the first partner, not the client's


def _current(account: int, organisation: int, name: str, partner_status: str) -> Current:
    return Current(
        session_id=0,
        user_id=account,
        email=f"{account}@example.ch",
        full_name=name,
        totp_enabled=False,
        second_factor_pending=False,
        organisation=OrganisationSummary(organisation, name, "CHF", "CH", partner_status),
        organisations=((organisation, name),),
        actor=Actor(
            account,
            organisation,
            Role.LEGAL_REPRESENTATIVE,
            True,
            in_programme=partner_status == "active",
        ),
    )


async def make_world() -> World:
    partners = []
    for number in range(PARTNERS):
        name = f"Partner {number} AG"
        organisation = await insert_organisation(name, partner_status="active")
        account = await insert_person(
            f"lr@partner{number}.example", organisation, "legal_representative"
        )
        partners.append(_current(account, organisation, name, "active"))
    organisation = await insert_organisation("Client GmbH")
    account = await insert_person(CLIENT_EMAIL, organisation, "legal_representative")
    products = {
        key: await insert_product(organisation, code) for key, code in PRODUCT_CODES.items()
    }
    families = {
        products["hosting-1"]: "web_hosting",
        products["hosting-2"]: "web_hosting",
        products["domain"]: "domain",
        products["mail"]: "mail_service",
    }
    foreign = await insert_product(partners[0].organisation.id, "web-pro")
    return World(
        _current(account, organisation, "Client GmbH", "none"),
        partners,
        products,
        families,
        foreign,
    )


class WorldOnce:
    """Hypothesis runs many sequences inside one test (one database): build the world once."""

    def __init__(self) -> None:
        self.world: World | None = None

    async def get(self) -> World:
        if self.world is None:
            self.world = await make_world()
        await PartnerLink.delete(force=True)  # delegated products and assignments cascade
        return self.world


@pytest.fixture
def world_once(db):
    return WorldOnce()


# --- the model, from docs/rules.md, Delegation ----------------------------------------------------


@dataclass
class Link:
    id: int
    partner: int  # index into World.partners
    status: str
    by_partner: bool  # who asked
    requested: Grant
    client_known: bool
    grant: Grant | None = None
    token: str = ""


@dataclass
class Model:
    world: World
    links: list[Link] = field(default_factory=list)

    # -- what docs/rules.md, Delegation, says a grant is and how grants coexist

    def covers(self, grant: Grant, product_id: int) -> bool:
        return (
            grant.access is Access.FULL
            or self.world.families[product_id] in grant.families
            or product_id in grant.product_ids
        )

    def normalised(self, grant: Grant) -> Grant:
        if grant.access is Access.RESTRICTED:  # restricted: the client pays, always
            return replace(grant, billing_mode=BillingMode.CLIENT)
        return grant

    def valid(self, grant: Grant) -> bool:
        if grant.access is Access.FULL:
            return grant.billing_mode is not None and not grant.families and not grant.product_ids
        own = set(self.world.families)
        return bool(grant.families or grant.product_ids) and grant.product_ids <= own

    def coexists(self, grant: Grant, link: Link | None) -> bool:
        """Full access: the client's only partner. Restricted: different products (a category
        delegated twice counts as shared, whether the client has products in it or not)."""
        others = [o for o in self.active() if o is not link]
        if grant.access is Access.FULL:
            return not others
        for other in others:
            if other.grant.access is Access.FULL or grant.families & other.grant.families:
                return False
            if any(
                self.covers(grant, p) and self.covers(other.grant, p) for p in self.world.families
            ):
                return False
        return True

    def active(self) -> list[Link]:
        return [link for link in self.links if link.status == "active"]

    def open_with(self, partner: int) -> bool:
        return any(
            link.partner == partner
            and link.client_known
            and link.status in {"awaiting_partner", "active"}
            for link in self.links
        )

    # -- the steps: apply STEP to the model; False if docs/rules.md, Delegation, refuses it (nothing
    # changes)

    def grant_invitation(self, link: Link, grant: Grant) -> bool:
        grant = self.normalised(grant)
        if link.status != "awaiting_client" or self.open_with(link.partner):
            return False
        if not self.valid(grant) or not self.coexists(grant, link):
            return False
        link.status, link.grant, link.client_known = "active", grant, True
        return True

    def request(self, partner: int, grant: Grant) -> bool:
        grant = self.normalised(grant)
        # the driver adds the link, with the id the service returns
        return self.valid(grant) and not self.open_with(partner) and self.coexists(grant, None)

    def answer(self, link: Link, accept: bool) -> bool:
        if link.status != "awaiting_partner":
            return False
        if not accept:
            link.status = "refused"
            return True
        if not self.coexists(link.requested, link):
            return False
        link.status, link.grant = "active", link.requested
        return True

    def change(self, link: Link, grant: Grant) -> bool:
        grant = self.normalised(grant)
        if not link.client_known or link.status != "active":
            return False
        if not self.valid(grant) or not self.coexists(grant, link):
            return False
        link.grant = grant
        return True

    def withdraw_product(self, link: Link, product: int) -> bool:
        """The client takes one product back: a category that covered it becomes the list of
        its other products; the last product cannot be withdrawn (stop instead)."""
        if not link.client_known or link.status != "active":
            return False
        grant = link.grant
        if not self.covers(grant, product) or grant.access is Access.FULL:
            return False
        family = self.world.families[product]
        named = set(grant.product_ids)
        if family in grant.families:
            named |= {p for p, f in self.world.families.items() if f == family}
        named.discard(product)
        families = grant.families - {family}
        if not families and not named:
            return False
        link.grant = Grant(Access.RESTRICTED, families, frozenset(named), BillingMode.CLIENT)
        return True

    def withdraw_request(self, link: Link, by_partner: bool) -> bool:
        if not by_partner and not link.client_known:
            return False  # the client does not know of an emailed invitation's link
        if by_partner != link.by_partner or link.status not in {
            "awaiting_client",
            "awaiting_partner",
        }:
            return False
        link.status = "withdrawn"
        return True

    def stop(self, link: Link, by_partner: bool) -> bool:
        if (not by_partner and not link.client_known) or link.status != "active":
            return False
        link.status = "stopped"
        return True


# --- steps: hypothesis draws them; each is applied to the model and through the services -------

partner_numbers = st.integers(0, PARTNERS - 1)
product_keys = st.sampled_from([*PRODUCT_CODES, "foreign"])
restricted_grants = st.builds(
    lambda families, products: ("restricted", frozenset(families), frozenset(products)),
    st.sets(st.sampled_from(FAMILIES), max_size=2),
    st.sets(product_keys, max_size=2),
)
full_grants = st.sampled_from([("full", "client"), ("full", "partner"), ("full", None)])
plausible_restricted_grants = st.builds(  # one category, or one of the client's products
    lambda families, products: ("restricted", frozenset(families), frozenset(products)),
    st.sets(st.sampled_from(FAMILIES), max_size=1),
    st.sets(st.sampled_from(list(PRODUCT_CODES)), min_size=1, max_size=1),
) | st.builds(
    lambda family: ("restricted", frozenset({family}), frozenset()), st.sampled_from(FAMILIES)
)
grants = st.one_of(
    plausible_restricted_grants, plausible_restricted_grants, restricted_grants, full_grants
)
requested_grants = st.one_of(
    st.builds(
        lambda families: ("restricted", frozenset(families), frozenset()),
        st.sets(st.sampled_from(FAMILIES), min_size=1, max_size=2),
    ),
    st.just(("full", None)),
)
# What each step takes besides the link it acts on, and the statuses in which it makes sense.
STEP_ARGUMENTS = {
    "grant": grants,
    "decline": st.none(),
    "answer": st.booleans(),  # accept?
    "change": grants,
    "withdraw product": product_keys,
    "withdraw request": st.booleans(),  # by the partner?
    "stop": st.booleans(),  # by the partner?
}
FITTING = {
    "grant": {"awaiting_client"},
    "decline": {"awaiting_client"},
    "answer": {"awaiting_partner"},
    "change": {"active"},
    "withdraw product": {"active"},
    "withdraw request": {"awaiting_client", "awaiting_partner"},
    "stop": {"active"},
}
# Weighted so that links become active often enough to be changed, shrunk and stopped.
KINDS = [
    *["invite"] * 2,
    *["grant"] * 3,
    *["request"] * 2,
    *["answer"] * 2,
    "decline",
    *["change"] * 2,
    *["withdraw product"] * 2,
    "withdraw request",
    *["stop"] * 2,
]


def draw_step(data, model: Model) -> tuple:
    """One step, drawn knowing the model: mostly on a link where the step makes sense, often
    on any link (a step the link's state refuses must be refused cleanly)."""
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    if kind == "invite":
        return (kind, data.draw(partner_numbers), data.draw(requested_grants))
    if kind == "request" or not model.links:
        return ("request", data.draw(partner_numbers), data.draw(grants))
    every = range(len(model.links))
    fitting = [i for i in every if model.links[i].status in FITTING[kind]]
    candidates = st.sampled_from(every)
    if fitting:
        candidates = st.one_of(st.sampled_from(fitting), st.sampled_from(fitting), candidates)
    return (kind, data.draw(candidates, label="link"), data.draw(STEP_ARGUMENTS[kind]))


def to_grant(world: World, drawn) -> Grant:
    if drawn[0] == "full":
        return Grant(Access.FULL, billing_mode=BillingMode(drawn[1]) if drawn[1] else None)
    _, families, keys = drawn
    ids = frozenset(
        world.foreign_product if key == "foreign" else world.products[key] for key in keys
    )
    return Grant(Access.RESTRICTED, families, ids, BillingMode.CLIENT)


async def apply(model: Model, step) -> tuple[bool, bool]:
    """(what the model expects, what the services did): True = done, False = refused."""
    world, kind = model.world, step[0]
    if kind == "invite":
        requested = to_grant(world, step[2])
        link_id = await services.invite_client(
            SETTINGS, world.partners[step[1]], CLIENT_EMAIL, requested, ""
        )
        token = (await outbox_link(CLIENT_EMAIL, "/links/invitations/")).rsplit("/", 1)[1]
        model.links.append(
            Link(link_id, step[1], "awaiting_client", True, requested, False, token=token)
        )
        return True, True
    if kind == "request":
        grant = to_grant(world, step[2])
        expected = model.request(step[1], grant)
        try:
            link_id = await services.request_partner(
                SETTINGS, world.client, world.partners[step[1]].organisation.id, grant, ""
            )
        except PortalError:
            return expected, False
        model.links.append(
            Link(link_id, step[1], "awaiting_partner", False, model.normalised(grant), True)
        )
        return expected, True
    link = model.links[step[1]]
    partner = world.partners[link.partner]
    if kind == "grant":
        grant = to_grant(world, step[2])
        expected = model.grant_invitation(link, grant)
        call = services.grant_invitation(SETTINGS, world.client, link.token, grant)
    elif kind == "decline":
        expected = link.status == "awaiting_client"
        if expected:
            link.status = "refused"
        call = services.decline_invitation(world.client, link.token)
    elif kind == "answer":
        expected = model.answer(link, step[2])
        call = services.answer_request(SETTINGS, partner, link.id, step[2])
    elif kind == "change":
        grant = to_grant(world, step[2])
        expected = model.change(link, grant)
        call = services.change_grant(SETTINGS, world.client, link.id, grant)
    elif kind == "withdraw product":
        product = world.foreign_product if step[2] == "foreign" else world.products[step[2]]
        expected = product in world.families and model.withdraw_product(link, product)
        call = services.withdraw_product(SETTINGS, world.client, link.id, product)
    elif kind == "withdraw request":
        expected = model.withdraw_request(link, step[2])
        call = services.withdraw_request(partner if step[2] else world.client, link.id)
    else:
        expected = model.stop(link, step[2])
        actor = partner if step[2] else world.client
        call = services.stop_link(SETTINGS, actor, link.id, PASSWORD)
    try:
        await call
    except PortalError:
        return expected, False
    return expected, True


# --- what the database says, and the invariants -------------------------------------------------


async def database_links() -> dict[int, dict]:
    rows = await PartnerLink.select().order_by(PartnerLink.id)
    delegated = await DelegatedProduct.select()
    for row in rows:
        row["named"] = {d["product"] for d in delegated if d["link"] == row["id"]}
    return {row["id"]: row for row in rows}


def covered_in_database(world: World, row: dict) -> set[int]:
    return {
        product
        for product, family in world.families.items()
        if row["access"] == "full" or family in row["families"] or product in row["named"]
    }


def check_invariants(world: World, rows: dict[int, dict]) -> None:
    active = [row for row in rows.values() if row["status"] == "active"]
    full = [row for row in active if row["access"] == "full"]
    assert len(full) <= 1, "two active full-access links on one client"
    assert not full or len(active) == 1, "a full-access partner shares the client"
    covered: dict[int, int] = {}
    for row in active:
        for product in covered_in_database(world, row):
            assert product not in covered, f"product {product} covered by two active links"
            covered[product] = row["id"]
    for row in rows.values():
        if row["status"] in ENDED:
            assert not row["named"], f"ended link {row['id']} still delegates {row['named']}"


def check_matches_model(model: Model, rows: dict[int, dict]) -> None:
    assert sorted(rows) == sorted(link.id for link in model.links)
    for link in model.links:
        row = rows[link.id]
        assert row["status"] == link.status, (link.id, row["status"], link.status)
        if link.status == "active":
            grant = link.grant
            assert row["access"] == grant.access.value
            assert set(row["families"]) == set(grant.families)
            assert row["named"] == set(grant.product_ids)
            expected_billing = grant.billing_mode.value if grant.access is Access.FULL else None
            assert row["billing_mode"] == expected_billing


LIFECYCLE = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@LIFECYCLE
@given(data=st.data())
async def test_any_sequence_of_steps_keeps_the_rules_of_delegation(world_once, data):
    model = Model(await world_once.get())
    done_steps = []
    for _ in range(data.draw(st.integers(3, 16), label="length")):
        step = draw_step(data, model)
        before = await database_links()
        expected, done = await apply(model, step)
        after = await database_links()
        done_steps.append(step)
        context = f"after {done_steps}"
        assert done == expected, f"{context}: the services {'did' if done else 'refused'} it"
        if not done:
            assert after == before, f"{context}: refused, and yet something changed"
        check_invariants(model.world, after)
        check_matches_model(model, after)
