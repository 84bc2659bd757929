"""The stages of a product's life that pages name (docs/rules.md, Renewals): the step the
renewal run has taken for the product's current renewal date, and the state a person sees.
The renewal run (portal/renewals) decides when each comes; here is only what they are."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from portal.core.enums import ProductStatus


class Step(IntEnum):
    """What the periodic run has done for the product's current renewal date, in date order.
    A renewal (a new date) starts again from NONE."""

    NONE = 0
    REMINDED_30 = 1
    REMINDED_7 = 2
    REMINDED_1 = 3
    DUE = 4
    GRACE = 5
    SUSPENDED = 6
    EXPIRED = 7


class State(StrEnum):
    """The state a person sees."""

    ACTIVE = "active"
    DUE = "due"
    GRACE = "grace"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    State.ACTIVE: "Active",
    State.DUE: "Due",
    State.GRACE: "In grace",
    State.SUSPENDED: "Suspended",
    State.EXPIRED: "Expired",
    State.CANCELLED: "Cancelled",
}


def recorded_state(status: str, step: int) -> State:
    """The state the renewal run last recorded for a product (it runs every hour; the renewals
    page also reads the dates, for the time before the run)."""
    if status == ProductStatus.CANCELLED:
        return State.CANCELLED
    if status == ProductStatus.EXPIRED or step >= Step.EXPIRED:
        return State.EXPIRED
    if status == ProductStatus.SUSPENDED or step >= Step.SUSPENDED:
        return State.SUSPENDED
    if step == Step.GRACE:
        return State.GRACE
    if step == Step.DUE:
        return State.DUE
    return State.ACTIVE
