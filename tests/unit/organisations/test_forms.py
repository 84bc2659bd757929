"""The organisation forms' parsers (portal/organisations/forms.py): typed values from good
input, field errors from bad input of any kind, never an exception."""

from __future__ import annotations

import json

from litestar.datastructures import FormMultiDict, UploadFile

from portal.access import Role
from portal.forms import CONTROL_CHARACTERS, GIVEN_TWICE, INVISIBLE_CHARACTERS, NOT_TEXT, Form
from portal.organisations import forms
from portal.organisations.services import InvitationRequest

SIGN_UP = {
    "full_name": "Anna Muster",
    "email": "Anna@Example.CH",
    "password": "Alpine-2026-long",
    "organisation_name": "Muster Web AG",
    "kind": "company",
    "country": "CH",
    "currency": "CHF",
    "terms": "on",
    "ref": "42",
}


def test_a_sign_up_reads_the_person_and_their_organisation():
    form = Form(SIGN_UP)
    signup = forms.sign_up_from(form)
    assert form.errors == {}
    assert (signup.full_name, signup.email, signup.referred_by) == (
        "Anna Muster",
        "anna@example.ch",
        42,
    )
    assert signup.organisation.name == "Muster Web AG"
    assert (signup.organisation.country, signup.organisation.currency) == ("CH", "CHF")


def test_a_sign_up_names_each_missing_field():
    form = Form({})
    signup = forms.sign_up_from(form)
    assert signup.referred_by is None
    assert set(form.errors) == {
        "full_name",
        "email",
        "password",
        "organisation_name",
        "kind",
        "country",
        "currency",
        "terms",
    }
    assert form.errors["terms"] == "Accept the terms of use."


def test_a_sign_up_refuses_control_characters_and_overlong_names():
    form = Form({**SIGN_UP, "full_name": "Anna\x00", "organisation_name": "M" * 201})
    forms.sign_up_from(form)
    assert form.errors == {
        "full_name": CONTROL_CHARACTERS,
        "organisation_name": "Use at most 200 characters.",
    }


def test_an_odd_referral_is_no_referral():
    for raw in ("", "abc", "²", "1" * 10, None, A_FILE):
        assert forms.referral(raw) is None


def test_organisation_details_check_the_register_number_of_the_country():
    form = Form({"name": "Muster Web AG", "registration_number": "CHE-123.456.780"})
    details = forms.details_from(form, with_fixed=False, country="CH")
    assert details.name == "Muster Web AG" and details.kind == ""
    assert set(form.errors) == {"registration_number"}


def test_an_invitation_reads_address_role_rights_and_message():
    form = Form(
        {
            "email": "bea@example.ch",
            "role": "administrator",
            "billing_rights": "on",
            "message": "Welcome,\r\nBea",
        }
    )
    assert forms.invitation_from(form) == InvitationRequest(
        "bea@example.ch", Role.ADMINISTRATOR, True, None, "Welcome,\r\nBea"
    )
    assert form.errors == {}


def test_an_invitation_with_an_unknown_role_is_refused_not_guessed():
    form = Form({"email": "bea@example.ch", "role": "owner", "message": "x" * 1001})
    forms.invitation_from(form)
    assert form.errors == {
        "role": "Choose a role from the list.",
        "message": "Use at most 1000 characters.",
    }


def test_member_rights_read_a_role_and_billing():
    form = Form({"role": "user"})
    assert forms.member_rights_from(form) == (Role.USER, False) and form.errors == {}


def test_an_invited_person_gives_a_name_and_a_password():
    form = Form({"full_name": " Bea Beispiel ", "password": "Alpine-2026-long"})
    assert forms.invited_sign_up_from(form) == forms.InvitedSignUp(
        "Bea Beispiel", "Alpine-2026-long"
    )
    empty = Form({})
    forms.invited_sign_up_from(empty)
    assert empty.errors == {
        "full_name": "Your name is required.",
        "password": "Enter the password.",
    }


def test_a_team_needs_a_visible_name_of_at_most_100_characters():
    assert forms.team_name_from(Form({"name": " Web "})) == "Web"
    for raw, problem in [
        ("", "Give the team a name."),
        ("x" * 101, "Use at most 100 characters."),
        ("Web\x00", CONTROL_CHARACTERS),
        ("Web\u202e", INVISIBLE_CHARACTERS),
    ]:
        form = Form({"name": raw})
        forms.team_name_from(form)
        assert form.errors == {"name": problem}, raw


A_FILE = UploadFile(content_type="text/plain", filename="team.txt")


def test_a_file_a_repeated_field_or_a_json_body_are_field_errors_not_an_exception():
    form = Form(FormMultiDict([("name", A_FILE)]))
    forms.team_name_from(form)
    assert form.errors["name"] == NOT_TEXT
    twice = Form(FormMultiDict([("email", "a@example.ch"), ("email", "b@example.ch")]))
    forms.invitation_from(twice)
    assert twice.errors["email"] == GIVEN_TWICE
    body = Form(json.loads('{"full_name": ["Anna"], "email": 7, "terms": true, "ref": {"x": 1}}'))
    forms.sign_up_from(body)
    assert body.errors["email"] == NOT_TEXT
    assert "terms" in body.errors  # true is not a ticked box
