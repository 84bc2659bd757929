"""The renewal rules (docs/rules.md, Renewals): the life of a product by its dates, the run's
plan for each product, warranty invoices. Hypothesis walks products through many periods of
calendar months and years, with runs missed for days at a time."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.enums import ProductStatus
from portal.renewals.rules import (
    DEFAULT_FAMILY,
    InvoiceStep,
    Plan,
    Policy,
    Situation,
    State,
    Step,
    Way,
    first_look,
    invoice_plan,
    look_again_after_option_change,
    missing_amount,
    payer_is_partner,
    plan,
    policy_for,
    policy_problems,
    reached_step,
    state_of,
    step_day,
    warranty_due_on,
)

HOSTING = Policy(grace_days=15, suspension_days=30, automatic_by_default=False)
DOMAIN = Policy(grace_days=5, suspension_days=25, automatic_by_default=True)
RENEWS = date(2027, 3, 31)

policies = st.builds(
    Policy,
    grace_days=st.integers(0, 90),
    suspension_days=st.integers(0, 365),
    automatic_by_default=st.booleans(),
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
periods = st.sampled_from(["monthly", "yearly"])


def add_periods(anchor: date, count: int, period: str) -> date:
    """Calendar periods counted from the first date, the day clamped to the month's end (31 Jan
    → 28/29 Feb → 31 Mar): written here independently of the portal's own."""
    months = count * (12 if period == "yearly" else 1)
    year, month = divmod(anchor.month - 1 + months, 12)
    year, month = anchor.year + year, month + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def test_calendar_periods_of_the_walks_are_anchored_on_the_first_date():
    assert [add_periods(date(2027, 1, 31), n, "monthly") for n in range(4)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]
    assert add_periods(date(2028, 2, 29), 1, "yearly") == date(2029, 2, 28)
    assert add_periods(date(2028, 2, 29), 4, "yearly") == date(2032, 2, 29)


# --- the dates of the steps ----------------------------------------------------------------------


def test_the_steps_of_a_hosting_renewing_on_31_march():
    assert [step_day(s, RENEWS, HOSTING) for s in Step if s is not Step.NONE] == [
        date(2027, 3, 1),  # 30 days before
        date(2027, 3, 24),  # 7 days before
        date(2027, 3, 30),  # the day before
        date(2027, 3, 31),  # due on its date
        date(2027, 4, 1),  # grace from the next day…
        date(2027, 4, 16),  # …for 15 days, then suspended
        date(2027, 5, 16),  # 30 days later, expired
    ]


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2027, 3, 1), State.ACTIVE),
        (date(2027, 3, 30), State.ACTIVE),
        (date(2027, 3, 31), State.DUE),
        (date(2027, 4, 1), State.GRACE),
        (date(2027, 4, 15), State.GRACE),
        (date(2027, 4, 16), State.SUSPENDED),
        (date(2027, 5, 15), State.SUSPENDED),
        (date(2027, 5, 16), State.EXPIRED),
    ],
)
def test_what_a_person_sees_follows_the_dates_even_before_the_run(today, state):
    assert state_of("active", Step.NONE, RENEWS, today, HOSTING) is state


def test_the_run_having_gone_further_shows_too():
    # the run looked with a later day than today's (a test moving the clock, a clock skew)
    assert state_of("active", Step.GRACE, RENEWS, date(2027, 3, 31), HOSTING) is State.GRACE
    assert state_of("suspended", Step.NONE, RENEWS, date(2027, 1, 1), HOSTING) is State.SUSPENDED
    assert state_of("expired", Step.NONE, RENEWS, date(2027, 1, 1), HOSTING) is State.EXPIRED
    assert state_of("cancelled", Step.NONE, RENEWS, date(2027, 5, 1), HOSTING) is State.CANCELLED


def test_no_grace_goes_from_due_to_suspended_and_no_suspension_to_expired():
    none = Policy(0, 0, False)
    assert state_of("active", 0, RENEWS, RENEWS, none) is State.DUE
    assert state_of("active", 0, RENEWS, RENEWS + timedelta(days=1), none) is State.EXPIRED
    short = Policy(0, 3, False)
    assert state_of("active", 0, RENEWS, RENEWS + timedelta(days=1), short) is State.SUSPENDED


ORDER = [State.ACTIVE, State.DUE, State.GRACE, State.SUSPENDED, State.EXPIRED]


@given(policies, days, periods, st.lists(st.integers(-60, 600), min_size=2, max_size=12))
def test_by_the_dates_a_product_only_moves_forward(policy, renews_on, period, offsets):
    seen = [
        ORDER.index(state_of("active", 0, renews_on, renews_on + timedelta(d), policy, period))
        for d in sorted(offsets)
    ]
    assert seen == sorted(seen)


@given(policies, days, periods)
def test_each_state_begins_on_the_day_of_its_step(policy, renews_on, period):
    def state(day):
        return state_of("active", 0, renews_on, day, policy, period)

    assert state(renews_on - timedelta(days=1)) is State.ACTIVE
    assert state(renews_on) is State.DUE
    suspended = step_day(Step.SUSPENDED, renews_on, policy)
    expired = step_day(Step.EXPIRED, renews_on, policy)
    if policy.grace_days:
        assert state(renews_on + timedelta(days=1)) is State.GRACE
        assert state(suspended - timedelta(days=1)) is State.GRACE
    if policy.suspension_days:
        assert state(suspended) is State.SUSPENDED
        assert state(expired - timedelta(days=1)) is State.SUSPENDED
    assert state(expired) is State.EXPIRED


def test_a_monthly_product_is_reminded_7_and_1_days_before_a_yearly_one_also_30():
    assert reached_step(RENEWS, date(2027, 3, 5), HOSTING, "yearly") is Step.REMINDED_30
    assert reached_step(RENEWS, date(2027, 3, 5), HOSTING, "monthly") is Step.NONE
    assert first_look(RENEWS, "yearly") == date(2027, 3, 1)
    assert first_look(RENEWS, "monthly") == date(2027, 3, 24)


# --- the run, product by product ---------------------------------------------------------------


def situation(**changes) -> Situation:
    values = {
        "renews_on": RENEWS,
        "period": "yearly",
        "status": "active",
        "step": Step.NONE,
        "automatic": False,
        "warranty": False,
    }
    return Situation(**{**values, **changes})


def test_on_the_date_automatic_renewal_is_tried_then_the_warranty():
    both = plan(situation(automatic=True, warranty=True), RENEWS, HOSTING)
    assert both.renew == (Way.AUTOMATIC, Way.WARRANTY)
    assert both.step is Step.DUE and both.notice is Step.DUE
    assert both.next_look == RENEWS + timedelta(days=1)  # automatic renewal retries daily


def test_automatic_renewal_retries_through_grace_the_warranty_until_expiry():
    in_grace = RENEWS + timedelta(days=10)
    suspended = RENEWS + timedelta(days=20)
    automatic = situation(automatic=True, step=Step.DUE)
    assert plan(automatic, in_grace, HOSTING).renew == (Way.AUTOMATIC,)
    suspension = plan(situation(automatic=True, step=Step.GRACE), suspended, HOSTING)
    assert suspension.step is Step.SUSPENDED and suspension.next_look == RENEWS + timedelta(46)
    after_grace = situation(automatic=True, step=Step.SUSPENDED, status="suspended")
    assert plan(after_grace, suspended + timedelta(days=1), HOSTING).renew == ()
    warranty = situation(warranty=True, step=Step.GRACE)
    assert plan(warranty, suspended, HOSTING).renew == (Way.WARRANTY,)
    gone = plan(situation(warranty=True, step=Step.EXPIRED, status="expired"), RENEWS, HOSTING)
    assert gone.renew == () and gone.status == ProductStatus.EXPIRED and gone.next_look is None


def test_a_run_back_from_an_outage_tries_once_what_it_would_have_tried_on_time():
    # the date, the grace period and the suspension all passed while no run happened
    much_later = RENEWS + timedelta(days=60)
    late = plan(situation(automatic=True, warranty=True, step=Step.REMINDED_1), much_later, HOSTING)
    assert late.renew == (Way.AUTOMATIC, Way.WARRANTY)
    # not renewed: it is where its dates are
    assert (
        late.step is Step.EXPIRED
        and late.status == ProductStatus.EXPIRED
        and late.next_look is None
    )
    # once the run recorded the suspension, automatic renewal stops; the warranty goes on
    recorded = situation(automatic=True, warranty=True, step=Step.SUSPENDED, status="suspended")
    assert plan(recorded, RENEWS + timedelta(days=20), HOSTING).renew == (Way.WARRANTY,)


def test_an_overdue_warranty_invoice_stops_renewals_of_its_product():
    unpaid = situation(automatic=True, warranty=True, warranty_unpaid=True, status="suspended")
    decided = plan(unpaid, RENEWS, HOSTING)
    assert decided.renew == () and decided.status == "suspended" and decided.step is Step.DUE


def test_after_an_outage_only_the_step_reached_is_told():
    # the run last reminded 7 days before; it comes back 3 days after the date
    late = plan(situation(step=Step.REMINDED_7), RENEWS + timedelta(days=3), HOSTING)
    assert late == Plan(
        (), Step.GRACE, "active", Step.GRACE, step_day(Step.SUSPENDED, RENEWS, HOSTING)
    )


def test_a_run_again_the_same_day_has_nothing_new_to_tell():
    first = plan(situation(), date(2027, 3, 24), HOSTING)
    again = plan(situation(step=first.step), date(2027, 3, 24), HOSTING)
    assert first.notice is Step.REMINDED_7 and again.notice is None and again.step is first.step


def test_expired_and_cancelled_products_are_left_alone():
    for status in ("expired", "cancelled"):
        assert plan(situation(status=status), RENEWS, HOSTING) == Plan(
            (), Step.NONE, status, None, None
        )


def run_days(start: date, gaps: list[int]) -> list[date]:
    found, day = [], start
    for gap in gaps:
        day += timedelta(days=gap)
        found.append(day)
    return found


@settings(max_examples=300)
@given(
    policies,
    days,
    periods,
    st.booleans(),
    st.booleans(),
    st.lists(st.integers(1, 9), min_size=1, max_size=120),
    st.integers(0, 6),
)
def test_walk_each_step_and_each_renewal_happens_once_in_date_order(
    policy, anchor, period, automatic, warranty, gaps, failing_days
):
    """A product walked through daily runs with gaps of up to 9 days (outages); automatic
    renewal finds no money on its first FAILING_DAYS tries. Every renewal renews the period
    that was due (calendar periods from the first date), never before its date; each step is
    told at most once per period, in date order, and never after a later step's day."""
    periods_renewed = 0
    renews_on = add_periods(anchor, 1, period)
    step, status, tries = Step.NONE, "active", 0
    told: list[tuple[date, Step]] = []
    next_look = first_look(renews_on, period)
    for today in run_days(anchor, gaps):
        if next_look is None or today < next_look:
            continue
        here = Situation(renews_on, period, status, step, automatic, warranty)
        decided = plan(here, today, policy)
        renewed = None
        for way in decided.renew:
            if way is Way.WARRANTY:
                renewed = way
                break
            tries += 1
            if tries > failing_days:
                renewed = way
                break
        if renewed is not None:
            assert today >= renews_on
            periods_renewed += 1
            renews_on = add_periods(anchor, periods_renewed + 1, period)
            step, tries, told = Step.NONE, 0, []
            next_look = first_look(renews_on, period)
            continue
        if decided.notice is not None:
            assert decided.notice is reached_step(renews_on, today, policy, period)
            assert all(earlier < decided.notice for _, earlier in told)
            told.append((today, decided.notice))
        assert decided.step >= step
        step, status, next_look = decided.step, decided.status, decided.next_look
        if next_look is not None:
            assert next_look > today or (automatic and next_look == today + timedelta(days=1))
        if status == ProductStatus.EXPIRED:
            # the look that expired it may have tried once more (with no grace and no
            # suspension days, the renewal date is the last day); an expired product never again
            gone = Situation(renews_on, period, status, step, automatic, warranty)
            assert plan(gone, today + timedelta(days=1), policy).renew == ()
            break
    # a warranty renews at the first run on or after the date: it never lapses
    if warranty:
        assert status == "active" and step <= Step.GRACE


@given(policies, days, st.integers(0, 400))
def test_the_run_goes_where_the_dates_are_in_one_look(policy, renews_on, late_by):
    today = renews_on - timedelta(days=31) + timedelta(days=late_by)
    decided = plan(situation(renews_on=renews_on), today, policy)
    assert decided.step is reached_step(renews_on, today, policy)
    assert state_of(decided.status, decided.step, renews_on, today, policy) is state_of(
        "active", 0, renews_on, today, policy
    )


def test_turning_an_option_on_late_makes_the_next_run_look_at_once():
    today = RENEWS + timedelta(days=3)
    assert (
        look_again_after_option_change(RENEWS + timedelta(days=16), RENEWS, today, "active")
        == today
    )
    assert look_again_after_option_change(None, RENEWS, today, "suspended") == today
    ahead = date(2027, 3, 1)
    assert look_again_after_option_change(ahead, RENEWS, date(2027, 2, 1), "active") == ahead
    assert look_again_after_option_change(None, RENEWS, today, "expired") is None


# --- policies and payers ------------------------------------------------------------------


def test_a_family_without_its_own_policy_takes_the_default():
    table = {"domain": DOMAIN, DEFAULT_FAMILY: HOSTING}
    assert policy_for(table, "domain") is DOMAIN
    assert policy_for(table, "vps") is HOSTING


def test_policy_limits():
    assert policy_problems(HOSTING) == []
    assert policy_problems(Policy(-1, 400, False)) == [
        "A grace period is from 0 to 90 days.",
        "A suspension lasts from 0 to 365 days.",
    ]


@pytest.mark.parametrize(
    ("access", "billing_mode", "partner_pays"),
    [
        ("full", "partner", True),
        ("full", "client", False),
        ("restricted", None, False),
        (None, None, False),
    ],
)
def test_the_partner_pays_only_when_the_client_chose_its_payment_methods(
    access, billing_mode, partner_pays
):
    assert payer_is_partner(access, billing_mode) is partner_pays


def test_what_the_balance_lacks():
    assert missing_amount(D("10.00"), D("70.20")) == D("60.20")
    assert missing_amount(D("80.00"), D("70.20")) == D("0.00")


# --- warranty invoices -------------------------------------------------------------------------


def test_a_warranty_invoice_is_due_in_30_days():
    assert warranty_due_on(date(2027, 1, 31)) == date(2027, 3, 2)


def test_an_unpaid_warranty_invoice_is_reminded_then_suspends_its_product():
    due = date(2027, 4, 30)
    on_due_day = invoice_plan(due, InvoiceStep.OPEN, False, due)
    assert on_due_day.step is InvoiceStep.OPEN and on_due_day.next_look == date(2027, 5, 1)
    reminded = invoice_plan(due, InvoiceStep.OPEN, False, date(2027, 5, 1))
    assert reminded.notice is InvoiceStep.REMINDED and not reminded.suspend
    assert reminded.next_look == date(2027, 5, 8)
    suspended = invoice_plan(due, InvoiceStep.REMINDED, False, date(2027, 5, 8))
    assert suspended.suspend and suspended.notice is InvoiceStep.SUSPENDED
    again = invoice_plan(due, InvoiceStep.SUSPENDED, False, date(2027, 5, 9))
    assert not again.suspend and again.notice is None and again.next_look == date(2027, 5, 9)
    paid = invoice_plan(due, InvoiceStep.SUSPENDED, True, date(2027, 5, 10))
    assert paid.step is InvoiceStep.SETTLED and paid.lift


def test_a_warranty_invoice_paid_in_time_lifts_nothing():
    paid = invoice_plan(date(2027, 4, 30), InvoiceStep.OPEN, True, date(2027, 5, 1))
    assert paid.step is InvoiceStep.SETTLED and not paid.lift and not paid.suspend


@given(days, st.integers(0, 60), st.lists(st.integers(1, 10), min_size=1, max_size=12))
def test_an_unpaid_invoice_suspends_once_never_before_a_week_after_its_due_date(due, start, gaps):
    step, suspensions = InvoiceStep.OPEN, []
    for today in run_days(due - timedelta(days=start), gaps):
        decided = invoice_plan(due, step, False, today)
        if decided.suspend:
            suspensions.append(today)
        step = decided.step
    assert len(suspensions) <= 1
    assert all(day >= due + timedelta(days=8) for day in suspensions)
