"""The staff's decision on an application (portal/partners/forms.py): typed values from good
input, field errors from bad input of any kind."""

from __future__ import annotations

import json

from portal.forms import CONTROL_CHARACTERS, NOT_TEXT, Form
from portal.partners.forms import Verdict, verdict_from
from portal.partners.rules import StaffVerdict


def test_a_verdict_is_approve_or_reject_with_a_reason():
    form = Form({"decision": "rejected", "reason": " The website is not reachable. "})
    assert verdict_from(form) == Verdict(StaffVerdict.REJECTED, "The website is not reachable.")
    assert form.errors == {}


def test_an_unknown_decision_or_a_bad_reason_is_a_field_error():
    form = Form({"decision": "maybe", "reason": "x" * 1001})
    assert verdict_from(form).decision is None
    assert form.errors == {
        "decision": "Choose approve or reject from the list.",
        "reason": "Use at most 1000 characters.",
    }
    nul = Form({"decision": "approved", "reason": "ok\x00"})
    verdict_from(nul)
    assert nul.errors == {"reason": CONTROL_CHARACTERS}


def test_a_json_body_read_as_a_form_gives_field_errors_not_an_exception():
    form = Form(json.loads('{"decision": true, "reason": {"text": "ok"}}'))
    assert verdict_from(form).decision is None
    assert form.errors["decision"] == NOT_TEXT and form.errors["reason"] == NOT_TEXT
