"""Money rules (docs/rules.md, Money), exact to the cent: tiers, reseller prices, the volume
discount, who pays and who earns cashback or a discount, VAT, the prepaid ledger and affiliate
commissions. Amounts are Decimal; rounding is half-up to 0.01 at the defined steps only."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from stdnum.ch import esr
from stdnum.iso7064 import mod_97_10

from portal.money import money

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_PARTNER_RATE = Decimal("0.35")
TIER_NAME_MAX = 40  # shown as a badge; the directory keeps it in directory_listing.tier


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- tiers and volume discount (configuration rows, handed in) ------------------------------


@dataclass(frozen=True)
class Tier:
    name: str
    rate: Decimal  # 0.20 = 20 %
    threshold: Decimal  # annual managed volume from which the tier applies, in its currency


def tier_for(tiers: Sequence[Tier], volume: Decimal) -> Tier | None:
    reached = [tier for tier in tiers if volume >= tier.threshold]
    return max(reached, key=lambda tier: tier.threshold, default=None)


def next_tier(tiers: Sequence[Tier], volume: Decimal) -> tuple[Tier, Decimal] | None:
    """The next tier up and how much more volume reaches it."""
    ahead = sorted((t for t in tiers if t.threshold > volume), key=lambda t: t.threshold)
    return (ahead[0], ahead[0].threshold - volume) if ahead else None


def tier_problems(tiers: Sequence[Tier]) -> list[str]:
    problems = []
    if any(not ZERO <= tier.rate <= MAX_PARTNER_RATE for tier in tiers):
        problems.append("A partner rate is between 0 % and 35 %.")
    thresholds = [tier.threshold for tier in tiers]
    if len(set(thresholds)) != len(thresholds):
        problems.append("Two tiers have the same threshold.")
    ordered = sorted(tiers, key=lambda tier: tier.threshold)
    if any(a.rate > b.rate for a, b in zip(ordered, ordered[1:], strict=False)):
        problems.append("A higher threshold cannot give a lower rate.")
    return problems


@dataclass(frozen=True)
class VolumeStep:
    minimum_count: int  # from this many web or mail hostings
    rate: Decimal


VOLUME_DISCOUNT_FAMILIES = frozenset({"web_hosting", "mail_service"})


def volume_discount_rate(steps: Sequence[VolumeStep], count: int) -> Decimal:
    reached = [step for step in steps if count >= step.minimum_count]
    return max(reached, key=lambda step: step.minimum_count).rate if reached else ZERO


# --- prices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    public: Decimal  # the regular price, line amount, excl. VAT
    after_volume_discount: Decimal  # what anyone pays after the volume discount
    reseller: Decimal  # after the partner rate too (multiplicative)

    @property
    def partner_margin(self) -> Decimal:
        """Cashback (or discount) = the price before the partner rate − the reseller price."""
        return self.after_volume_discount - self.reseller


def price_line(public: Decimal, partner_rate: Decimal, volume_rate: Decimal = ZERO) -> Price:
    """Partner rate and volume discount stack multiplicatively; each price is rounded to the
    cent (docs/rules.md, Money): 347.20 − 20 % = 277.76, − 25 % on that = 208.32."""
    after_volume = to_cents(public * (1 - volume_rate))
    reseller = to_cents(public * (1 - partner_rate) * (1 - volume_rate))
    return Price(to_cents(public), after_volume, reseller)


# --- periods and renewals ---------------------------------------------------------------------


class Period(StrEnum):
    MONTHLY = "monthly"
    YEARLY = "yearly"


PERIOD_MONTHS = {Period.MONTHLY: 1, Period.YEARLY: 12}


def add_months(day: date, months: int) -> date:
    """The same day MONTHS later, clamped to the end of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def period_end(anchor: date, start: date, period: str) -> date:
    """The end of the period that starts on START, for a product whose periods follow the
    calendar from ANCHOR (the day it started): 31 Jan → 28/29 Feb → 31 Mar, with no drift,
    because every end is counted from the anchor, never from the previous (clamped) end."""
    return add_months(anchor, months_between(anchor, start) + PERIOD_MONTHS[Period(period)])


# --- who pays, and what the partner earns -----------------------------------------------------


class Orderer(StrEnum):
    CLIENT = "client"
    PARTNER = "partner"


class Payer(StrEnum):
    CLIENT = "client"
    PARTNER = "partner"


class Benefit(StrEnum):
    CASHBACK = "cashback"  # credited to the partner's prepaid account
    DISCOUNT = "discount"  # the partner pays the reseller price directly
    NONE = "none"


@dataclass(frozen=True)
class OrderContext:
    """An order or renewal of a client's product, and the link (if any) covering it."""

    orderer: Orderer
    access: str | None  # "full", "restricted" or None when no partner manages the product
    billing_mode: str | None  # "client" | "partner" on a full link
    covered: bool  # the product is one the partner manages


class NotAllowed(Exception):
    """An order the link does not allow (e.g. a restricted partner ordering for its client)."""


@dataclass(frozen=True)
class Settlement:
    payer: Payer
    benefit: Benefit
    charged: Decimal  # what the payer is invoiced (excl. VAT)
    cashback: Decimal
    discount: Decimal


def settle(order: OrderContext, price: Price) -> Settlement:
    """Who pays and what the partner earns (docs/rules.md, Money), case by case."""
    if order.access is None or not order.covered:
        if order.orderer is Orderer.PARTNER:
            raise NotAllowed("The partner does not manage this product.")
        return Settlement(Payer.CLIENT, Benefit.NONE, price.after_volume_discount, ZERO, ZERO)
    if order.access == "restricted":
        if order.orderer is Orderer.PARTNER:
            raise NotAllowed("With restricted access the partner cannot order for the client.")
        return _cashback(price)
    partner_pays = order.billing_mode == "partner" and order.orderer is Orderer.PARTNER
    if partner_pays:
        return Settlement(
            Payer.PARTNER, Benefit.DISCOUNT, price.reseller, ZERO, price.partner_margin
        )
    return _cashback(price)


def _cashback(price: Price) -> Settlement:
    return Settlement(
        Payer.CLIENT, Benefit.CASHBACK, price.after_volume_discount, price.partner_margin, ZERO
    )


# --- order lines: quantities -----------------------------------------------------------------

ORDER_QUANTITY_MAX = 500


@dataclass(frozen=True)
class PricedLine:
    """One line of an invoice: QUANTITY products of one offer, priced together so that the
    line amounts are exact (35 × 9.92 = 347.20 public, 208.32 after 20 % and 25 %)."""

    unit_price: Decimal
    quantity: int
    partner_rate: Decimal
    volume_rate: Decimal
    price: Price
    settlement: Settlement


def price_order_line(
    unit_price: Decimal,
    quantity: int,
    order: OrderContext,
    partner_rate: Decimal,
    volume_rate: Decimal = ZERO,
) -> PricedLine:
    """The line's public amount is the unit price times the quantity; the partner rate and
    the volume discount apply to that amount, each price rounded to the cent once."""
    if not 1 <= quantity <= ORDER_QUANTITY_MAX:
        raise ValueError(f"quantity {quantity} is outside 1–{ORDER_QUANTITY_MAX}")
    price = price_line(unit_price * quantity, partner_rate, volume_rate)
    return PricedLine(unit_price, quantity, partner_rate, volume_rate, price, settle(order, price))


def hostings_counted(existing: int, family: str, new_quantity: int) -> int:
    """The volume discount counts the client's web and mail hostings, the ordered ones too."""
    return existing + (new_quantity if family in VOLUME_DISCOUNT_FAMILIES else 0)


# --- VAT -------------------------------------------------------------------------------------


def _valid_eu_vat(number: str) -> bool:
    from stdnum.eu import vat

    return vat.is_valid(number)


def valid_eu_vat_number(number: str) -> bool:
    """For VAT: an EU company with a valid intra-community number is reverse-charged."""
    return bool(number.strip()) and _valid_eu_vat(number)


class VatRule(StrEnum):
    SWISS = "swiss_vat"
    REVERSE_CHARGE = "eu_reverse_charge"
    DESTINATION = "eu_destination_vat"
    EXPORT = "export_no_vat"


SWISS_VAT_RATE = Decimal("0.081")
SWISS_VAT_COUNTRIES = frozenset({"CH", "LI"})
EU_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


@dataclass(frozen=True)
class Vat:
    rule: VatRule
    rate: Decimal


@dataclass(frozen=True)
class VatRate:
    """A country's standard rate from a day on; the rate in force is the latest one started."""

    country: str
    rate: Decimal
    effective_from: date


MAX_VAT_RATE = Decimal("0.30")


class UnknownVatRate(Exception):
    """No rate is configured for the buyer's country: the invoice is refused, never 0 %."""

    def __init__(self, country: str) -> None:
        super().__init__(
            f"No VAT rate is configured for {country}: the invoice cannot be issued. "
            "The host's staff add it under VAT rates."
        )
        self.country = country


def rates_in_force(table: Iterable[VatRate], day: date) -> dict[str, Decimal]:
    """Each country's rate on DAY: the one with the latest start on or before it."""
    started: dict[str, VatRate] = {}
    for rate in table:
        if rate.effective_from <= day:
            known = started.get(rate.country)
            if known is None or rate.effective_from > known.effective_from:
                started[rate.country] = rate
    return {country: rate.rate for country, rate in started.items()}


def vat_table_problems(table: Sequence[VatRate]) -> list[str]:
    problems = []
    if any(rate.country not in EU_COUNTRIES for rate in table):
        problems.append("VAT rates are configured for the countries of the EU only.")
    if any(not ZERO <= rate.rate <= MAX_VAT_RATE for rate in table):
        problems.append("A VAT rate is between 0 % and 30 %.")
    starts = [(rate.country, rate.effective_from) for rate in table]
    if len(set(starts)) != len(starts):
        problems.append("A country has two rates starting on the same day.")
    return problems


def vat_for(
    country: str, has_valid_eu_vat_number: bool, destination_rates: Mapping[str, Decimal]
) -> Vat:
    """Swiss and Liechtenstein organisations pay Swiss VAT; an EU company with a valid
    intra-community number is reverse-charged; other EU buyers pay their country's rate in
    force (none configured: UnknownVatRate, never 0 %); elsewhere none."""
    if country in SWISS_VAT_COUNTRIES:
        return Vat(VatRule.SWISS, SWISS_VAT_RATE)
    if country in EU_COUNTRIES:
        if has_valid_eu_vat_number:
            return Vat(VatRule.REVERSE_CHARGE, ZERO)
        if country not in destination_rates:
            raise UnknownVatRate(country)
        return Vat(VatRule.DESTINATION, destination_rates[country])
    return Vat(VatRule.EXPORT, ZERO)


@dataclass(frozen=True)
class InvoiceTotals:
    net: Decimal
    vat: Decimal
    gross: Decimal


def invoice_totals(line_amounts: Iterable[Decimal], vat_rate: Decimal) -> InvoiceTotals:
    """Lines are already in cents; VAT is computed once per invoice and rounded, so the lines
    always sum to the invoice."""
    net = sum(line_amounts, ZERO)
    vat = to_cents(net * vat_rate)
    return InvoiceTotals(net, vat, net + vat)


# --- prepaid account -------------------------------------------------------------------------

DEPOSIT_MIN = Decimal("0.10")
DEPOSIT_MAX = Decimal("9999.00")
CURRENCIES = ("CHF", "EUR")


class SettingKind(StrEnum):
    """The programme's settings, each kept in versions (programme_setting)."""

    TIERS = "tiers"
    VOLUME_DISCOUNT = "volume_discount"
    VAT_RATES = "vat_rates"
    RENEWAL_POLICY = "renewal_policy"  # per product family (docs/rules.md, Renewals)


class EntryKind(StrEnum):
    DEPOSIT = "deposit"  # a payment request the bank statement showed paid
    CASHBACK = "cashback"
    CLAWBACK = "clawback"  # cashback taken back by a credit note
    PAYMENT = "payment"  # of invoices, from the balance
    REFUND = "refund"  # a credit note of an invoice paid from the balance
    PAYOUT = "payout"  # reserved when requested
    PAYOUT_RELEASED = "payout_released"  # a rejected payout gives its reservation back
    CORRECTION = "correction"


ENTRY_LABELS = {
    EntryKind.DEPOSIT: "Deposit",
    EntryKind.CASHBACK: "Cashback",
    EntryKind.CLAWBACK: "Cashback reversed",
    EntryKind.PAYMENT: "Payment",
    EntryKind.REFUND: "Refund",
    EntryKind.PAYOUT: "Payout",
    EntryKind.PAYOUT_RELEASED: "Payout rejected",
    EntryKind.CORRECTION: "Correction",
}


def deposit_problem(amount: Decimal, currency: str = "CHF") -> str | None:
    if amount != to_cents(amount):
        return "Enter an amount in francs or euros and cents (at most 2 decimals)."
    if not DEPOSIT_MIN <= amount <= DEPOSIT_MAX:
        return (
            f"A deposit is between {money(DEPOSIT_MIN, currency)} "
            f"and {money(DEPOSIT_MAX, currency)}."
        )
    return None


def balance(entries: Iterable[Decimal]) -> Decimal:
    """The balance is the sum of the ledger (kept per account by the database as entries are
    added, and checked against this sum in the tests)."""
    return sum(entries, ZERO)


def withdrawal_problem(current_balance: Decimal, amount: Decimal, currency: str) -> str | None:
    if amount <= ZERO or amount != to_cents(amount):
        return "Enter a positive amount with at most 2 decimals."
    if amount > current_balance:
        return f"The balance ({money(current_balance, currency)}) does not cover this amount."
    return None


# --- payment requests: the QR-bill's structured reference --------------------------------------


def is_qr_iban(iban: str) -> bool:
    """A QR-IBAN (institution id 30000–31999) takes a QR reference (QRR), any other IBAN a
    creditor reference (ISO 11649, SCOR)."""
    compact = iban.replace(" ", "").upper()
    return compact[:2] in {"CH", "LI"} and 30000 <= int(compact[4:9] or 0) <= 31999


def payment_reference(request_id: int, qr_iban: bool) -> str:
    """A unique, checkable reference per payment request: QRR (26 digits and a check digit)
    for a QR-IBAN, else SCOR: RF, two check digits and PP followed by the request number."""
    if qr_iban:
        body = f"{request_id:026d}"
        return body + esr.calc_check_digit(body)
    body = f"PP{request_id:010d}"
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def normalised_reference(reference: str) -> str:
    return "".join(reference.split()).upper()


def request_id_of(reference: str) -> int | None:
    """The payment request a reference names, if it is one of ours and its check digits hold."""
    compact = normalised_reference(reference)
    if compact.startswith("RF"):
        body = compact[4:]
        if body.startswith("PP") and body[2:].isdigit() and mod_97_10.is_valid(body + compact[:4]):
            return int(body[2:])
        return None
    if len(compact) == 27 and compact.isdigit() and esr.is_valid(compact):
        return int(compact[:-1])
    return None


class PaymentRequestStatus(StrEnum):
    PENDING = "pending"  # awaiting payment
    PAID = "paid"  # a bank statement showed it paid


# --- bank statements: which credit pays which request -----------------------------------------


class BankEntryStatus(StrEnum):
    CREDITED = "credited"  # paid the request it named
    QUEUED = "queued"  # waits for staff, with its reason
    ASSIGNED = "assigned"  # staff credited it to an organisation
    REFUNDED = "refunded"  # staff sent it back to its payer


class Unmatched(StrEnum):
    """Why a credit of the bank statement waits in the staff's queue."""

    UNKNOWN_REFERENCE = "unknown_reference"
    WRONG_AMOUNT = "wrong_amount"
    WRONG_CURRENCY = "wrong_currency"
    ALREADY_PAID = "already_paid"


UNMATCHED_REASONS = {
    Unmatched.UNKNOWN_REFERENCE: "The reference names no payment request.",
    Unmatched.WRONG_AMOUNT: "The amount paid is not the amount requested.",
    Unmatched.WRONG_CURRENCY: "The currency paid is not the currency requested.",
    Unmatched.ALREADY_PAID: "The payment request was paid already: a second payment.",
}


@dataclass(frozen=True)
class BankCredit:
    bank_reference: str  # the bank's own reference of the entry: one entry is imported once
    amount: Decimal
    currency: str
    reference: str  # the structured creditor reference the payer gave
    booked_on: date | None
    debtor: str


@dataclass(frozen=True)
class PaymentRequestState:
    amount: Decimal
    currency: str
    paid: bool


def unmatched_reason(credit: BankCredit, request: PaymentRequestState | None) -> Unmatched | None:
    """None: the credit pays the request and is credited to its account."""
    if request is None:
        return Unmatched.UNKNOWN_REFERENCE
    if request.paid:
        return Unmatched.ALREADY_PAID
    if credit.currency != request.currency:
        return Unmatched.WRONG_CURRENCY
    if credit.amount != request.amount:
        return Unmatched.WRONG_AMOUNT
    return None


# --- payouts ----------------------------------------------------------------------------------


class PayoutStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPORTED = "exported"


PAYOUT_STATUS_LABELS = {
    PayoutStatus.REQUESTED: "Requested",
    PayoutStatus.APPROVED: "Approved",
    PayoutStatus.REJECTED: "Rejected",
    PayoutStatus.EXPORTED: "Exported",
}


class PayoutMethod(StrEnum):
    IBAN = "iban"
    PAYPAL = "paypal"


PAYOUT_METHODS = tuple(PayoutMethod)


def payout_decision_problem(status: str, requested_by: int | None, deciding: int) -> str | None:
    """Staff approve or reject a requested payout; never the person who asked for it."""
    if status != PayoutStatus.REQUESTED:
        return "This payout was decided already."
    if requested_by == deciding:
        return "A payout is approved by someone other than the person who requested it."
    return None


# --- credit notes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditedLine:
    line_id: int
    amount: Decimal
    cashback: Decimal
    discount: Decimal
    public_price: Decimal


def credit_note_lines(lines: Sequence[CreditedLine]) -> list[CreditedLine]:
    """A credit note repeats the credited lines with negative amounts."""
    return [
        CreditedLine(line.line_id, -line.amount, -line.cashback, -line.discount, -line.public_price)
        for line in lines
    ]


# --- affiliates ------------------------------------------------------------------------------

AFFILIATE_LADDER = (
    (Decimal("20000"), Decimal("0.50")),
    (Decimal("1000"), Decimal("0.35")),
    (Decimal("50"), Decimal("0.30")),
    (ZERO, Decimal("0.25")),
)
AFFILIATE_WINDOW_DAYS = 365
AFFILIATE_PAYOUT_MINIMUM = Decimal("50")


def affiliate_rate(cumulative_earnings: Decimal) -> Decimal:
    """25 %, rising to 30 % from 50 of cumulative earnings, 35 % from 1,000, 50 % from
    20,000 — earnings before the order decide its rate."""
    return next(rate for floor, rate in AFFILIATE_LADDER if cumulative_earnings >= floor)


def affiliate_commission(
    order_amount: Decimal, cumulative_earnings: Decimal, days_since_referral: int
) -> Decimal:
    if not 0 <= days_since_referral <= AFFILIATE_WINDOW_DAYS:
        return ZERO
    return to_cents(order_amount * affiliate_rate(cumulative_earnings))


def affiliate_payout_due(unpaid: Decimal) -> bool:
    return unpaid >= AFFILIATE_PAYOUT_MINIMUM


@dataclass(frozen=True)
class ReferredOrder:
    day: date
    amount: Decimal  # net amount the referred customer paid
    referred_on: date


@dataclass(frozen=True)
class Commission:
    day: date
    amount: Decimal
    rate: Decimal
    commission: Decimal


def commission_schedule(orders: Iterable[ReferredOrder]) -> list[Commission]:
    """Commissions in the order earned: each order's rate follows the affiliate's cumulative
    earnings before it, over all its referrals."""
    earned, schedule = ZERO, []
    for order in sorted(orders, key=lambda o: o.day):
        days = (order.day - order.referred_on).days
        commission = affiliate_commission(order.amount, earned, days)
        schedule.append(Commission(order.day, order.amount, affiliate_rate(earned), commission))
        earned += commission
    return schedule
