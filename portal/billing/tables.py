"""Money: programme settings (tiers, volume discount, VAT rates) kept with their history,
invoices with their lines, and the append-only prepaid ledger."""

from piccolo.columns import (
    JSONB,
    Array,
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
from portal.billing.rules import (
    BankEntryStatus,
    EntryKind,
    Orderer,
    PaymentRequestStatus,
    PayoutMethod,
    PayoutStatus,
    SettingKind,
    VatRule,
)
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
    """Visible only in the organisation that paid it (`payer`). A credit note is an invoice
    of kind 'credit_note' with negative amounts, pointing at the invoice it `credits`."""

    number = Varchar(length=30, unique=True)
    payer = ForeignKey(Organisation, on_delete=OnDelete.restrict)
    client = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    partner = ForeignKey(Organisation, on_delete=OnDelete.restrict, null=True, default=None)
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
    kind = Varchar(length=20, default="invoice")  # invoice | credit_note
    credits = ForeignKey("self", on_delete=OnDelete.restrict, null=True, default=None)
    reason = Text(default="")  # why a credit note was issued


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
    unit_price = Numeric(digits=MONEY, null=True, default=None)
    quantity = Integer(default=1)
    products = Array(Integer(), default=list)  # every product the line is for (quantity)
    tier = Varchar(length=40, default="")  # the partner's tier when it was priced
    credits_line = ForeignKey("self", on_delete=OnDelete.restrict, null=True, default=None)


class LedgerEntry(Table, tablename="ledger_entry"):
    """The prepaid account: never updated nor deleted; a correction is a new entry."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict)
    currency = Varchar(length=3)
    kind = Varchar(length=20, choices=EntryKind)
    amount = Numeric(digits=MONEY)  # positive credits, negative debits
    invoice = ForeignKey(Invoice, on_delete=OnDelete.restrict, null=True, default=None)
    reference = Varchar(length=300, default="")
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    details = JSONB(default="{}")  # where a cashback came from: client, product, price, rate, tier


class PaymentRequest(Table, tablename="payment_request"):
    """A deposit asked for with a QR-bill; credited once the bank statement shows it paid."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict)
    currency = Varchar(length=3)
    amount = Numeric(digits=MONEY)
    reference = Varchar(length=30, default="")  # QRR or SCOR, unique once set
    status = Varchar(length=20, default=PaymentRequestStatus.PENDING, choices=PaymentRequestStatus)
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    paid_at = Timestamptz(null=True, default=None)
    submission = Varchar(length=40, default="")  # the form's key: sent twice, asked once


class BankStatement(Table, tablename="bank_statement"):
    """An imported camt.053 or camt.054 file."""

    file_name = Varchar(length=200)
    message_id = Varchar(length=100, default="")
    digest = Varchar(length=64)
    entries = Integer(default=0)
    credited = Integer(default=0)
    queued = Integer(default=0)
    imported_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    imported_at = Timestamptz(default=TimestamptzNow())


class BankEntry(Table, tablename="bank_entry"):
    """A credit of a bank statement, imported once (by the bank's reference): credited to the
    payment request it pays, or queued for staff with the reason."""

    statement = ForeignKey(BankStatement, on_delete=OnDelete.restrict)
    bank_reference = Varchar(length=120, unique=True)
    amount = Numeric(digits=MONEY)
    currency = Varchar(length=3)
    reference = Varchar(length=60, default="")
    booked_on = Date(null=True, default=None)
    debtor = Varchar(length=140, default="")
    status = Varchar(length=20, choices=BankEntryStatus)
    reason = Varchar(length=30, default="")  # rules.Unmatched
    payment_request = ForeignKey(
        PaymentRequest, on_delete=OnDelete.restrict, null=True, default=None
    )
    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, null=True, default=None)
    decided_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    note = Text(default="")


class PayoutExport(Table, tablename="payout_export"):
    """A file for the bank (pain.001) or PayPal (mass payment) with the approved payouts."""

    method = Varchar(length=10, choices=PayoutMethod)
    currency = Varchar(length=3)
    file_name = Varchar(length=100)
    content = Text()
    payouts = Integer()
    total = Numeric(digits=MONEY)
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Payout(Table, tablename="payout"):
    """A payout asked for by a person with billing rights: reserved at once on the ledger,
    approved or rejected by staff (not the requester), then exported."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict)
    currency = Varchar(length=3)
    amount = Numeric(digits=MONEY)
    method = Varchar(length=10, choices=PayoutMethod)
    destination = Varchar(length=100)
    holder = Varchar(length=140, default="")  # the account holder's name (bank)
    status = Varchar(length=20, default=PayoutStatus.REQUESTED, choices=PayoutStatus)
    requested_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    requested_at = Timestamptz(default=TimestamptzNow())
    decided_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    note = Text(default="")
    export = ForeignKey(PayoutExport, on_delete=OnDelete.restrict, null=True, default=None)
    submission = Varchar(length=40, default="")  # the form's key: sent twice, asked once
