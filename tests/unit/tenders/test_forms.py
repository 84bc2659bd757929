"""The tender forms' small parsers (portal/tenders/forms.py)."""

from __future__ import annotations

from litestar.datastructures import UploadFile

from portal.forms import NOT_TEXT, Form
from portal.tenders.forms import seen_version_from


def test_the_seen_version_of_a_quote_is_taken_as_sent():
    assert seen_version_from(Form({"version": "2026-12-03T10:00:00+00:00"})) == (
        "2026-12-03T10:00:00+00:00"
    )
    form = Form({"version": UploadFile(content_type="text/plain", filename="v.txt")})
    assert seen_version_from(form) == "" and form.errors == {"version": NOT_TEXT}
