"""Renewals made by the portal (automatically, under the warranty, or "renew now") and what the
payers and partners are told about their products' dates. The product's own renewal columns
(options, step, next check, managing partner) live on `product`."""

from piccolo.columns import (
    JSONB,
    Date,
    ForeignKey,
    OnDelete,
    SmallInt,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.billing.tables import Invoice
from portal.organisations.tables import Organisation
from portal.products.tables import Product


class Renewal(Table, tablename="renewal"):
    """One renewal of one product's period: once per product and renewal date (a unique
    index). A warranty renewal's invoice is followed until it is paid."""

    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    client = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    payer = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    renewed_from = Date()  # the renewal date this renewal answered
    way = Varchar(length=10)  # renewals.rules.Way
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict)
    due_on = Date(null=True, default=None)  # a warranty invoice's due date
    invoice_step = SmallInt(default=0)  # renewals.rules.InvoiceStep
    next_check = Date(null=True, default=None)  # when the run looks at the invoice again
    created_at = Timestamptz(default=TimestamptzNow())


class RenewalNotice(Table, tablename="renewal_notice"):
    """Something the payer or the managing partner is told about a product (a reminder, a
    step, a renewal); mailed to the organisation's people in one digest per run."""

    recipient = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    product = ForeignKey(Product, on_delete=OnDelete.cascade)
    client = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    kind = Varchar(length=30)  # renewals.notices.Kind
    renews_on = Date()
    details = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    mailed_at = Timestamptz(null=True, default=None)
