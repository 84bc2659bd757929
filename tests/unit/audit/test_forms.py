"""The audit log's filter (portal/audit/forms.py): typed values from a good query string,
field errors from a bad one, never an exception."""

from __future__ import annotations

import json
from datetime import date

from litestar.datastructures import MultiDict

from portal.audit.forms import audit_filter_from
from portal.audit.services import AuditFilter
from portal.forms import CONTROL_CHARACTERS, CONTROL_CHARACTERS_PROBLEM, GIVEN_TWICE, NOT_TEXT


def test_the_filter_reads_kind_actor_and_days():
    where, errors = audit_filter_from(
        MultiDict({"action": "link.", "actor": " Anna ", "from": "2026-01-01", "to": "2026-02-01"})
    )
    assert errors == {}
    assert where == AuditFilter("link.", "Anna", day_from=date(2026, 1, 1), day_to=date(2026, 2, 1))


def test_no_filter_is_everything():
    where, errors = audit_filter_from(MultiDict())
    assert (where, errors) == (AuditFilter(), {})


def test_days_in_the_wrong_order_or_shape_are_refused():
    _, errors = audit_filter_from(MultiDict({"from": "2026-02-01", "to": "2026-01-01"}))
    assert errors == {"to": "The end date is before the start date."}
    _, errors = audit_filter_from(MultiDict({"from": "01.02.2026"}))
    assert errors == {"from": "Enter a date as YYYY-MM-DD."}


def test_overlong_words_and_control_characters_are_refused():
    _, errors = audit_filter_from(MultiDict({"action": "x" * 61, "actor": "An\x00na"}))
    assert errors == {"action": "Use at most 60 characters.", "actor": CONTROL_CHARACTERS}


def test_a_control_character_at_the_end_is_refused_not_trimmed():
    _, errors = audit_filter_from(MultiDict({"actor": "Anna\n"}))
    assert errors == {"actor": CONTROL_CHARACTERS_PROBLEM}


def test_a_repeated_filter_is_a_field_error():
    _, errors = audit_filter_from(MultiDict([("actor", "Anna"), ("actor", "Bruno")]))
    assert errors == {"actor": GIVEN_TWICE}


def test_json_values_are_field_errors_not_an_exception():
    _, errors = audit_filter_from(json.loads('{"action": 5, "from": ["2026-01-01"]}'))
    assert errors == {"action": NOT_TEXT}
