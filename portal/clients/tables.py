"""Links between a partner and a client organisation, what they delegate, and who in the
partner may act for each client."""

from piccolo.columns import (
    Array,
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

    partner = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    client = ForeignKey(
        Organisation, on_delete=OnDelete.cascade, null=True, default=None, index=True
    )
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
