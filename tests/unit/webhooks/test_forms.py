"""The webhook endpoint form (portal/webhooks/forms.py): typed values from good input, field
errors from bad input of any kind, never an exception."""

from __future__ import annotations

import json

from litestar.datastructures import FormMultiDict, UploadFile

from portal.forms import CONTROL_CHARACTERS, NOT_TEXT, Form
from portal.webhooks.forms import endpoint_from
from portal.webhooks.services import EndpointInput


def test_an_endpoint_reads_its_address_description_and_events():
    form = Form(
        FormMultiDict(
            [
                ("url", " https://erp.example.ch/hooks "),
                ("description", "Our ERP"),
                ("event_types", "invoice.issued"),
                ("event_types", "link.granted"),
            ]
        )
    )
    assert endpoint_from(form) == EndpointInput(
        "https://erp.example.ch/hooks", "Our ERP", ("invoice.issued", "link.granted")
    )
    assert form.errors == {}


def test_an_endpoint_names_each_bad_field():
    form = Form(
        FormMultiDict(
            [
                ("url", ""),
                ("description", "x" * 201),
                ("event_types", "everything"),
            ]
        )
    )
    endpoint_from(form)
    assert form.errors == {
        "url": "The address is required.",
        "description": "Use at most 200 characters.",
        "event_types": "Choose events from the list.",
    }


def test_an_overlong_address_or_control_characters_are_refused():
    form = Form({"url": "https://x.example/" + "a" * 500, "description": "ERP\x00"})
    endpoint_from(form)
    assert form.errors == {"url": "Use at most 500 characters.", "description": CONTROL_CHARACTERS}


def test_a_file_or_json_values_are_field_errors_not_an_exception():
    upload = UploadFile(content_type="text/plain", filename="hooks.txt")
    form = Form(FormMultiDict([("url", upload), ("event_types", upload)]))
    endpoint_from(form)
    assert form.errors == {"url": NOT_TEXT, "event_types": NOT_TEXT}
    body = Form(json.loads('{"url": {"href": "https://x.example"}, "event_types": [1, 2]}'))
    endpoint_from(body)
    assert body.errors == {"url": NOT_TEXT, "event_types": NOT_TEXT}
