"""Renewal rules (docs/rules.md, Renewals): a product's life follows its dates — active, due on
its renewal date, a grace period, suspended, expired — with reminders before the date; the
periodic run renews it automatically from the prepaid balance or under the renewal warranty.

Pure: dates in, decisions out. The policy of each product family (grace and suspension days,
whether automatic renewal is on by default) is programme data handed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import IntEnum, StrEnum

from portal.core.enums import ProductStatus
from portal.products.lifecycle import State, Step

DUE_SOON_DAYS = 30  # "due soon" on the dashboard and the renewals page's first filter
WARRANTY_PAYMENT_DAYS = 30  # a renewal under the warranty is invoiced, due in this many days
WARRANTY_SUSPENSION_DAYS = 7  # unpaid: reminded the day after its due date, suspended 7 later


REMINDER_DAYS = {Step.REMINDED_30: 30, Step.REMINDED_7: 7, Step.REMINDED_1: 1}
# A monthly product's 30-day reminder would come with its previous renewal: only 7 and 1.
REMINDERS_BY_PERIOD = {
    "yearly": (Step.REMINDED_30, Step.REMINDED_7, Step.REMINDED_1),
    "monthly": (Step.REMINDED_7, Step.REMINDED_1),
}
ALL_REMINDERS = frozenset(REMINDER_DAYS)


@dataclass(frozen=True)
class Policy:
    """A product family's renewal configuration."""

    grace_days: int  # after the renewal date, the product still runs, unpaid
    suspension_days: int  # then it is suspended this long, and expires
    automatic_by_default: bool  # automatic renewal is on for a new product of the family


DEFAULT_FAMILY = "*"  # the policy of a family the configuration does not name


def policy_for(policies: Mapping[str, Policy], family: str) -> Policy:
    return policies.get(family) or policies[DEFAULT_FAMILY]


def policy_problems(policy: Policy) -> list[str]:
    problems = []
    if not 0 <= policy.grace_days <= 90:
        problems.append("A grace period is from 0 to 90 days.")
    if not 0 <= policy.suspension_days <= 365:
        problems.append("A suspension lasts from 0 to 365 days.")
    return problems


# --- the dates --------------------------------------------------------------------------------


def step_day(step: Step, renews_on: date, policy: Policy) -> date:
    """The day STEP comes for a product renewing on RENEWS_ON."""
    if step in REMINDER_DAYS:
        return renews_on - timedelta(days=REMINDER_DAYS[step])
    days_after = {
        Step.DUE: 0,
        Step.GRACE: 1,
        Step.SUSPENDED: policy.grace_days + 1,
        Step.EXPIRED: policy.grace_days + policy.suspension_days + 1,
    }
    return renews_on + timedelta(days=days_after[step])


def steps_of(period: str) -> tuple[Step, ...]:
    """The steps of a product of PERIOD, in date order."""
    return (*REMINDERS_BY_PERIOD[period], Step.DUE, Step.GRACE, Step.SUSPENDED, Step.EXPIRED)


def reached_step(renews_on: date, today: date, policy: Policy, period: str = "yearly") -> Step:
    """The latest step whose day has come by TODAY (a step sharing its day with a later one,
    as grace does with suspension when there is no grace, gives way to it)."""
    reached = Step.NONE
    for step in steps_of(period):
        if step_day(step, renews_on, policy) <= today:
            reached = step
    return reached


def state_of(
    status: str, step: int, renews_on: date, today: date, policy: Policy, period: str = "yearly"
) -> State:
    """What a person sees: the further of the step done and the step the dates say. A run
    that is late does not make a product look better than it is (overdue reads as overdue)."""
    if status == ProductStatus.CANCELLED:
        return State.CANCELLED
    if status == ProductStatus.EXPIRED:
        return State.EXPIRED
    reached = max(Step(step), reached_step(renews_on, today, policy, period))
    if reached >= Step.EXPIRED:
        return State.EXPIRED
    if status == ProductStatus.SUSPENDED or reached >= Step.SUSPENDED:
        return State.SUSPENDED
    if reached is Step.GRACE:
        return State.GRACE
    if reached is Step.DUE:
        return State.DUE
    return State.ACTIVE


def due_soon(renews_on: date, today: date) -> bool:
    return today <= renews_on <= today + timedelta(days=DUE_SOON_DAYS)


# --- the periodic run, product by product ------------------------------------------------------


class Way(StrEnum):
    """How a product was renewed."""

    AUTOMATIC = "automatic"  # paid at once from the payer's prepaid balance
    WARRANTY = "warranty"  # renewed without payment, invoiced due in 30 days
    MANUAL = "manual"  # someone renewed it


@dataclass(frozen=True)
class Situation:
    """A product as the periodic run finds it."""

    renews_on: date
    period: str
    status: str
    step: Step  # done for this renewal date
    automatic: bool
    warranty: bool
    warranty_unpaid: bool = False  # a warranty invoice of this product is overdue


@dataclass(frozen=True)
class Plan:
    """What the run does: try RENEW (in order) first; if none renews the product, record
    STEP and STATUS, tell the payer and the partner NOTICE (None: nothing new to tell), and
    look again on NEXT_LOOK (None: never)."""

    renew: tuple[Way, ...]
    step: Step
    status: str
    notice: Step | None
    next_look: date | None


def plan(situation: Situation, today: date, policy: Policy) -> Plan:
    """Each step once, in date order; after a run missed days (an outage), the product goes
    straight to where its dates are, and only that is told: a reminder that came and went
    unsent stays unsent."""
    if situation.status in (ProductStatus.EXPIRED, ProductStatus.CANCELLED):
        return Plan((), situation.step, situation.status, None, None)
    reached = max(
        situation.step, reached_step(situation.renews_on, today, policy, situation.period)
    )
    renew = renewals_to_try(situation, reached)
    status = situation.status
    if reached >= Step.EXPIRED:
        status = ProductStatus.EXPIRED
    elif reached >= Step.SUSPENDED:
        status = ProductStatus.SUSPENDED
    notice = reached if reached > situation.step else None
    return Plan(renew, reached, status, notice, _next_look(situation, reached, today, policy))


def renewals_to_try(situation: Situation, reached: Step) -> tuple[Way, ...]:
    """From the renewal date: automatic renewal through the grace period (a retry a day),
    the warranty until the product expires, unless a warranty invoice of it is overdue.
    What ends them is the step the run recorded, not the dates: a run that comes back after
    an outage tries once what it would have tried on time."""
    if reached < Step.DUE or situation.warranty_unpaid:
        return ()
    ways = []
    if situation.automatic and situation.step <= Step.GRACE:
        ways.append(Way.AUTOMATIC)
    if situation.warranty and situation.step < Step.EXPIRED:
        ways.append(Way.WARRANTY)
    return tuple(ways)


def _next_look(situation: Situation, reached: Step, today: date, policy: Policy) -> date | None:
    if reached >= Step.EXPIRED:
        return None
    later = [s for s in steps_of(situation.period) if s > reached]
    next_day = step_day(later[0], situation.renews_on, policy)
    if situation.automatic and Step.DUE <= reached <= Step.GRACE:
        return min(next_day, today + timedelta(days=1))  # the daily retry
    return next_day


def first_look(renews_on: date, period: str) -> date:
    """When the run first looks at a product renewing on RENEWS_ON: its first reminder."""
    first = REMINDERS_BY_PERIOD[period][0]
    return renews_on - timedelta(days=REMINDER_DAYS[first])


def look_again_after_option_change(
    next_look: date | None, renews_on: date, today: date, status: str
) -> date | None:
    """Turning automatic renewal or the warranty on for a product whose date has come makes
    the next run look at it at once."""
    if status in (ProductStatus.EXPIRED, ProductStatus.CANCELLED) or renews_on > today:
        return next_look
    return today if next_look is None else min(next_look, today)


# --- who pays --------------------------------------------------------------------------------


def payer_is_partner(access: str | None, billing_mode: str | None) -> bool:
    """An automatic or warranty renewal is paid by whoever pays under the agreement: the
    full-access partner when the client chose the partner's payment methods."""
    return access == "full" and billing_mode == "partner"


def missing_amount(balance: Decimal, gross: Decimal) -> Decimal:
    """What the prepaid balance lacks to pay GROSS."""
    return max(gross - balance, Decimal("0.00"))


# --- warranty invoices ------------------------------------------------------------------------


class InvoiceStep(IntEnum):
    OPEN = 0
    REMINDED = 1  # unpaid after its due date
    SUSPENDED = 2  # still unpaid a week later: the product is suspended
    SETTLED = 3  # paid


@dataclass(frozen=True)
class InvoicePlan:
    step: InvoiceStep
    notice: InvoiceStep | None
    suspend: bool  # suspend the product now
    lift: bool  # the suspension this invoice caused ends
    next_look: date | None


def warranty_due_on(issued_on: date) -> date:
    return issued_on + timedelta(days=WARRANTY_PAYMENT_DAYS)


def overdue_from(due_on: date) -> date:
    """The day an unpaid invoice is overdue: its reminder."""
    return due_on + timedelta(days=1)


def suspension_for_unpaid(due_on: date) -> date:
    """The day a product whose warranty invoice is still unpaid is suspended."""
    return overdue_from(due_on) + timedelta(days=WARRANTY_SUSPENSION_DAYS)


def invoice_plan(due_on: date, step: InvoiceStep, paid: bool, today: date) -> InvoicePlan:
    """A warranty invoice: reminded the day after its due date, its product suspended
    WARRANTY_SUSPENSION_DAYS later while unpaid; paid, the suspension ends."""
    if step is InvoiceStep.SETTLED:
        return InvoicePlan(step, None, False, False, None)
    if paid:
        return InvoicePlan(InvoiceStep.SETTLED, None, False, step is InvoiceStep.SUSPENDED, None)
    reminded_from, suspended_from = overdue_from(due_on), suspension_for_unpaid(due_on)
    reached = (
        InvoiceStep.SUSPENDED
        if today >= suspended_from
        else InvoiceStep.REMINDED
        if today >= reminded_from
        else InvoiceStep.OPEN
    )
    reached = max(reached, step)
    notice = reached if reached > step else None
    next_look = {
        InvoiceStep.OPEN: reminded_from,
        InvoiceStep.REMINDED: suspended_from,
        InvoiceStep.SUSPENDED: today,  # every run looks for the payment
    }[reached]
    suspend = reached is InvoiceStep.SUSPENDED and step < InvoiceStep.SUSPENDED
    return InvoicePlan(reached, notice, suspend, False, next_look)
