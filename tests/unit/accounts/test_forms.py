"""portal.forms as the account forms use it: text, passwords and emails, and odd input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.errors import FormErrors
from portal.forms import CONTROL_CHARACTERS, Form


def errors_of(form: Form) -> dict[str, str]:
    with pytest.raises(FormErrors) as raised:
        form.check()
    return raised.value.errors


def test_text_is_trimmed_and_a_required_field_must_be_filled():
    form = Form({"name": "  Anna  ", "empty": "   "})
    assert form.text("name", required=True) == "Anna"
    form.text("empty", required=True, label="Your name")
    assert errors_of(form) == {"empty": "Your name is required."}


def test_text_longer_than_its_limit_is_refused():
    form = Form({"name": "x" * 201})
    form.text("name")
    assert errors_of(form) == {"name": "Use at most 200 characters."}


@pytest.mark.parametrize("bad", ["a\x00b", "\x00", "a\x1bb", "a\x7fb", "a\x85b", "a\ud800b"])
def test_text_with_control_characters_or_surrogates_is_refused(bad):
    form = Form({"name": bad})
    form.text("name")
    assert errors_of(form) == {"name": CONTROL_CHARACTERS}


def test_text_may_hold_line_breaks_and_tabs_for_longer_messages():
    form = Form({"message": "Hello,\r\n\tthis is us."})
    assert form.text("message", max_length=1000, multiline=True) == "Hello,\r\n\tthis is us."
    form.check()


def test_a_one_line_field_refuses_line_breaks():
    """A name with a line break would break the headers of the mails that carry it."""
    form = Form({"full_name": "Eve\r\nBcc: victim@example.ch"})
    form.text("full_name")
    assert errors_of(form) == {"full_name": CONTROL_CHARACTERS}


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
def test_the_unicode_line_and_paragraph_separators_are_line_breaks_too(separator):
    one_line = Form({"title": f"Site{separator}Bcc: x@example.ch"})
    one_line.text("title")
    assert errors_of(one_line) == {"title": CONTROL_CHARACTERS}
    text = Form({"message": f"First{separator}second"})
    assert text.text("message", multiline=True) == f"First{separator}second"
    text.check()


@pytest.mark.parametrize("bad", ["secret\x00secret", "secret\tsecret", "secret\nsecret"])
def test_passwords_with_control_characters_are_refused(bad):
    form = Form({"password": bad})
    form.password("password")
    assert errors_of(form) == {"password": CONTROL_CHARACTERS}


def test_a_password_is_taken_as_typed_spaces_included():
    form = Form({"password": "  zwei Wörter  "})
    assert form.password("password") == "  zwei Wörter  "
    form.check()


def test_a_missing_password_asks_for_it():
    form = Form({})
    form.password("password")
    assert errors_of(form) == {"password": "Enter the password."}


def test_an_email_is_normalised_to_lower_case():
    assert Form({"email": " Anna.Muster@Example.CH "}).email() == "anna.muster@example.ch"


@pytest.mark.parametrize("bad", ["anna", "anna@", "@example.ch", "anna@exa mple.ch", "a\x00@b.ch"])
def test_a_malformed_email_is_refused(bad):
    form = Form({"email": bad})
    form.email()
    assert "email" in errors_of(form)


def test_every_problem_is_reported_at_once():
    form = Form({"email": "nope", "password": ""})
    form.email()
    form.password("password")
    form.text("full_name", required=True)
    assert set(errors_of(form)) == {"email", "password", "full_name"}


@given(st.text(max_size=400))
def test_text_that_passes_holds_no_character_postgresql_refuses(value):
    form = Form({"name": value})
    result = form.text("name", max_length=1000)
    if not form.errors:
        assert "\x00" not in result
        result.encode("utf-8")  # no lone surrogate


@pytest.mark.parametrize("raw", ["²", "١٢", "12²", "9" * 40])
def test_numbers_are_plain_ascii_digits(raw):
    form = Form({"n": raw})
    assert form.integer("n") is None and "n" in form.errors
