"""Money rules (docs/rules.md, Money), exact to the cent: tiers, reseller prices, the volume
discount, who pays and who earns cashback or a discount, VAT, the prepaid ledger and affiliate
commissions. Amounts are Decimal; rounding is half-up to 0.01 at the defined steps only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

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


# --- renewals --------------------------------------------------------------------------------


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


def vat_for(
    country: str, has_valid_eu_vat_number: bool, destination_rates: dict[str, Decimal]
) -> Vat:
    """Swiss organisations pay Swiss VAT; an EU company with a valid intra-community number is
    reverse-charged; other EU buyers pay their country's configured rate; elsewhere none."""
    if country in SWISS_VAT_COUNTRIES:
        return Vat(VatRule.SWISS, SWISS_VAT_RATE)
    if country in EU_COUNTRIES:
        if has_valid_eu_vat_number:
            return Vat(VatRule.REVERSE_CHARGE, ZERO)
        return Vat(VatRule.DESTINATION, destination_rates.get(country, ZERO))
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


class SettingKind(StrEnum):
    """The programme's settings, each kept in versions (programme_setting)."""

    TIERS = "tiers"
    VOLUME_DISCOUNT = "volume_discount"
    VAT_RATES = "vat_rates"


class EntryKind(StrEnum):
    DEPOSIT = "deposit"
    CASHBACK = "cashback"
    PAYMENT = "payment"
    PAYOUT = "payout"
    CORRECTION = "correction"


def deposit_problem(amount: Decimal) -> str | None:
    if amount != to_cents(amount):
        return "Enter an amount in francs or euros and cents (at most 2 decimals)."
    if not DEPOSIT_MIN <= amount <= DEPOSIT_MAX:
        return f"A deposit is between {DEPOSIT_MIN} and {DEPOSIT_MAX:,.2f}."
    return None


def balance(entries: Iterable[Decimal]) -> Decimal:
    """The balance is the sum of the ledger, never a stored counter."""
    return sum(entries, ZERO)


def withdrawal_problem(current_balance: Decimal, amount: Decimal) -> str | None:
    if amount <= ZERO or amount != to_cents(amount):
        return "Enter a positive amount with at most 2 decimals."
    if amount > current_balance:
        return f"The balance ({current_balance:,.2f}) does not cover this amount."
    return None


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
