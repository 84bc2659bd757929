"""Money: programme settings (tiers, volume discount, VAT rates) kept with their history,
invoices with their lines, and the append-only prepaid ledger."""

from piccolo.columns import (
    JSONB,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.billing.rules import EntryKind, Orderer, SettingKind, VatRule
from portal.organisations.tables import Organisation
from portal.products.tables import Product

MONEY = (12, 2)


class ProgrammeSetting(Table, tablename="programme_setting"):
    """One version of a setting ('tiers', 'volume_discount', 'vat_rates'); the newest of a
    kind is in force, the older ones are its history."""

    kind = Varchar(length=30, index=True, choices=SettingKind)
    payload = JSONB()
    note = Text(default="")
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Invoice(Table, tablename="invoice"):
    """Visible only in the organisation that paid it (`payer`)."""

    number = Varchar(length=30, unique=True)
    payer = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    client = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    partner = ForeignKey(
        Organisation, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    currency = Varchar(length=3)
    issued_on = Date()
    vat_rule = Varchar(length=30, choices=VatRule)
    vat_rate = Numeric(digits=(6, 4))
    net = Numeric(digits=MONEY)
    vat = Numeric(digits=MONEY)
    gross = Numeric(digits=MONEY)
    paid_at = Timestamptz(null=True, default=None)
    paid_with = Varchar(length=20, default="")  # card | prepaid
    created_at = Timestamptz(default=TimestamptzNow())


class InvoiceLine(Table, tablename="invoice_line"):
    invoice = ForeignKey(Invoice, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(Product, on_delete=OnDelete.set_null, null=True, default=None)
    description = Varchar(length=300)
    family = Varchar(length=40)
    service_from = Date()
    service_to = Date()
    ordered_by = Varchar(length=10, choices=Orderer)
    public_price = Numeric(digits=MONEY)
    volume_rate = Numeric(digits=(6, 4))
    partner_rate = Numeric(digits=(6, 4))
    amount = Numeric(digits=MONEY)  # charged to the payer, excl. VAT
    cashback = Numeric(digits=MONEY)
    discount = Numeric(digits=MONEY)
    position = Integer(default=1)


class LedgerEntry(Table, tablename="ledger_entry"):
    """The prepaid account: never updated nor deleted; a correction is a new entry."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    currency = Varchar(length=3)
    kind = Varchar(length=20, choices=EntryKind)
    amount = Numeric(digits=MONEY)  # positive credits, negative debits
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=True, default=None)
    reference = Varchar(length=300, default="")
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
