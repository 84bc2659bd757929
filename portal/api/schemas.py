"""What the API answers and takes, as msgspec structures: the OpenAPI document is made from
them, and every answer is checked against it by the tests. Amounts are exact decimal text
("1234.50"), rates too ("0.2000"); times are RFC 3339 in UTC, days ISO 8601."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

Money = Annotated[str, Meta(pattern=r"^-?[0-9]+\.[0-9]{2}$", examples=["1234.50"])]
Rate = Annotated[str, Meta(pattern=r"^-?[0-9]+\.[0-9]{4}$", examples=["0.2000"])]
Name = Annotated[str, Meta(min_length=1, max_length=200)]


def money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)).quantize(Decimal('0.01'))}"


def rate(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)).quantize(Decimal('0.0001'))}"


class Struct(msgspec.Struct, kw_only=True):
    pass


class Organisation(Struct):
    id: int
    name: str
    country: str
    currency: str
    partner_status: str
    token_scopes: list[str]


class OrganisationRef(Struct):
    id: int
    name: str


class Client(Struct):
    """A client of the partner, through the active link that ties them."""

    link_id: int
    client: OrganisationRef
    country: str
    access: str  # full | restricted
    billing_mode: str | None  # client | partner (full access)
    families: list[str]
    product_count: int
    collaborators: list[str]
    since: datetime | None


class ClientPage(Struct):
    data: list[Client]
    next_cursor: str | None


class Link(Struct):
    """A link between a partner and a client, as either side sees it."""

    id: int
    partner: OrganisationRef
    client: OrganisationRef | None  # None while an emailed invitation waits
    status: str
    initiated_by: str
    access: str | None
    families: list[str]
    billing_mode: str | None
    delegated_product_ids: list[int]
    created_at: datetime
    decided_at: datetime | None
    ended_at: datetime | None


class LinkPage(Struct):
    data: list[Link]
    next_cursor: str | None


class Product(Struct):
    id: int
    name: str
    offer: str
    family: str
    period: str
    status: str
    started_on: date
    renews_on: date


class ProductPage(Struct):
    data: list[Product]
    next_cursor: str | None


class RenameProduct(Struct):
    name: Name


class Invoice(Struct):
    """An invoice, or a credit note (kind credit_note: negative amounts)."""

    id: int
    number: str
    kind: str  # invoice | credit_note
    issued_on: date
    client: OrganisationRef
    currency: str
    net: Money
    vat: Money
    gross: Money
    vat_rule: str


class InvoiceLine(Struct):
    position: int
    description: str
    family: str
    service_from: date
    service_to: date
    ordered_by: str
    public_price: Money
    volume_rate: Rate
    partner_rate: Rate
    amount: Money
    cashback: Money
    discount: Money


class InvoiceDetail(Invoice):
    vat_rate: Rate
    paid_at: datetime | None
    lines: list[InvoiceLine]


class InvoicePage(Struct):
    data: list[Invoice]
    next_cursor: str | None


class Balance(Struct):
    currency: str
    balance: Money


class Balances(Struct):
    data: list[Balance]


class LedgerEntry(Struct):
    id: int
    kind: str
    amount: Money
    currency: str
    reference: str | None  # None: about a client not given to the token's owner
    invoice_number: str | None
    created_at: datetime


class LedgerPage(Struct):
    data: list[LedgerEntry]
    next_cursor: str | None


class ReportLine(Struct):
    """One invoice line of a partner's billing report (docs/rules.md, Billing reports). A
    line the partner only earned cashback on shows no invoice number, price, amount or VAT."""

    issued_on: date
    invoice_id: int
    invoice_number: str
    position: int
    client: OrganisationRef
    product: str
    family: str
    service_from: date
    service_to: date
    public_price: Money
    volume_rate: Rate
    partner_rate: Rate
    amount: Money
    discount: Money
    cashback: Money
    vat_rule: str
    vat_rate: Rate
    invoice_vat: Money
    currency: str
    paid_by: str  # partner | client
    in_full: bool  # False: only the cashback is the partner's to see


class ReportLinePage(Struct):
    data: list[ReportLine]
    next_cursor: str | None


class Tender(Struct):
    id: int
    title: str
    category: str
    budget_min: Money | None
    budget_max: Money | None
    currency: str
    language: str
    country: str
    region: str
    deadline: datetime
    status: str
    new: bool
    quote_status: str | None


class TenderPage(Struct):
    data: list[Tender]
    next_cursor: str | None


class Quote(Struct):
    id: int
    status: str
    price: Money
    currency: str
    timeline: str
    message: str
    created_at: datetime
    updated_at: datetime


class TenderDetail(Tender):
    description: str
    may_answer: bool
    quote: Quote | None


class NewQuote(Struct):
    """A quote: the price, a timeline and a message, and the commitment that for this
    contract only the host's products are used (it must be true)."""

    price: Annotated[str, Meta(max_length=40, examples=["1500.00"])]
    currency: Annotated[str, Meta(max_length=3, examples=["CHF"])]
    timeline: Annotated[str, Meta(max_length=2000)]
    message: Annotated[str, Meta(max_length=10000)]
    only_host_products: bool


class FeedFile(Struct):
    format: str  # csv | parquet
    url: str
    bytes: int
    sha256: str


class FeedVersion(Struct):
    """A version of a closed month's billing feed (docs/rules.md, The billing feed)."""

    period: str  # YYYY-MM
    version: int
    rows: int
    corrections: int
    reason: str
    created_at: datetime
    files: list[FeedFile]


class FeedVersionPage(Struct):
    data: list[FeedVersion]
    next_cursor: str | None
