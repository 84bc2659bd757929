"""Links between a partner and a client organisation, what they delegate, and who in the
partner may act for each client."""

from piccolo.columns import (
    JSONB,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.clients.rules import Access, BillingMode, LinkStatus, Side
from portal.organisations.tables import Organisation, Team
from portal.products.tables import Product


class PartnerLink(Table, tablename="partner_link"):
    """One collaboration, from request to stop. The client may be unknown until it answers a
    partner's emailed invitation."""

    partner = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    client = ForeignKey(Organisation, on_delete=OnDelete.cascade, null=True, default=None)
    status = Varchar(length=20, choices=LinkStatus)
    initiated_by = Varchar(length=10, choices=Side)
    invited_email = Varchar(length=320, default="")
    token_hash = Varchar(length=64, null=True, default=None, unique=True)
    message = Text(default="")
    requested_access = Varchar(length=12, choices=Access)
    requested_families = Array(Varchar(length=40), default=list)
    requested_products = Array(Integer(), default=list)
    access = Varchar(length=12, null=True, default=None, choices=Access)  # once granted
    families = Array(Varchar(length=40), default=list)
    billing_mode = Varchar(length=10, null=True, default=None, choices=BillingMode)  # full only
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    ended_by = Integer(null=True, default=None)  # the organisation that ended it
    ended_by_account = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    requested_days = Integer(null=True, default=None)  # the duration asked for, if any
    ends_at = Timestamptz(null=True, default=None)  # the end date the client set, if any
    end_set_at = Timestamptz(null=True, default=None)  # when it was set: reminders after it
    auto_extend = Boolean(default=False)  # by 180 days at the end; restricted access only


class DelegatedProduct(Table, tablename="delegated_product"):
    """A product named one by one in a restricted link. A product is delegated to one
    partner at most (unique index)."""

    link = ForeignKey(PartnerLink, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    client = ForeignKey(Organisation, on_delete=OnDelete.cascade)


class ClientAssignment(Table, tablename="client_assignment"):
    """A collaborator, or a work team, of the partner allowed to act for the link's client."""

    link = ForeignKey(PartnerLink, on_delete=OnDelete.cascade, index=True)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, null=True, default=None)
    team = ForeignKey(Team, on_delete=OnDelete.cascade, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class LinkRequest(Table, tablename="link_request"):
    """What a partner asks of its client about an active link: temporary full access, a
    later end date, or other access. Temporary full access, once approved, runs here from
    STARTS_AT to ENDS_AT, and PREVIOUS keeps the grant it reverts to."""

    link = ForeignKey(PartnerLink, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=12)  # elevation | extension | change
    status = Varchar(length=12)
    reason = Text(default="")
    length_hours = Integer(null=True, default=None)  # elevation
    days = Integer(null=True, default=None)  # extension
    requested_access = Varchar(length=12, null=True, default=None)  # change
    requested_families = Array(Varchar(length=40), default=list)  # change
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    previous = JSONB(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    ended_by = Integer(null=True, default=None)  # the organisation, None: at its end
    ended_by_account = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)


class LinkTransfer(Table, tablename="link_transfer"):
    """A client's single-use code that moves one of its collaborations to another partner."""

    client = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    link = ForeignKey(PartnerLink, on_delete=OnDelete.cascade)  # the collaboration moved
    to_partner = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    code_hash = Varchar(length=64, unique=True)
    new_grant = JSONB(null=True, default=None)  # None: the grant the link has when redeemed
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    redeemed_at = Timestamptz(null=True, default=None)
    redeemed_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    new_link = Integer(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)


class RequestTemplate(Table, tablename="request_template"):
    """A partner's named set of product categories, reused when it asks clients for access."""

    partner = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=100)
    families = Array(Varchar(length=40), default=list)
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
