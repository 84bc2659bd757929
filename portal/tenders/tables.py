"""Tenders (requests for quotes), whom each was routed to, the partners' quotes, and each
partner's tender settings. Constraints the database enforces (one quote per partner, one
accepted quote per tender) are in the raw-SQL migration."""

from piccolo.columns import (
    Array,
    ForeignKey,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.organisations.tables import Organisation
from portal.tenders.rules import QuoteStatus, TenderStatus


class Tender(Table, tablename="tender"):
    title = Varchar(length=150)
    description = Text()
    category = Varchar(length=30)
    budget_min = Numeric(digits=(12, 2))
    budget_max = Numeric(digits=(12, 2))
    currency = Varchar(length=3)
    language = Varchar(length=5)
    country = Varchar(length=2)
    region = Varchar(length=10, default="")
    deadline = Timestamptz()
    status = Varchar(length=20, default=TenderStatus.UNCONFIRMED, choices=TenderStatus)
    # the author: hidden from partners until the author accepts their quote
    author_name = Varchar(length=200)
    author_email = Varchar(length=320)
    author_phone = Varchar(length=40, default="")
    author_company = Varchar(length=200, default="")
    author_organisation = ForeignKey(
        Organisation, on_delete=OnDelete.set_null, null=True, default=None
    )
    author_account = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    author_ip = Varchar(length=64, default="")
    confirm_token_hash = Varchar(length=64, null=True, default=None)
    # the private link is an HMAC of the id and this nonce: it can be mailed again, yet the
    # database alone does not reveal it
    manage_nonce = Varchar(length=32, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class TenderRecipient(Table, tablename="tender_recipient"):
    """One row per partner organisation the tender was routed to."""

    tender = ForeignKey(Tender, on_delete=OnDelete.cascade)
    partner = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    notified_at = Timestamptz(default=TimestamptzNow())  # routed to it
    mailed_at = Timestamptz(null=True, default=None)  # its managers were mailed (by a job)
    read_at = Timestamptz(null=True, default=None)


class Quote(Table, tablename="quote"):
    tender = ForeignKey(Tender, on_delete=OnDelete.cascade)
    partner = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    status = Varchar(length=20, default=QuoteStatus.SUBMITTED, choices=QuoteStatus)
    price = Numeric(digits=(12, 2))
    currency = Varchar(length=3)
    timeline = Varchar(length=200)
    message = Text(default="")
    commitment_at = Timestamptz()  # the partner ticked: only the host's products for this contract
    submitted_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)


class TenderPreference(Table, tablename="tender_preference"):
    """A partner's opt-in: categories it wants, and optionally languages and regions."""

    partner = ForeignKey(Organisation, on_delete=OnDelete.cascade, unique=True)
    categories = Array(Varchar(length=30), default=list)
    languages = Array(Varchar(length=5), default=list)
    regions = Array(Varchar(length=10), default=list)
    updated_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
