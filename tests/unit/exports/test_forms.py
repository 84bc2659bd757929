"""The monthly report by email (portal/exports/forms.py): a format when ticked, none when
not, field errors from bad input."""

from __future__ import annotations

import json

from portal.exports.forms import monthly_delivery_from
from portal.forms import GIVEN_TWICE, NOT_TEXT, Form


def test_the_monthly_report_has_a_format_when_ticked():
    form = Form({"monthly": "on", "file_format": "csv"})
    assert monthly_delivery_from(form) == "csv" and form.errors == {}


def test_unticked_means_no_monthly_report_whatever_the_format():
    form = Form({"file_format": "pdf"})
    assert monthly_delivery_from(form) is None and form.errors == {}


def test_an_unknown_format_is_refused():
    form = Form({"monthly": "on", "file_format": "pdf"})
    monthly_delivery_from(form)
    assert form.errors == {"file_format": "Choose a format from the list."}


def test_a_json_body_read_as_a_form_gives_field_errors_not_an_exception():
    form = Form(json.loads('{"monthly": "on", "file_format": ["csv", "xlsx"]}'))
    monthly_delivery_from(form)
    assert form.errors == {"file_format": GIVEN_TWICE}
    other = Form(json.loads('{"monthly": "on", "file_format": 1}'))
    monthly_delivery_from(other)
    assert other.errors == {"file_format": NOT_TEXT}
