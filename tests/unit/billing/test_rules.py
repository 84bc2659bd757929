"""Money rules, exact to the cent (docs/rules.md, Money)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.billing.rules import (
    Benefit,
    NotAllowed,
    OrderContext,
    Orderer,
    Payer,
    Tier,
    VatRule,
    VolumeStep,
    affiliate_commission,
    affiliate_payout_due,
    affiliate_rate,
    balance,
    deposit_problem,
    invoice_totals,
    next_tier,
    price_line,
    settle,
    tier_for,
    tier_problems,
    vat_for,
    volume_discount_rate,
    withdrawal_problem,
)

TIERS = [
    Tier("Bronze", D("0.20"), D("2000")),
    Tier("Silver", D("0.25"), D("10000")),
    Tier("Gold", D("0.30"), D("30000")),
    Tier("Platinum", D("0.35"), D("100000")),
]
STEPS = [
    VolumeStep(5, D("0.05")),
    VolumeStep(10, D("0.10")),
    VolumeStep(20, D("0.15")),
    VolumeStep(30, D("0.25")),
]


def test_the_worked_example_of_the_spec():
    """35 web hostings at CHF 347.20/month; 20 % partner rate → 277.76; 25 % volume → 208.32."""
    assert price_line(D("347.20"), D("0.20")).reseller == D("277.76")
    assert volume_discount_rate(STEPS, 35) == D("0.25")
    price = price_line(D("347.20"), D("0.20"), volume_discount_rate(STEPS, 35))
    assert price.reseller == D("208.32")
    assert (1 - price.reseller / D("347.20")).quantize(D("0.01")) == D("0.40")


def test_tiers_follow_the_managed_volume():
    assert tier_for(TIERS, D("1999.99")) is None
    assert tier_for(TIERS, D("2000.00")).rate == D("0.20")
    assert tier_for(TIERS, D("28760")).name == "Silver"
    assert next_tier(TIERS, D("28760")) == (TIERS[2], D("1240"))
    assert next_tier(TIERS, D("100000")) is None


def test_tier_tables_are_checked():
    assert tier_problems(TIERS) == []
    assert tier_problems([Tier("Too much", D("0.36"), D("1"))])
    assert tier_problems([Tier("A", D("0.30"), D("1")), Tier("B", D("0.20"), D("2"))])


PRICE = price_line(D("100.00"), D("0.20"))


@pytest.mark.parametrize(
    ("order", "payer", "benefit", "charged", "cashback", "discount"),
    [
        # full access, client's payment methods: client orders → cashback
        (
            OrderContext(Orderer.CLIENT, "full", "client", True),
            Payer.CLIENT,
            Benefit.CASHBACK,
            D("100.00"),
            D("20.00"),
            D("0"),
        ),
        # full access, client's payment methods: partner orders for the client → cashback
        (
            OrderContext(Orderer.PARTNER, "full", "client", True),
            Payer.CLIENT,
            Benefit.CASHBACK,
            D("100.00"),
            D("20.00"),
            D("0"),
        ),
        # full access, partner's payment methods: client orders itself → cashback
        (
            OrderContext(Orderer.CLIENT, "full", "partner", True),
            Payer.CLIENT,
            Benefit.CASHBACK,
            D("100.00"),
            D("20.00"),
            D("0"),
        ),
        # full access, partner's payment methods: partner orders → discount, no cashback
        (
            OrderContext(Orderer.PARTNER, "full", "partner", True),
            Payer.PARTNER,
            Benefit.DISCOUNT,
            D("80.00"),
            D("0"),
            D("20.00"),
        ),
        # restricted: client orders a product the partner manages → cashback
        (
            OrderContext(Orderer.CLIENT, "restricted", None, True),
            Payer.CLIENT,
            Benefit.CASHBACK,
            D("100.00"),
            D("20.00"),
            D("0"),
        ),
        # restricted: a product the partner does not manage → nothing
        (
            OrderContext(Orderer.CLIENT, "restricted", None, False),
            Payer.CLIENT,
            Benefit.NONE,
            D("100.00"),
            D("0"),
            D("0"),
        ),
        # no partner at all → nothing
        (
            OrderContext(Orderer.CLIENT, None, None, False),
            Payer.CLIENT,
            Benefit.NONE,
            D("100.00"),
            D("0"),
            D("0"),
        ),
    ],
)
def test_the_cashback_and_discount_matrix(order, payer, benefit, charged, cashback, discount):
    settlement = settle(order, PRICE)
    assert (settlement.payer, settlement.benefit) == (payer, benefit)
    assert (settlement.charged, settlement.cashback, settlement.discount) == (
        charged,
        cashback,
        discount,
    )


def test_a_restricted_partner_cannot_order():
    with pytest.raises(NotAllowed):
        settle(OrderContext(Orderer.PARTNER, "restricted", None, True), PRICE)


amounts = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
rates = st.decimals(min_value=D("0"), max_value=D("0.35"), places=2)


@given(public=amounts, rate=rates, volume=st.sampled_from([D("0"), D("0.05"), D("0.25")]))
def test_cashback_plus_reseller_price_is_the_price_paid_by_the_client(public, rate, volume):
    price = price_line(public, rate, volume)
    assert price.partner_margin + price.reseller == price.after_volume_discount
    assert price.reseller <= price.after_volume_discount <= price.public
    assert price.reseller.as_tuple().exponent == -2


def test_vat_rules():
    assert vat_for("CH", False, {}).rate == D("0.081")
    assert vat_for("CH", False, {}).rule is VatRule.SWISS
    assert vat_for("FR", True, {"FR": D("0.20")}).rule is VatRule.REVERSE_CHARGE
    assert vat_for("FR", False, {"FR": D("0.20")}).rate == D("0.20")
    assert vat_for("US", False, {}).rule is VatRule.EXPORT


@given(lines=st.lists(amounts, min_size=1, max_size=20))
def test_lines_always_sum_to_their_invoice(lines):
    totals = invoice_totals(lines, D("0.081"))
    assert totals.net == sum(lines)
    assert totals.gross == totals.net + totals.vat
    assert abs(totals.vat - totals.net * D("0.081")) <= D("0.005")


@pytest.mark.parametrize(
    ("amount", "ok"),
    [
        (D("0.09"), False),
        (D("0.10"), True),
        (D("9999.00"), True),
        (D("9999.01"), False),
        (D("-5"), False),
        (D("1.005"), False),
    ],
)
def test_deposit_limits(amount, ok):
    assert (deposit_problem(amount) is None) is ok


@given(entries=st.lists(st.decimals(min_value=D("-1000"), max_value=D("1000"), places=2)))
def test_the_balance_is_the_sum_of_the_ledger(entries):
    assert balance(entries) == sum(entries, D("0"))


def test_a_payment_cannot_overdraw():
    assert withdrawal_problem(D("10.00"), D("10.01"), "CHF")
    assert withdrawal_problem(D("10.00"), D("10.00"), "CHF") is None


@pytest.mark.parametrize(
    ("earned", "rate"),
    [
        (D("0"), D("0.25")),
        (D("49.99"), D("0.25")),
        (D("50"), D("0.30")),
        (D("999.99"), D("0.30")),
        (D("1000"), D("0.35")),
        (D("19999.99"), D("0.35")),
        (D("20000"), D("0.50")),
    ],
)
def test_affiliate_ladder_edges(earned, rate):
    assert affiliate_rate(earned) == rate


def test_affiliate_commission_lasts_365_days_and_pays_from_50():
    assert affiliate_commission(D("100"), D("0"), 365) == D("25.00")
    assert affiliate_commission(D("100"), D("0"), 366) == D("0.00")
    assert not affiliate_payout_due(D("49.99"))
    assert affiliate_payout_due(D("50.00"))


def test_commission_schedule_climbs_the_ladder_with_cumulative_earnings():
    from datetime import date

    from portal.billing.rules import ReferredOrder, commission_schedule

    start = date(2026, 1, 1)
    orders = [
        ReferredOrder(date(2026, 2, 1), D("180"), start),  # 25 % → 45.00
        ReferredOrder(date(2026, 3, 1), D("100"), start),  # still 25 % (45 < 50) → 25.00
        ReferredOrder(date(2026, 4, 1), D("100"), start),  # 30 % (70 ≥ 50) → 30.00
        ReferredOrder(date(2027, 3, 1), D("100"), start),
    ]  # after 365 days → 0
    schedule = commission_schedule(orders)
    assert [c.commission for c in schedule] == [D("45.00"), D("25.00"), D("30.00"), D("0.00")]
    assert [c.rate for c in schedule][:3] == [D("0.25"), D("0.25"), D("0.30")]
