"""THE authorization decision: may this actor do this action on this resource?

Pure: no I/O. Handlers load the resource scoped to the actor's organisation, then ask
`decide`. HIDDEN means the resource is none of the actor's business and answers 404, exactly
like one that does not exist; FORBIDDEN means the actor sees it but lacks the right (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from portal.errors import Forbidden, NotFound


class Role(StrEnum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    ADMINISTRATOR = "administrator"
    USER = "user"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.LEGAL_REPRESENTATIVE: "Legal representative",
    Role.ADMINISTRATOR: "Administrator",
    Role.USER: "User",
}


class Action(StrEnum):
    VIEW_ORGANISATION = "organisation.view"
    EDIT_ORGANISATION = "organisation.edit"
    VIEW_MEMBERS = "members.view"
    MANAGE_MEMBERS = "members.manage"
    MANAGE_LEGAL_REPRESENTATIVES = "members.manage_legal_representatives"
    VIEW_TEAM = "teams.view"
    MANAGE_TEAMS = "teams.manage"
    MANAGE_TEAM_MEMBERS = "teams.manage_members"  # among the organisation's own members
    INVITE_TO_TEAM = "teams.invite_outsider"  # someone from outside the organisation
    VIEW_AUDIT = "audit.view"
    VIEW_BILLING = "billing.view"
    # organisation-wide money of the programme: managed volume, tier, cashback, prepaid balance
    VIEW_PROGRAMME_MONEY = "programme.money.view"
    VIEW_REPORT_FILE = "exports.report_file.view"  # a background report: page and download
    VIEW_PRODUCTS = "products.view"  # plain users: only the products given to them
    # renewals (docs/rules.md, Renewals): the page, and automatic renewal, the warranty and
    # "renew now" for the organisation's own products or, as ClientProductResource, a client's
    END_SESSION = "accounts.session.end"  # another of the person's own logged-in sessions
    VIEW_RENEWALS = "renewals.view"
    VIEW_CLIENT_RENEWALS = "renewals.clients.view"  # a partner's: its clients' products
    MANAGE_RENEWALS = "renewals.manage"
    # the partner's own space: its dashboard and its clients (team guests: the clients of
    # their teams)
    VIEW_PARTNER_DASHBOARD = "partners.dashboard"
    VIEW_CLIENTS = "clients.view"
    VIEW_PARTNERS = "clients.partners.view"  # a client organisation's partners
    VIEW_AFFILIATE = "affiliate.view"  # an affiliate's referrals and commissions
    # delegation (docs/rules.md, Delegation)
    INVITE_CLIENT = "clients.invite"
    ADD_PARTNER = "partners.add"
    VIEW_LINK = "links.view"
    DECIDE_AS_CLIENT = "links.decide_as_client"
    DECIDE_AS_PARTNER = "links.decide_as_partner"
    WITHDRAW_REQUEST = "links.withdraw_request"
    CHANGE_LINK = "links.change"
    STOP_LINK = "links.stop"
    # a partner asks its client for temporary full access, a later end date or other access
    REQUEST_ON_LINK = "links.request"
    END_ELEVATION = "links.end_elevation"  # either side ends temporary full access early
    ASSIGN_COLLABORATORS = "links.assign"
    ACT_FOR_CLIENT = "clients.act"
    INVITE_CLIENT_USER = "clients.users.invite"  # a new user of the client organisation
    MANAGE_CLIENT_PRODUCT = "clients.product.manage"
    ORDER_FOR_CLIENT = "clients.product.order"
    # the partner programme (docs/rules.md, The partner programme)
    VIEW_PROGRAMME = "programme.view"
    APPLY_TO_PROGRAMME = "programme.apply"
    JOIN_AFFILIATE_PROGRAMME = "affiliate.join"
    STAFF_REVIEW = "staff.review"
    EDIT_PROGRAMME_SETTINGS = "staff.programme_settings"
    READ_MAIL_OUTBOX = "staff.mail_outbox"  # development mode only: everyone's mails
    MANAGE_PAYMENTS = "staff.payments"  # bank statements, the queue of payments, payouts
    CREDIT_INVOICES = "staff.credit_invoices"  # credit notes and clawbacks
    # tenders (docs/rules.md, Tenders)
    POST_TENDER = "tenders.post"
    VIEW_TENDER_INBOX = "tenders.inbox"  # the tenders routed to a partner, and its record
    VIEW_TENDER_SETTINGS = "tenders.settings.view"
    MANAGE_TENDER_SETTINGS = "tenders.settings"
    VIEW_TENDER = "tenders.view"  # a partner the tender was routed to
    ANSWER_TENDER = "tenders.answer"
    VIEW_OWN_TENDER = "tenders.view_own"  # the author
    VIEW_POSTED_TENDERS = "tenders.posted"  # the tenders a client organisation posted
    # a partner's tender pages (inbox and settings): an applicant sees what it prepares
    VIEW_PARTNER_TENDERS = "tenders.partner"
    DECIDE_TENDER = "tenders.decide"
    # the public partner directory (docs/rules.md, Directory)
    MANAGE_LISTING = "directory.manage_listing"
    VIEW_LISTING = "directory.view_listing"
    # billing reports (docs/rules.md, Billing reports): on the partner organisation, then on each
    # client's link
    EXPORT_BILLING = "exports.billing"
    # the billing feed: every client's lines, so only for those who see every client
    VIEW_BILLING_FEED = "exports.billing_feed"
    # webhooks (docs/rules.md, Webhooks): endpoints, their secrets and deliveries
    MANAGE_WEBHOOKS = "webhooks.manage"


class Decision(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"  # visible, but not this actor's right: 403
    HIDDEN = "hidden"  # another tenant's, or none of the actor's business: 404


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user inside one organisation, with a role there (None: a team guest)."""

    user_id: int
    organisation_id: int | None
    role: Role | None
    billing_rights: bool = False
    team_ids: frozenset[int] = frozenset()
    in_programme: bool = False  # the organisation is an applicant or partner of the programme
    is_affiliate: bool = False  # the organisation is an affiliate (never also a partner)
    is_staff: bool = False  # a person of the host: decides applications in the staff area
    # An API token's scopes (`area:read`, `area:write`): what its owner may do is narrowed to
    # them. None: a person in a browser, not narrowed.
    scopes: frozenset[str] | None = None

    @property
    def is_member(self) -> bool:
        return self.role is not None


@dataclass(frozen=True, slots=True)
class OrganisationResource:
    organisation_id: int


@dataclass(frozen=True, slots=True)
class TeamResource:
    organisation_id: int
    team_id: int
    leader_id: int | None
    acts_for_clients: bool = False  # given clients of a partner (an open link)


@dataclass(frozen=True, slots=True)
class LinkResource:
    """A partner–client link as the decision needs it: both sides, whether it is live, and
    the partner's collaborators (people and teams) assigned to it."""

    partner_id: int
    client_id: int | None
    active: bool
    open: bool = True
    initiated_by_partner: bool = True
    assigned_user_ids: frozenset[int] = frozenset()
    assigned_team_ids: frozenset[int] = frozenset()

    @property
    def organisation_id(self) -> int | None:  # unused for links: both sides are checked
        return None


@dataclass(frozen=True, slots=True)
class ClientProductResource:
    """A client's product, seen through a link: covered by its grant or not, orderable or not."""

    link: LinkResource
    covered: bool
    may_order: bool

    @property
    def organisation_id(self) -> int | None:
        return self.link.client_id


@dataclass(frozen=True, slots=True)
class StaffResource:
    """The host's staff area (applications to review, flagged partners): outside any
    organisation, for staff only."""

    @property
    def organisation_id(self) -> int | None:
        return None


@dataclass(frozen=True, slots=True)
class TenderResource:
    """A tender as the decision needs it: its author (organisation and account; none for a
    visitor), the partner organisation it was loaded for through its routing (None: routed to
    none of the actor's), whether that partner is an active partner of the programme (only
    active partners take part: an applicant, one under review, flagged or that left sees no
    tender), and whether the request holds the author's private link. Without an author, it
    stands for all the tenders routed to ROUTED_TO: the partner's inbox and record."""

    author_organisation_id: int | None
    author_account_id: int | None
    routed_to: int | None = None
    private_link: bool = False
    partner_active: bool = False

    @property
    def organisation_id(self) -> int | None:
        return self.author_organisation_id


@dataclass(frozen=True, slots=True)
class ListingResource:
    """A partner's listing in the public directory, as a visitor meets it: shown only while
    the partner is active and opted in."""

    shown: bool

    @property
    def organisation_id(self) -> int | None:
        return None


@dataclass(frozen=True, slots=True)
class ReportFileResource:
    """A billing report made in the background: the partner's, asked for by one person."""

    organisation_id: int
    requested_by: int


@dataclass(frozen=True, slots=True)
class SessionResource:
    """A logged-in session: the person it belongs to (None: no live session of that id), and
    whether it is the one making the request."""

    owner_id: int | None
    in_use: bool = False

    @property
    def organisation_id(self) -> int | None:
        return None


Resource = (
    OrganisationResource
    | TeamResource
    | LinkResource
    | ClientProductResource
    | StaffResource
    | TenderResource
    | ListingResource
    | ReportFileResource
    | SessionResource
)

# --- API tokens: what a token's scopes let it do (docs/rules.md, The API) -------------------


class ApiArea(StrEnum):
    """What a token may reach, area by area."""

    CLIENTS = "clients"  # clients and links
    PRODUCTS = "products"
    BILLING = "billing"  # invoices and the prepaid ledger
    REPORTS = "reports"  # billing report lines and the billing feed
    TENDERS = "tenders"

    @property
    def label(self) -> str:
        return API_AREA_LABELS[self]


API_AREA_LABELS = {
    ApiArea.CLIENTS: "Clients and links",
    ApiArea.PRODUCTS: "Products",
    ApiArea.BILLING: "Invoices and ledger",
    ApiArea.REPORTS: "Reports and billing feed",
    ApiArea.TENDERS: "Tenders",
}


class ApiLevel(StrEnum):
    READ = "read"
    WRITE = "write"  # read and write


def scope(area: ApiArea, level: ApiLevel) -> str:
    return f"{area}:{level}"


ALL_SCOPES = frozenset(scope(area, level) for area in ApiArea for level in ApiLevel)

# The actions a token can take, each with the scope it needs; a token takes no other action
# (deciding about a link, managing members, the staff area...: people in a browser only).
# None: every token (its own organisation).
TOKEN_ACTIONS: dict[Action, tuple[ApiArea, ApiLevel] | None] = {
    Action.VIEW_ORGANISATION: None,
    Action.VIEW_LINK: (ApiArea.CLIENTS, ApiLevel.READ),
    Action.ACT_FOR_CLIENT: (ApiArea.CLIENTS, ApiLevel.READ),
    Action.VIEW_PRODUCTS: (ApiArea.PRODUCTS, ApiLevel.READ),
    Action.MANAGE_CLIENT_PRODUCT: (ApiArea.PRODUCTS, ApiLevel.WRITE),
    Action.VIEW_BILLING: (ApiArea.BILLING, ApiLevel.READ),
    Action.VIEW_PROGRAMME_MONEY: (ApiArea.BILLING, ApiLevel.READ),
    Action.EXPORT_BILLING: (ApiArea.REPORTS, ApiLevel.READ),
    Action.VIEW_REPORT_FILE: (ApiArea.REPORTS, ApiLevel.READ),
    Action.VIEW_BILLING_FEED: (ApiArea.REPORTS, ApiLevel.READ),
    Action.VIEW_TENDER_INBOX: (ApiArea.TENDERS, ApiLevel.READ),
    Action.VIEW_TENDER: (ApiArea.TENDERS, ApiLevel.READ),
    Action.ANSWER_TENDER: (ApiArea.TENDERS, ApiLevel.WRITE),
}


def scopes_allow(scopes: frozenset[str], area: ApiArea, level: ApiLevel) -> bool:
    """Whether SCOPES cover LEVEL in AREA: writing includes reading."""
    if scope(area, ApiLevel.WRITE) in scopes:
        return True
    return level is ApiLevel.READ and scope(area, ApiLevel.READ) in scopes


def token_may(actor: Actor, action: Action) -> bool:
    """Whether the actor's token (if it is one) covers ACTION; a person in a browser always."""
    if actor.scopes is None:
        return True
    if action not in TOKEN_ACTIONS:
        return False
    needed = TOKEN_ACTIONS[action]
    return needed is None or scopes_allow(actor.scopes, *needed)


def require_scope(actor: Actor, area: ApiArea, level: ApiLevel) -> None:
    """An API call's own check, before it reads anything: its area and level (403)."""
    if actor.scopes is not None and not scopes_allow(actor.scopes, area, level):
        raise Forbidden(OUT_OF_SCOPE)


OUT_OF_SCOPE = "This token's scopes do not cover this request."


# Who acts without logging in: a visitor (holding, at most, a private link).
VISITOR = Actor(user_id=0, organisation_id=None, role=None)

MANAGERS = frozenset({Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR})


def decide(actor: Actor, action: Action, resource: Resource) -> Decision:
    """The owner's decision, narrowed by the token's scopes when an API token acts: what the
    owner may not see stays hidden (404); what they may do but the token's scopes do not
    cover is forbidden (403)."""
    decision = _decide(actor, action, resource)
    if decision is Decision.ALLOWED and not token_may(actor, action):
        return Decision.FORBIDDEN
    return decision


def _decide(actor: Actor, action: Action, resource: Resource) -> Decision:
    if isinstance(resource, StaffResource):  # whichever organisation the actor acts in
        return _decide_for_staff(actor, action)
    if isinstance(resource, TenderResource):  # a visitor's private link needs no organisation
        return _decide_on_tender(actor, action, resource)
    if isinstance(resource, ListingResource):  # public: the same for everyone
        return decide_for_visitor(action, resource)
    if isinstance(resource, SessionResource):  # the person's own, in whichever organisation
        return _decide_on_session(actor, action, resource)
    if actor.organisation_id is None:
        return Decision.HIDDEN
    if isinstance(resource, LinkResource):
        return _decide_on_link(actor, action, resource)
    if isinstance(resource, ClientProductResource):
        return _decide_on_client_product(actor, action, resource)
    if resource.organisation_id != actor.organisation_id:
        return Decision.HIDDEN
    if isinstance(resource, ReportFileResource):
        return _decide_on_report_file(actor, action, resource)
    if not actor.is_member:
        return _decide_for_team_guest(actor, action, resource)
    return Decision.ALLOWED if _role_allows(actor, action, resource) else Decision.FORBIDDEN


def may(actor: Actor, action: Action, resource: Resource) -> bool:
    return decide(actor, action, resource) is Decision.ALLOWED


def require(actor: Actor, action: Action, resource: Resource) -> None:
    """Raise unless allowed: another tenant's resource is NotFound (404), a missing right is
    Forbidden (403)."""
    decision = decide(actor, action, resource)
    if decision is Decision.HIDDEN:
        raise NotFound()
    if decision is Decision.FORBIDDEN:
        raise Forbidden("Your role in this organisation does not allow this.")


def _role_allows(actor: Actor, action: Action, resource: Resource) -> bool:
    match action:
        case (
            Action.VIEW_ORGANISATION
            | Action.VIEW_MEMBERS
            | Action.VIEW_TEAM
            | Action.VIEW_PRODUCTS
            | Action.VIEW_RENEWALS
        ):
            return True
        case Action.MANAGE_LEGAL_REPRESENTATIVES:
            return actor.role is Role.LEGAL_REPRESENTATIVE
        case Action.VIEW_BILLING | Action.VIEW_PROGRAMME_MONEY | Action.MANAGE_RENEWALS:
            return actor.role in MANAGERS or actor.billing_rights
        case Action.MANAGE_TEAM_MEMBERS:
            return actor.role in MANAGERS or _leads(actor, resource)
        case Action.INVITE_TO_TEAM:
            if _acts_for_clients(resource):
                return actor.role is Role.LEGAL_REPRESENTATIVE
            return actor.role in MANAGERS or _leads(actor, resource)
        case Action.INVITE_CLIENT:
            return actor.role is Role.LEGAL_REPRESENTATIVE and actor.in_programme
        case Action.ADD_PARTNER:
            return actor.role is Role.LEGAL_REPRESENTATIVE
        case Action.VIEW_PROGRAMME:
            return actor.role in MANAGERS
        case Action.POST_TENDER:
            return True
        case (
            Action.VIEW_PARTNER_DASHBOARD
            | Action.VIEW_CLIENTS
            | Action.VIEW_PARTNER_TENDERS
            | Action.VIEW_CLIENT_RENEWALS
        ):
            return actor.in_programme
        case Action.VIEW_PARTNERS | Action.VIEW_POSTED_TENDERS:
            return not actor.in_programme
        case Action.VIEW_AFFILIATE:
            return actor.is_affiliate and (actor.role in MANAGERS or actor.billing_rights)
        case Action.VIEW_TENDER_SETTINGS:  # an applicant prepares them before it is active
            return actor.in_programme
        case Action.MANAGE_TENDER_SETTINGS:
            return actor.role in MANAGERS and actor.in_programme
        case Action.EXPORT_BILLING:
            return actor.in_programme and (actor.role in MANAGERS or actor.billing_rights)
        case Action.VIEW_BILLING_FEED:
            return actor.in_programme and actor.role in MANAGERS
        case Action.APPLY_TO_PROGRAMME | Action.JOIN_AFFILIATE_PROGRAMME:
            return actor.role is Role.LEGAL_REPRESENTATIVE
        case Action.MANAGE_LISTING:
            return actor.role in MANAGERS and actor.in_programme
        case (
            Action.EDIT_ORGANISATION
            | Action.MANAGE_MEMBERS
            | Action.MANAGE_TEAMS
            | Action.VIEW_AUDIT
            | Action.MANAGE_WEBHOOKS
        ):
            return actor.role in MANAGERS
    return False


PARTNER_LEGAL_ACTIONS = frozenset(
    {
        Action.DECIDE_AS_PARTNER,
        Action.STOP_LINK,
        Action.ASSIGN_COLLABORATORS,
        Action.REQUEST_ON_LINK,
        Action.END_ELEVATION,
    }
)
CLIENT_LEGAL_ACTIONS = frozenset(
    {Action.DECIDE_AS_CLIENT, Action.CHANGE_LINK, Action.STOP_LINK, Action.END_ELEVATION}
)


def _decide_on_link(actor: Actor, action: Action, link: LinkResource) -> Decision:
    if actor.organisation_id == link.partner_id:
        return _decide_as_partner(actor, action, link)
    if link.client_id is not None and actor.organisation_id == link.client_id:
        return _decide_as_client(actor, action, link)
    return Decision.HIDDEN


@dataclass(frozen=True, slots=True)
class ClientScope:
    """The partner's clients a person sees — on every page, count, chart, export and report
    (docs/rules.md, Who may do what): every client, or only the active ones given to them in
    person or through one of their teams. Queries filter by it (portal/clients/queries.py,
    `seen_filter`)."""

    every_client: bool
    user_id: int
    team_ids: frozenset[int] = frozenset()

    def sees(self, link: LinkResource) -> bool:
        if self.every_client:
            return True
        assigned = self.user_id in link.assigned_user_ids or bool(
            self.team_ids & link.assigned_team_ids
        )
        return assigned and link.active


def sees_every_product(role: Role | str | None) -> bool:
    """Legal representatives and administrators see all of the organisation's products; a
    plain user only those given to them."""
    return role is not None and Role(role) in MANAGERS


def may_change_member(actor: Actor, organisation_id: int, member_role: Role | str) -> bool:
    """Managers change the organisation's members; a legal representative's role and rights
    only another legal representative."""
    resource = OrganisationResource(organisation_id)
    if not may(actor, Action.MANAGE_MEMBERS, resource):
        return False
    legal = Role(member_role) is Role.LEGAL_REPRESENTATIVE
    return not legal or may(actor, Action.MANAGE_LEGAL_REPRESENTATIVES, resource)


def client_scope(actor: Actor) -> ClientScope:
    """Legal representatives and administrators see every client of their organisation;
    anyone else (a plain user, a team guest) a collaborator's share."""
    return ClientScope(actor.role in MANAGERS, actor.user_id, actor.team_ids)


def export_scope(actor: Actor, partner: OrganisationResource) -> ClientScope:
    """The partner's clients whose billing ACTOR may export (docs/rules.md, Billing reports):
    refused as `require` refuses when the actor may not export at all; else every client, past
    ones included, for managers, and the active clients assigned to them for anyone else —
    for the partner's links, `scope.sees(link)` is `may(actor, EXPORT_BILLING, link)`. The
    report's queries apply it in SQL (portal/exports/queries.py, IN_SCOPE)."""
    require(actor, Action.EXPORT_BILLING, partner)
    return client_scope(actor)


def _decide_as_partner(actor: Actor, action: Action, link: LinkResource) -> Decision:
    """Legal representatives and administrators see every client; a collaborator only the
    active clients given to them, in person or through a team."""
    scope = client_scope(actor)
    if scope.every_client:
        if action is Action.VIEW_LINK:
            return Decision.ALLOWED
        if action is Action.EXPORT_BILLING:  # past clients too: their billing stays the partner's
            return Decision.ALLOWED
        if action in {Action.ACT_FOR_CLIENT, Action.INVITE_CLIENT_USER}:
            return Decision.ALLOWED if link.active else Decision.FORBIDDEN
        if action in PARTNER_LEGAL_ACTIONS or (
            action is Action.WITHDRAW_REQUEST and link.initiated_by_partner
        ):
            return _legal(actor)
        return Decision.FORBIDDEN
    if not scope.sees(link):
        return Decision.HIDDEN
    if action in {Action.VIEW_LINK, Action.ACT_FOR_CLIENT, Action.EXPORT_BILLING}:
        return Decision.ALLOWED
    if action is Action.INVITE_CLIENT_USER and actor.is_member:  # never an outside guest
        return Decision.ALLOWED
    return Decision.FORBIDDEN


def _decide_as_client(actor: Actor, action: Action, link: LinkResource) -> Decision:
    """Only the client's legal representatives decide about partners; its administrators
    may look."""
    if actor.role not in MANAGERS:
        return Decision.FORBIDDEN
    if action is Action.VIEW_LINK:
        return Decision.ALLOWED
    if action in CLIENT_LEGAL_ACTIONS or (
        action is Action.WITHDRAW_REQUEST and not link.initiated_by_partner
    ):
        return _legal(actor)
    return Decision.FORBIDDEN


def _decide_on_session(actor: Actor, action: Action, session: SessionResource) -> Decision:
    """A person ends their other sessions; the one in use ends by logging out. Another
    person's session does not exist for them."""
    own = session.owner_id is not None and session.owner_id == actor.user_id
    if own and action is Action.END_SESSION and not session.in_use:
        return Decision.ALLOWED
    return Decision.HIDDEN


def _legal(actor: Actor) -> Decision:
    return Decision.ALLOWED if actor.role is Role.LEGAL_REPRESENTATIVE else Decision.FORBIDDEN


def _decide_on_client_product(
    actor: Actor, action: Action, product: ClientProductResource
) -> Decision:
    """Inside a client, a partner's user reaches only what the link delegates (and what
    their own assignment allows): the intersection, never more."""
    acting = _decide_on_link(actor, Action.ACT_FOR_CLIENT, product.link)
    if actor.organisation_id != product.link.partner_id or acting is not Decision.ALLOWED:
        return Decision.HIDDEN
    if not product.covered:
        return Decision.HIDDEN
    if action is Action.MANAGE_CLIENT_PRODUCT:
        return Decision.ALLOWED
    if action in (Action.ORDER_FOR_CLIENT, Action.MANAGE_RENEWALS):  # full access only
        return Decision.ALLOWED if product.may_order else Decision.FORBIDDEN
    return Decision.FORBIDDEN


def _decide_for_team_guest(actor: Actor, action: Action, resource: Resource) -> Decision:
    """An external user sees the organisation only through the teams they were invited to."""
    if isinstance(resource, TeamResource):
        if resource.team_id not in actor.team_ids:
            return Decision.HIDDEN
        if action is Action.VIEW_TEAM:
            return Decision.ALLOWED
        if action is Action.MANAGE_TEAM_MEMBERS and _leads(actor, resource):
            return Decision.ALLOWED
        leads_a_team_without_clients = _leads(actor, resource) and not _acts_for_clients(resource)
        if action is Action.INVITE_TO_TEAM and leads_a_team_without_clients:
            return Decision.ALLOWED
        return Decision.FORBIDDEN
    if action in GUEST_ORGANISATION_ACTIONS:
        return Decision.ALLOWED
    if action in GUEST_PARTNER_ACTIONS and actor.in_programme:
        return Decision.ALLOWED
    return Decision.HIDDEN


# A team guest sees the organisation's details and, in a partner, the clients given to their
# teams (its dashboard and client list); nothing else of the organisation.
GUEST_ORGANISATION_ACTIONS = frozenset({Action.VIEW_ORGANISATION})
GUEST_PARTNER_ACTIONS = frozenset({Action.VIEW_PARTNER_DASHBOARD, Action.VIEW_CLIENTS})


def _leads(actor: Actor, resource: Resource) -> bool:
    return isinstance(resource, TeamResource) and resource.leader_id == actor.user_id


def _acts_for_clients(resource: Resource) -> bool:
    """Only the partner's legal representatives bring someone from outside the organisation
    into a team that acts for clients (docs/rules.md, Who may do what); a leader manages it
    among the members."""
    return isinstance(resource, TeamResource) and resource.acts_for_clients


AUTHOR_ACTIONS = frozenset({Action.VIEW_OWN_TENDER, Action.DECIDE_TENDER})
PARTNER_TENDER_ACTIONS = frozenset(
    {Action.VIEW_TENDER_INBOX, Action.VIEW_TENDER, Action.ANSWER_TENDER}
)


def _decide_on_tender(actor: Actor, action: Action, tender: TenderResource) -> Decision:
    """The author decides (the visitor through the private link, or the account that posted it
    and its organisation's managers); an active partner sees a tender only if it was routed to
    it, and its managers answer. Nobody else learns the tender exists."""
    if action in AUTHOR_ACTIONS:
        if tender.private_link:
            return Decision.ALLOWED
        if actor.organisation_id is None or actor.organisation_id != tender.author_organisation_id:
            return Decision.HIDDEN
        if actor.user_id == tender.author_account_id or actor.role in MANAGERS:
            return Decision.ALLOWED
        return Decision.HIDDEN
    if action in PARTNER_TENDER_ACTIONS:
        if actor.organisation_id is None or actor.organisation_id != tender.routed_to:
            return Decision.HIDDEN
        if not actor.is_member or not tender.partner_active:
            return Decision.HIDDEN
        if action is not Action.ANSWER_TENDER or actor.role in MANAGERS:
            return Decision.ALLOWED
        return Decision.FORBIDDEN
    return Decision.HIDDEN


def decide_for_visitor(action: Action, resource: Resource) -> Decision:
    """Anyone, logged in or not, on the public directory: a listing that is not shown does
    not exist (404); nothing else is a visitor's to do."""
    if isinstance(resource, ListingResource) and action is Action.VIEW_LISTING:
        return Decision.ALLOWED if resource.shown else Decision.HIDDEN
    return Decision.HIDDEN


def require_as_visitor(action: Action, resource: Resource) -> None:
    if decide_for_visitor(action, resource) is not Decision.ALLOWED:
        raise NotFound()


def _decide_on_report_file(actor: Actor, action: Action, report: ReportFileResource) -> Decision:
    """A report holds the clients its requester may see: it is theirs, and the managers'
    (who see every client); to anyone else it does not exist. It still needs the right to
    export today."""
    if actor.user_id != report.requested_by and actor.role not in MANAGERS:
        return Decision.HIDDEN
    if action is not Action.VIEW_REPORT_FILE:
        return Decision.FORBIDDEN
    if _role_allows(actor, Action.EXPORT_BILLING, OrganisationResource(report.organisation_id)):
        return Decision.ALLOWED
    return Decision.FORBIDDEN


STAFF_ACTIONS = frozenset(
    {
        Action.STAFF_REVIEW,
        Action.EDIT_PROGRAMME_SETTINGS,
        Action.READ_MAIL_OUTBOX,
        Action.MANAGE_PAYMENTS,
        Action.CREDIT_INVOICES,
    }
)


def _decide_for_staff(actor: Actor, action: Action) -> Decision:
    """Staff only; to anyone else the staff area does not exist (404)."""
    if actor.is_staff and action in STAFF_ACTIONS:
        return Decision.ALLOWED
    return Decision.HIDDEN


def may_here(actor: Actor, action: Action) -> bool:
    """May ACTOR do ACTION where they stand: in the staff area for a staff action, else in the
    organisation they act in (none: nothing). What the navigation and the pages' links ask."""
    if action in STAFF_ACTIONS:
        return may(actor, action, StaffResource())
    if actor.organisation_id is None:
        return False
    return may(actor, action, OrganisationResource(actor.organisation_id))
