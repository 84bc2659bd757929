"""The account forms' parsers (portal/accounts/forms.py): typed values from good input, field
errors from bad input of any kind, never an exception."""

from __future__ import annotations

import json

from litestar.datastructures import FormMultiDict, UploadFile

from portal.access import ApiArea, ApiLevel, scope
from portal.accounts import forms
from portal.forms import CONTROL_CHARACTERS, GIVEN_TWICE, NOT_TEXT, Form

A_FILE = UploadFile(content_type="text/plain", filename="notes.txt")
HOME = "/"  # the overview's path, which the routes pass


def test_a_login_reads_email_password_and_where_to_go_next():
    form = Form({"email": " anna@example.ch ", "password": " s3cret pass ", "next": "/clients"})
    assert forms.login_from(form, HOME) == forms.Login(
        "anna@example.ch", " s3cret pass ", "/clients"
    )
    assert form.errors == {}


def test_a_login_with_nothing_filled_names_both_fields():
    form = Form({})
    assert forms.login_from(form, HOME).next == HOME
    assert form.errors == {
        "email": "Your email address is required.",
        "password": "Enter the password.",
    }


def test_a_login_refuses_an_overlong_email_and_control_characters():
    form = Form({"email": "a" * 321, "password": "pass\x00word"})
    forms.login_from(form, HOME)
    assert form.errors == {
        "email": "Use at most 320 characters.",
        "password": CONTROL_CHARACTERS,
    }


def test_where_to_go_next_stays_on_this_site():
    for raw in ("//evil.example", "/\t/evil.example", "https://evil.example/", A_FILE, None):
        assert forms.next_path(raw, HOME) == HOME, raw
    assert forms.next_path("/billing?page=2", HOME) == "/billing?page=2"


def test_a_file_or_a_repeated_field_where_text_belongs_is_a_field_error():
    form = Form(FormMultiDict([("email", A_FILE), ("password", "a"), ("password", "b")]))
    forms.login_from(form, HOME)
    assert form.errors == {"email": NOT_TEXT, "password": GIVEN_TWICE}


def test_a_json_body_read_as_a_form_gives_field_errors_not_an_exception():
    body = json.loads('{"email": 42, "password": {"plain": "x"}, "next": ["/a", "/b"]}')
    form = Form(body)
    forms.login_from(form, HOME)
    assert form.errors == {
        "email": NOT_TEXT,
        "password": NOT_TEXT,
        "next": GIVEN_TWICE,
    }


def test_the_second_factor_code_is_taken_as_typed():
    form = Form({"code": " 123 456 ", "next": "/account/security"})
    assert forms.second_factor_from(form, HOME) == forms.SecondFactor(
        " 123 456 ", "/account/security"
    )
    assert form.errors == {}


def test_a_new_password_must_be_typed_twice_the_same():
    form = Form({"password": "Alpine-2026-long", "password_again": "Alpine-2026-lonG"})
    assert forms.new_password_from(form) == "Alpine-2026-long"
    assert form.errors == {"password_again": forms.PASSWORDS_DIFFER}


def test_a_password_change_names_each_missing_or_differing_field():
    form = Form({"new_password": "Alpine-2026-long", "new_password_again": "other"})
    change = forms.password_change_from(form)
    assert change == forms.PasswordChange("", "Alpine-2026-long")
    assert form.errors == {
        "current_password": "Enter the password.",
        "new_password_again": forms.NEW_PASSWORDS_DIFFER,
    }


def test_a_confirmation_reads_the_code_only_when_asked_for():
    data = {"password": "pw", "code": "123456"}
    assert forms.confirmation_from(Form(data)) == forms.Confirmation("pw", "")
    assert forms.confirmation_from(Form(data), with_code=True) == forms.Confirmation("pw", "123456")


def test_a_new_token_reads_name_organisation_expiry_and_scopes():
    form = Form(
        {
            "token_name": "Invoices to our ERP",
            "organisation": "12",
            "expires": "90",
            f"scope_{ApiArea.BILLING}": ApiLevel.READ.value,
            "token_password": "pw",
            "token_code": "654321",
        }
    )
    entered = forms.new_token_from(form, with_code=True)
    assert form.errors == {}
    assert entered.request.name == "Invoices to our ERP"
    assert entered.request.organisation_id == 12
    assert entered.request.expires_in_days == 90
    assert entered.request.scopes == frozenset({scope(ApiArea.BILLING, ApiLevel.READ)})
    assert entered.confirmation == forms.Confirmation("pw", "654321")


def test_a_new_token_refuses_unknown_choices_and_a_bad_name():
    form = Form(
        {
            "token_name": "ERP\u202e",
            "organisation": "twelve",
            "expires": "forever",
            f"scope_{ApiArea.BILLING}": "admin",
            "token_code": "654321",
        }
    )
    entered = forms.new_token_from(form, with_code=False)
    assert entered.confirmation.code == ""  # no second factor: no code read
    assert set(form.errors) == {"token_name", "organisation", "expires", f"scope_{ApiArea.BILLING}"}
    assert form.errors["organisation"] == "Enter a whole number."
    assert form.errors["expires"] == "Choose when the token expires from the list."


def test_a_token_name_longer_than_its_limit_is_refused():
    form = Form({"token_name": "x" * 101, "expires": "30"})
    forms.new_token_from(form, with_code=False)
    assert form.errors["token_name"] == "Use at most 100 characters."
