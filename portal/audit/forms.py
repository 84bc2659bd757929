"""Input of the audit log: its filters, read from the query string into an AuditFilter."""

from __future__ import annotations

from collections.abc import Mapping

from portal.audit.services import AuditFilter
from portal.forms import CONTROL_CHARACTERS_PROBLEM, Form, has_control_characters

ACTION_MAX = 60
ACTOR_MAX = 100


def audit_filter_from(params: Mapping) -> tuple[AuditFilter, dict[str, str]]:
    """The filter of PARAMS (the query string) and its problems, field by field. A search
    word that carries a control character, even at its ends, is refused, not trimmed away."""
    form = Form(params)
    where = AuditFilter(
        action=form.text("action", max_length=ACTION_MAX),
        actor=form.text("actor", max_length=ACTOR_MAX),
        day_from=form.day("from"),
        day_to=form.day("to"),
    )
    if where.day_from and where.day_to and where.day_from > where.day_to:
        form.add("to", "The end date is before the start date.")
    for name in ("action", "actor"):
        if has_control_characters(form.raw_text(name)):
            form.add(name, CONTROL_CHARACTERS_PROBLEM)
    return where, form.errors
