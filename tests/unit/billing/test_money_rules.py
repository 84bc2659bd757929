"""Calendar periods, VAT with effective dates, quantities, payment references, statement
matching and payout decisions (docs/rules.md, Money)."""

import calendar
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iso11649

from portal.billing.rules import (
    EU_COUNTRIES,
    BankCredit,
    CreditedLine,
    OrderContext,
    Orderer,
    PaymentRequestState,
    UnknownVatRate,
    Unmatched,
    VatRate,
    VatRule,
    VolumeStep,
    add_months,
    credit_note_lines,
    hostings_counted,
    invoice_totals,
    is_qr_iban,
    payment_reference,
    payout_decision_problem,
    period_end,
    price_order_line,
    rates_in_force,
    request_id_of,
    unmatched_reason,
    vat_for,
    vat_table_problems,
    volume_discount_rate,
)
from portal.money import money

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


# --- calendar periods ---------------------------------------------------------------------------


def test_a_month_after_the_31st_is_the_end_of_the_next_month_without_drift():
    anchor = date(2026, 1, 31)
    ends, start = [], anchor
    for _ in range(4):
        start = period_end(anchor, start, "monthly")
        ends.append(start)
    assert ends == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    assert period_end(date(2024, 1, 31), date(2024, 1, 31), "monthly") == date(2024, 2, 29)
    assert period_end(date(2024, 2, 29), date(2024, 2, 29), "yearly") == date(2025, 2, 28)
    assert period_end(date(2024, 2, 29), date(2027, 2, 28), "yearly") == date(2028, 2, 29)


@given(anchor=days, periods=st.integers(min_value=1, max_value=60))
def test_monthly_periods_follow_the_calendar_from_their_anchor(anchor, periods):
    start = anchor
    for n in range(1, periods + 1):
        end = period_end(anchor, start, "monthly")
        months = anchor.month - 1 + n
        year, month = anchor.year + months // 12, months % 12 + 1
        assert end == date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))
        assert 28 <= (end - start).days <= 31
        start = end  # each renewal starts where the previous period ended


@given(anchor=days, periods=st.integers(min_value=1, max_value=20))
def test_yearly_periods_never_drift(anchor, periods):
    start = anchor
    for _ in range(periods):
        end = period_end(anchor, start, "yearly")
        assert (end - start).days in (365, 366)
        assert end.month == anchor.month
        start = end
    assert start.year == anchor.year + periods


@given(day=days, months=st.integers(min_value=0, max_value=600))
def test_adding_months_clamps_to_the_end_of_the_month(day, months):
    later = add_months(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day == min(day.day, calendar.monthrange(later.year, later.month)[1])


# --- VAT ----------------------------------------------------------------------------------------

TABLE = [
    VatRate("FI", D("0.24"), date(2013, 1, 1)),
    VatRate("FI", D("0.255"), date(2024, 9, 1)),
    VatRate("SE", D("0.25"), date(1990, 7, 1)),
]


def test_the_rate_in_force_is_the_latest_started():
    assert rates_in_force(TABLE, date(2024, 8, 31))["FI"] == D("0.24")
    assert rates_in_force(TABLE, date(2024, 9, 1))["FI"] == D("0.255")
    assert "FI" not in rates_in_force(TABLE, date(2012, 12, 31))


def test_an_eu_buyer_without_a_known_rate_is_refused_never_zero():
    with pytest.raises(UnknownVatRate, match="No VAT rate is configured for DK"):
        vat_for("DK", False, rates_in_force(TABLE, date(2026, 1, 1)))
    assert vat_for("SE", False, rates_in_force(TABLE, date(2026, 1, 1))).rate == D("0.25")
    assert vat_for("SE", True, {}).rule is VatRule.REVERSE_CHARGE  # no rate needed
    assert vat_for("LI", False, {}).rate == D("0.081")  # Liechtenstein: Swiss VAT
    assert vat_for("US", False, {}).rule is VatRule.EXPORT


def test_the_configured_table_covers_the_27_member_states():
    from portal.billing.piccolo_migrations.billing_2026_12_03t12_31_00_000000 import (
        EU_VAT_RATES,
    )

    table = [VatRate(c, D(r), date.fromisoformat(d)) for c, r, d in EU_VAT_RATES]
    assert vat_table_problems(table) == []
    in_force = rates_in_force(table, date(2026, 12, 1))
    assert set(in_force) == EU_COUNTRIES and len(in_force) == 27
    assert in_force["SE"] == D("0.25") and in_force["HU"] == D("0.27")


def test_vat_tables_are_checked():
    assert vat_table_problems([VatRate("CH", D("0.081"), date(2024, 1, 1))])
    assert vat_table_problems([VatRate("DE", D("0.31"), date(2024, 1, 1))])
    twice = [VatRate("DE", D("0.19"), date(2024, 1, 1))] * 2
    assert vat_table_problems(twice)


# --- quantities ---------------------------------------------------------------------------------

STEPS = [VolumeStep(5, D("0.05")), VolumeStep(10, D("0.10")), VolumeStep(20, D("0.15"))]
STEPS.append(VolumeStep(30, D("0.25")))
CLIENT_ORDERS_FULL = OrderContext(Orderer.CLIENT, "full", "client", True)
PARTNER_PAYS = OrderContext(Orderer.PARTNER, "full", "partner", True)


def test_the_worked_example_as_one_order_of_35_hostings():
    count = hostings_counted(0, "web_hosting", 35)
    line = price_order_line(
        D("9.92"), 35, PARTNER_PAYS, D("0.20"), volume_discount_rate(STEPS, count)
    )
    assert line.price.public == D("347.20")
    assert line.settlement.charged == D("208.32")
    # one product at a time would have rounded each: 35 × 5.95 = 208.25
    single = price_order_line(D("9.92"), 1, PARTNER_PAYS, D("0.20"), D("0.25"))
    assert single.settlement.charged * 35 == D("208.25")


def _cents(value: D) -> D:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@given(
    unit=st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2),
    quantity=st.integers(min_value=1, max_value=500),
    partner=st.sampled_from([D("0"), D("0.20"), D("0.25"), D("0.30"), D("0.35")]),
    volume=st.sampled_from([D("0"), D("0.05"), D("0.10"), D("0.15"), D("0.25")]),
    vat=st.sampled_from([D("0"), D("0.081"), D("0.19"), D("0.255"), D("0.27")]),
    partner_pays=st.booleans(),
)
def test_lines_and_vat_match_an_independent_computation(
    unit, quantity, partner, volume, vat, partner_pays
):
    context = PARTNER_PAYS if partner_pays else CLIENT_ORDERS_FULL
    line = price_order_line(unit, quantity, context, partner, volume)
    public = unit * quantity  # exact: both have two decimals at most
    price_paid = _cents(public * (1 - volume))
    reseller = _cents(public * (1 - partner) * (1 - volume))
    assert line.settlement.charged == (reseller if partner_pays else price_paid)
    assert line.settlement.cashback == (D("0") if partner_pays else price_paid - reseller)
    assert line.settlement.discount == (price_paid - reseller if partner_pays else D("0"))
    totals = invoice_totals([line.settlement.charged, D("10.00")], vat)
    net = line.settlement.charged + D("10.00")
    assert (totals.net, totals.vat, totals.gross) == (
        net,
        _cents(net * vat),
        net + _cents(net * vat),
    )


def test_only_hostings_count_toward_the_volume_discount():
    assert hostings_counted(4, "web_hosting", 2) == 6
    assert hostings_counted(4, "mail_service", 1) == 5
    assert hostings_counted(4, "domain", 10) == 4
    with pytest.raises(ValueError):
        price_order_line(D("1.00"), 0, CLIENT_ORDERS_FULL, D("0"))
    with pytest.raises(ValueError):
        price_order_line(D("1.00"), 501, CLIENT_ORDERS_FULL, D("0"))


# --- payment references and matching ------------------------------------------------------------


@given(request_id=st.integers(min_value=1, max_value=2**31 - 1), qr=st.booleans())
def test_every_request_has_a_checkable_reference_of_its_own(request_id, qr):
    reference = payment_reference(request_id, qr)
    if qr:
        assert len(reference) == 27 and reference.isdigit()
    else:
        assert iso11649.is_valid(reference)
    assert request_id_of(reference) == request_id
    assert request_id_of(" ".join(reference[i : i + 4] for i in range(0, 27, 4))) == request_id
    tampered = reference[:-1] + ("1" if reference[-1] != "1" else "2")
    assert request_id_of(tampered) is None


def test_qr_ibans_are_recognised():
    assert is_qr_iban("CH44 3199 9123 0008 8901 2")
    assert not is_qr_iban("CH93 0076 2011 6238 5295 7")
    assert not is_qr_iban("DE89 3704 0044 0532 0130 00")


def credit(amount="50.00", currency="CHF") -> BankCredit:
    return BankCredit("BANK-1", D(amount), currency, "RF...", date(2026, 12, 1), "Anna")


def test_a_credit_pays_its_request_once_and_exactly():
    open_request = PaymentRequestState(D("50.00"), "CHF", paid=False)
    assert unmatched_reason(credit(), open_request) is None
    assert unmatched_reason(credit(), None) is Unmatched.UNKNOWN_REFERENCE
    assert unmatched_reason(credit("49.99"), open_request) is Unmatched.WRONG_AMOUNT
    assert unmatched_reason(credit(currency="EUR"), open_request) is Unmatched.WRONG_CURRENCY
    paid = PaymentRequestState(D("50.00"), "CHF", paid=True)
    assert unmatched_reason(credit(), paid) is Unmatched.ALREADY_PAID


def test_a_payout_is_decided_once_by_someone_else():
    assert payout_decision_problem("requested", 7, 8) is None
    assert "someone other" in payout_decision_problem("requested", 7, 7)
    assert payout_decision_problem("approved", 7, 8)


def test_a_credit_note_negates_the_credited_lines():
    lines = [CreditedLine(1, D("208.32"), D("52.08"), D("0"), D("347.20"))]
    [negated] = credit_note_lines(lines)
    assert (negated.amount, negated.cashback, negated.public_price) == (
        D("-208.32"),
        D("-52.08"),
        D("-347.20"),
    )
    original, credited = (
        invoice_totals([D("208.32")], D("0.081")),
        invoice_totals([negated.amount], D("0.081")),
    )
    assert credited.vat == -original.vat and credited.gross == -original.gross


def test_one_money_formatter():
    assert money(D("9999"), "CHF") == "CHF\u00a09’999.00"
    assert money(D("-12.005"), "EUR") == "EUR\u00a0-12.01"
    assert money(D("0.1"), "CHF") == "CHF\u00a00.10"


def test_a_reference_is_paid_to_an_account_it_fits():
    from portal.billing.payments.qr import account_for, qr_bill
    from portal.settings import HostAccount

    with_qr_iban, plain = HostAccount(), HostAccount(qr_iban="CH5604835012345678009")
    qrr, scor = payment_reference(7, qr_iban=True), payment_reference(7, qr_iban=False)
    assert account_for(with_qr_iban, qrr) == with_qr_iban.qr_iban
    assert account_for(with_qr_iban, scor) == with_qr_iban.iban
    assert account_for(plain, scor) == plain.qr_iban
    for host, reference in [(with_qr_iban, qrr), (with_qr_iban, scor), (plain, scor)]:
        bill = qr_bill(host, D("12.50"), "CHF", reference, None)  # qrbill checks the pair
        assert bill.reference_number == reference and bill.account == account_for(host, reference)
