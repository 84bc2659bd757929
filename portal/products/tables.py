"""The product catalogue (offers with public prices) and the products clients own."""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Numeric,
    OnDelete,
    SmallInt,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.core.enums import ProductStatus
from portal.organisations.tables import Membership, Organisation


class CatalogueItem(Table, tablename="catalogue_item"):
    """An offer of the host: belongs to a family (the category delegation can name)."""

    code = Varchar(length=60, unique=True)
    family = Varchar(length=40, index=True)
    name = Varchar(length=120)


class CataloguePrice(Table, tablename="catalogue_price"):
    """Public price of an offer, per currency and billing period: data, not code."""

    item = ForeignKey(CatalogueItem, on_delete=OnDelete.cascade)
    currency = Varchar(length=3)
    period = Varchar(length=10)  # monthly | yearly
    amount = Numeric(digits=(12, 2))


class Product(Table, tablename="product"):
    """A product instance; it always lives in (is owned by) the client's organisation."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    item = ForeignKey(CatalogueItem, on_delete=OnDelete.restrict)
    family = Varchar(length=40)  # copied from the item: delegation filters by it
    name = Varchar(length=200)
    period = Varchar(length=10)
    status = Varchar(length=20, default=ProductStatus.ACTIVE, choices=ProductStatus)
    started_on = Date()
    renews_on = Date()
    created_at = Timestamptz(default=TimestamptzNow())
    # Renewals (docs/rules.md, Renewals). Left None, automatic renewal follows the family's
    # policy (a trigger of the renewals migration decides it, as it keeps the rest current).
    automatic_renewal = Boolean(null=True, default=None)
    renewal_warranty = Boolean(default=False)
    renewal_step = SmallInt(default=0)  # renewals.rules.Step done for this renews_on
    next_renewal_check = Date(null=True, default=None)  # when the renewal run looks next
    # the partner whose active link covers the product (kept by triggers)
    managed_by = ForeignKey(Organisation, on_delete=OnDelete.set_null, null=True, default=None)


class ProductAccess(Table, tablename="product_access"):
    """A product a plain user of the organisation may see and manage (docs/rules.md, Roles and
    rights: users with access to specific products only); legal representatives and administrators
    see all."""

    membership = ForeignKey(Membership, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
