"""The pure rules of organisations: roles, website, registration and VAT numbers, countries."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.access import Role
from portal.core import reference
from portal.organisations import rules

LEGAL, ADMIN, USER = Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR, Role.USER

# --- the last legal representative -----------------------------------------------------------


@pytest.mark.parametrize("role_after", [ADMIN, USER, None])
def test_the_last_legal_representative_cannot_be_demoted_or_removed(role_after):
    problem = rules.last_legal_representative_problem(LEGAL, role_after, legal_representatives=1)
    assert problem and "last legal representative" in problem


@pytest.mark.parametrize("role_after", [ADMIN, USER, None])
def test_a_legal_representative_can_go_while_another_remains(role_after):
    assert rules.last_legal_representative_problem(LEGAL, role_after, 2) is None


def test_the_last_legal_representative_may_keep_the_role():
    assert rules.last_legal_representative_problem(LEGAL, LEGAL, 1) is None


@pytest.mark.parametrize("role_before", [ADMIN, USER])
@pytest.mark.parametrize("role_after", [LEGAL, ADMIN, USER, None])
def test_other_roles_come_and_go_freely(role_before, role_after):
    assert rules.last_legal_representative_problem(role_before, role_after, 1) is None


@given(
    role_before=st.sampled_from(Role),
    role_after=st.none() | st.sampled_from(Role),
    count=st.integers(min_value=1, max_value=5),
)
def test_a_change_is_refused_exactly_when_it_would_leave_no_legal_representative(
    role_before, role_after, count
):
    remaining = count - (role_before is LEGAL) + (role_after is LEGAL)
    problem = rules.last_legal_representative_problem(role_before, role_after, count)
    assert (problem is not None) == (remaining < 1)


@pytest.mark.parametrize(
    ("before", "after", "touches"),
    [
        (USER, LEGAL, True),
        (LEGAL, ADMIN, True),
        (LEGAL, None, True),
        (None, LEGAL, True),
        (USER, ADMIN, False),
        (ADMIN, None, False),
        (None, USER, False),
    ],
)
def test_giving_or_taking_the_legal_representative_role_is_recognised(before, after, touches):
    assert rules.touches_legal_representation(before, after) is touches


# --- website ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.ch", "https://example.ch"),
        ("  www.example.ch/partners  ", "https://www.example.ch/partners"),
        ("http://example.ch", "http://example.ch"),
        ("https://shop.example.co.uk:8443/a?b=c", "https://shop.example.co.uk:8443/a?b=c"),
        ("bücher.de", "https://bücher.de"),
        ("xn--bcher-kva.de", "https://xn--bcher-kva.de"),
    ],
)
def test_a_website_is_stored_with_its_scheme(typed, stored):
    assert rules.normalise_website(typed) == (stored, None)


def test_no_website_is_fine():
    assert rules.normalise_website("   ") == ("", None)


@pytest.mark.parametrize(
    "typed",
    [
        "localhost",
        "ftp://example.ch",
        "javascript:alert(1)",
        "https://exa mple.ch",
        "https://example.ch/\x00",
        "https://[",
        "https://example.ch:port",
        "https://user:secret@example.ch",
        "https://-example.ch",
        "https://example..ch",
        "https://example.c",
        "https://example.123",
    ],
)
def test_a_website_that_is_no_web_address_is_refused(typed):
    _stored, problem = rules.normalise_website(typed)
    assert problem == rules.WEBSITE_PROBLEM


@pytest.mark.parametrize("typed", ["https://example.ch/" + "a" * 300, "example.ch/" + "a" * 282])
def test_a_website_longer_than_its_column_says_so(typed):
    _stored, problem = rules.normalise_website(typed)
    assert problem == "Use at most 300 characters, https:// included."


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_any_typed_website_is_answered_without_crashing(typed):
    stored, problem = rules.normalise_website(typed)
    if problem is None and stored:
        assert stored.startswith(("http://", "https://")) and len(stored) <= 300
        assert not any(c.isspace() for c in stored)


# --- registration numbers and VAT numbers ----------------------------------------------------


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("CH", "CHE-100.155.212"),
        ("CH", "CHE100155212"),
        ("FR", "552 008 443"),  # SIREN
        ("FR", "73282932000074"),  # SIRET
        ("DE", "HRB 12345"),  # no check digits known: kept for review
        ("CH", ""),
    ],
)
def test_valid_registration_numbers_are_accepted(country, number):
    assert rules.registration_number_problem(country, number) is None


@pytest.mark.parametrize(
    ("country", "number", "words"),
    [
        ("CH", "CHE-100.155.213", "Swiss UID"),
        ("CH", "CHE-100.155", "Swiss UID"),
        ("FR", "552 008 442", "SIREN"),
        ("FR", "73282932000075", "SIRET"),
        ("FR", "12345", "SIREN"),
        ("DE", "x" * 61, "at most 60"),
        ("DE", "HRB\x0012345", "control characters"),
    ],
)
def test_invalid_registration_numbers_are_explained(country, number, words):
    assert words in (rules.registration_number_problem(country, number) or "")


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("CH", "CHE-107.787.577 IVA"),
        ("CH", "CHE-100.155.212 MWST"),
        ("LI", "CHE-107.787.577 MWST"),
        ("FR", "FR40303265045"),
        ("DE", "DE136695976"),
        ("AT", "ATU57194903"),
        ("GR", "EL094259216"),
        ("US", "12-3456789"),
        ("FR", ""),
    ],
)
def test_valid_vat_numbers_are_accepted(country, number):
    assert rules.vat_number_problem(country, number) is None


@pytest.mark.parametrize(
    ("country", "number", "words"),
    [
        ("CH", "CHE-107.787.578 MWST", "Swiss VAT"),
        ("LI", "DE136695976", "Swiss VAT"),
        ("FR", "FR40303265046", "EU VAT"),
        ("FR", "40303265045", "country prefix"),
        ("DE", "DE136695977", "EU VAT"),
        ("US", "x" * 41, "at most 40"),
        ("US", "12\x00", "control characters"),
    ],
)
def test_invalid_vat_numbers_are_explained(country, number, words):
    assert words in (rules.vat_number_problem(country, number) or "")


@settings(max_examples=200)
@given(country=st.sampled_from(["CH", "FR", "DE", "LI", "US"]), number=st.text(max_size=80))
def test_any_typed_number_is_answered_without_crashing(country, number):
    rules.registration_number_problem(country, number)
    rules.vat_number_problem(country, number)


# --- name and countries ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", " A ", "x" * 201, "Muster\x00AG"])
def test_unusable_organisation_names_are_refused(name):
    assert rules.name_problem(name)


def test_a_normal_name_is_fine():
    assert rules.name_problem("Muster Web AG") is None


def test_the_home_countries_come_first_then_the_rest_by_name():
    countries = reference.countries()
    codes = list(countries)
    assert codes[: len(reference.FIRST_COUNTRIES)] == list(reference.FIRST_COUNTRIES)
    rest = list(countries.values())[len(reference.FIRST_COUNTRIES) :]
    assert rest == sorted(rest)
    assert countries["CH"] == "Switzerland" and countries["FR"] == "France"


def test_the_country_list_holds_countries_only():
    countries = reference.countries()
    assert all(len(code) == 2 and code.isalpha() and code.isupper() for code in countries)
    assert not {"EU", "UN", "ZZ", "XA", "XB", "001"} & set(countries)
    assert 240 < len(countries) < 270


def test_currencies_are_chf_and_eur():
    assert reference.CURRENCIES == ("CHF", "EUR")
