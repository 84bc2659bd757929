"""The state a product page shows from what the renewal run recorded."""

import pytest

from portal.products.lifecycle import State, Step, recorded_state


@pytest.mark.parametrize(
    ("status", "step", "state"),
    [
        ("active", Step.NONE, State.ACTIVE),
        ("active", Step.REMINDED_1, State.ACTIVE),
        ("active", Step.DUE, State.DUE),
        ("active", Step.GRACE, State.GRACE),
        ("suspended", Step.GRACE, State.SUSPENDED),  # an unpaid warranty invoice suspends
        ("suspended", Step.SUSPENDED, State.SUSPENDED),
        ("expired", Step.EXPIRED, State.EXPIRED),
        ("cancelled", Step.DUE, State.CANCELLED),
    ],
)
def test_the_recorded_state(status, step, state):
    assert recorded_state(status, step) is state


def test_every_state_has_a_label():
    assert {state.label for state in State} == {
        "Active",
        "Due",
        "In grace",
        "Suspended",
        "Expired",
        "Cancelled",
    }
