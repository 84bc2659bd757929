"""Input of webhooks: a new endpoint (its address, a description and the events it receives).
Whether the address may be reached is the service's business (endpoint_problems)."""

from __future__ import annotations

from portal.forms import Form
from portal.webhooks import rules
from portal.webhooks.services import EndpointInput

EVENT_CHOICES = {event.value: event.label for event in rules.EventType}


def endpoint_from(form: Form) -> EndpointInput:
    """The endpoint of the form (`event_types` repeats); problems go to FORM's errors."""
    return EndpointInput(
        url=form.text("url", required=True, max_length=rules.URL_MAX, label="The address"),
        description=form.text("description", max_length=rules.DESCRIPTION_MAX),
        event_types=tuple(form.values("event_types", EVENT_CHOICES, label="events")),
    )
