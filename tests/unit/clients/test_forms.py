"""The client forms' parsers (portal/clients/forms.py): typed values from good input, field
errors from bad input of any kind, never an exception."""

from __future__ import annotations

import json
from datetime import date, timedelta

from litestar.datastructures import FormMultiDict, UploadFile

from portal.clients import forms
from portal.clients.rules import Access, BillingMode, Ending, Grant
from portal.forms import CONTROL_CHARACTERS, NOT_TEXT, Form

A_FILE = UploadFile(content_type="text/plain", filename="list.txt")


def multi(*pairs: tuple[str, object]) -> Form:
    return Form(FormMultiDict(list(pairs)))


def test_a_delegation_reads_full_or_restricted_access():
    full = Form({"access": "full", "billing_mode": "partner"})
    assert forms.grant_from(full) == Grant(Access.FULL, billing_mode=BillingMode.PARTNER)
    restricted = multi(
        ("access", "restricted"), ("families", "domain"), ("products", "7"), ("products", "9")
    )
    assert forms.grant_from(restricted) == Grant(
        Access.RESTRICTED, frozenset({"domain"}), frozenset({7, 9}), BillingMode.CLIENT
    )
    assert full.errors == restricted.errors == {}


def test_a_delegation_refuses_unknown_choices():
    form = multi(("access", "admin"), ("families", "crypto"), ("products", "seven"))
    forms.grant_from(form)
    assert form.errors == {
        "access": "Choose full or restricted access.",
        "families": "Choose categories from the list.",
        "products": "Choose products from the list.",
    }


def test_a_client_invitation_asks_for_categories_only():
    form = multi(
        ("email", "Client@Example.CH"),
        ("message", "Hello,\nwe host your shop."),
        ("requested_days", "90"),
        ("access", "restricted"),
        ("families", "web_hosting"),
        ("products", "not-shown"),  # no such field on the partner's form: not its problem
        ("billing_mode", "odd"),
    )
    invitation = forms.client_invitation_from(form)
    assert form.errors == {}
    assert invitation.email == "client@example.ch" and invitation.requested_days == 90
    assert invitation.grant.families == frozenset({"web_hosting"})
    assert invitation.template_id is None


def test_a_template_stands_for_the_ticked_categories():
    form = multi(
        ("email", "c@example.ch"), ("access", "restricted"), ("template", "3"), ("families", "x")
    )
    assert forms.client_invitation_from(form).template_id == 3
    assert form.errors == {}
    odd = multi(("email", "c@example.ch"), ("access", "restricted"), ("template", "../3"))
    assert forms.client_invitation_from(odd).template_id is None
    assert odd.errors == {"template": "Choose a template from the list."}


def test_a_client_invitation_names_each_bad_field():
    form = multi(
        ("email", "nobody"),
        ("access", "restricted"),
        ("message", "x" * 1001),
        ("requested_days", "many"),
    )
    forms.client_invitation_from(form)
    assert set(form.errors) == {"email", "message", "requested_days"}
    assert form.errors["message"] == "Use at most 1000 characters."
    assert form.errors["requested_days"] == "Enter a whole number."


def test_collaborators_are_ids_and_never_garbage_read_as_nobody():
    form = multi(("people", "4"), ("teams", "2"), ("teams", "5"))
    assert forms.collaborators_from(form) == ({4}, {2, 5}) and form.errors == {}
    garbage = multi(("people", "4"), ("teams", "all"))
    assert forms.collaborators_from(garbage) == (set(), set())
    assert garbage.errors == {"collaborators": "Choose collaborators and teams from the list."}
    a_file = multi(("people", A_FILE))
    forms.collaborators_from(a_file)
    assert a_file.errors == {"collaborators": "Choose collaborators and teams from the list."}


def test_collaborators_are_emptied_only_by_their_button():
    empty = Form({})
    forms.collaborators_from(empty)
    assert empty.errors == {"collaborators": forms.NO_COLLABORATOR}
    cleared = multi(("clear_all", "on"), ("people", "4"))
    assert forms.collaborators_from(cleared) == (set(), set()) and cleared.errors == {}


def test_temporary_full_access_is_asked_for_a_length_with_a_reason():
    form = Form({"length": "2", "unit": "days", "reason": "Moving the shop"})
    assert forms.elevation_request_from(form) == forms.ElevationRequest(
        timedelta(days=2), "Moving the shop"
    )
    too_long = Form({"length": "8", "unit": "days", "reason": " "})
    forms.elevation_request_from(too_long)
    assert too_long.errors == {
        "length": "Ask for 1 hour to 7 days (168 hours).",
        "reason": "The reason is required.",
    }


def test_a_request_to_many_clients_reads_the_ticked_ones_and_what_to_ask():
    form = multi(("links", "3"), ("links", "8"), ("kind", "extension"), ("days", "30"))
    assert forms.many_request_from(form) == forms.ManyRequest((3, 8), "extension", 30, "")
    full = multi(("links", "3"), ("kind", "change"), ("template", "full"))
    assert forms.many_request_from(full).template == "full"
    assert form.errors == full.errors == {}


def test_a_request_to_many_clients_names_each_bad_field():
    form = multi(("links", "3;DROP"), ("kind", "change"), ("template", "everything"))
    forms.many_request_from(form)
    assert form.errors == {
        "links": "Tick the clients to ask.",
        "template": "Choose the access to ask for from the list.",
    }
    unknown = multi(("links", "3"), ("kind", "delete"))
    forms.many_request_from(unknown)
    assert unknown.errors == {"kind": "Choose what to ask from the list."}


def test_a_template_has_a_name_and_known_categories():
    form = multi(("name", "Shops"), ("families", "domain"), ("families", "web_hosting"))
    assert forms.template_from(form) == forms.NewTemplate(
        "Shops", frozenset({"domain", "web_hosting"})
    )
    bad = multi(("name", "x" * 101), ("families", "crypto"))
    forms.template_from(bad)
    assert bad.errors == {
        "name": "Use at most 100 characters.",
        "families": "Choose categories from the list.",
    }


def test_a_transfer_code_is_short_text():
    assert forms.transfer_code_from(Form({"code": " AB12-CD34 "})) == "AB12-CD34"
    form = Form({"code": "AB\x00"})
    forms.transfer_code_from(form)
    assert form.errors == {"code": CONTROL_CHARACTERS}


def test_a_client_asks_a_partner_with_a_grant_and_an_end():
    form = Form({"partner": "12", "message": "", "access": "full", "ends_on": "2027-03-31"})
    entered = forms.partner_request_from(form)
    assert form.errors == {}
    assert entered.partner_id == 12 and entered.grant.is_full
    assert entered.ending == Ending(date(2027, 3, 31), False)
    missing = Form({"access": "full", "ends_on": "31.3.2027"})
    forms.partner_request_from(missing)
    assert missing.errors == {
        "partner": "Choose a value.",
        "ends_on": "Enter a date as YYYY-MM-DD.",
    }


def test_a_change_of_access_may_answer_a_request():
    form = Form({"access": "full", "request": "17"})
    assert forms.grant_change_from(form).answering == 17
    odd = Form({"access": "full", "request": "17x"})
    assert forms.grant_change_from(odd).answering is None
    assert odd.errors == {"request": "This request no longer exists."}


def test_a_transfer_keeps_the_grant_unless_told_not_to():
    kept = Form({"q": "Alpine", "keep_grant": "yes", "access": "nonsense"})
    assert forms.transfer_request_from(kept) == forms.TransferRequest("Alpine", None, None)
    assert kept.errors == {}
    other = Form({"partner": "5", "keep_grant": "no", "access": "full"})
    assert forms.transfer_request_from(other).grant == Grant(Access.FULL)


def test_temporary_full_access_is_confirmed_with_the_password():
    form = Form({"code": "1" * 21})
    forms.confirmation_from(form)
    assert form.errors == {
        "password": "Enter the password.",
        "code": "Use at most 20 characters.",
    }


def test_a_json_body_read_as_a_form_gives_field_errors_not_an_exception():
    body = json.loads('{"email": ["a@example.ch"], "access": 1, "families": [null], "template": 3}')
    form = Form(body)
    forms.client_invitation_from(form)
    assert form.errors["access"] == NOT_TEXT and form.errors["template"] == NOT_TEXT
    bulk = Form(json.loads('{"links": [1, 2], "kind": "extension", "days": 30}'))
    forms.many_request_from(bulk)
    assert bulk.errors == {"links": NOT_TEXT, "days": NOT_TEXT}
