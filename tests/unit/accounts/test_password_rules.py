"""Which passwords are accepted, how they are hashed (argon2id), and the audit label."""

from __future__ import annotations

import importlib.util

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts import passwords, rules

GOOD = "Wander-Kiesel-73"


def fresh_passwords_module():
    """portal.accounts.passwords as production imports it, without the tests' cheap hasher."""
    spec = importlib.util.find_spec("portal.accounts.passwords")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_production_hasher_makes_argon2id_hashes():
    production = fresh_passwords_module()
    assert production.HASHER.type is Type.ID
    assert production.hash_password(GOOD).startswith("$argon2id$")


def test_the_production_hasher_costs_at_least_what_owasp_asks_of_argon2id():
    production = fresh_passwords_module().HASHER
    # OWASP: argon2id with 19 MiB of memory and 2 iterations at the least.
    assert production.memory_cost >= 19 * 1024
    assert production.time_cost >= 2


def test_the_hasher_in_use_makes_argon2id_hashes_too():
    assert isinstance(passwords.HASHER, PasswordHasher)
    assert passwords.hash_password(GOOD).startswith("$argon2id$")


def test_a_hash_verifies_its_password_and_no_other():
    password_hash = passwords.hash_password(GOOD)
    assert passwords.verify_password(password_hash, GOOD)
    assert not passwords.verify_password(password_hash, GOOD.lower())
    assert not passwords.verify_password(password_hash, GOOD + " ")


def test_a_damaged_hash_is_a_wrong_password_not_a_crash():
    assert not passwords.verify_password("not a hash", GOOD)
    assert not passwords.verify_password("$argon2id$v=19$m=1024,t=1,p=1$broken", GOOD)


def test_two_hashes_of_one_password_differ_by_their_salt():
    assert passwords.hash_password(GOOD) != passwords.hash_password(GOOD)


@pytest.mark.parametrize("length", [8, 9, 64, 100, 128])
def test_passwords_of_8_to_128_characters_are_accepted(length):
    password = ("Kiesel-73-Wander-" * 10)[:length]
    assert rules.password_problem(password) is None


@pytest.mark.parametrize("length", [0, 1, 7])
def test_passwords_shorter_than_8_characters_are_refused(length):
    assert "at least 8" in rules.password_problem("Kx9-wQ2z"[:length])


def test_a_password_longer_than_128_characters_is_refused():
    assert "at most 128" in rules.password_problem("Kiesel-73-" * 13)


@pytest.mark.parametrize(
    "common", ["password1", "qwertyuiop", "Password1", "QWERTYUIOP", "iloveyou", "12345678"]
)
def test_common_passwords_are_refused_in_any_case(common):
    assert "too common" in rules.password_problem(common)


@pytest.mark.parametrize("repetitive", ["aaaaaaaa", "abababab", "........"])
def test_passwords_of_one_or_two_characters_repeated_are_refused(repetitive):
    assert "too common" in rules.password_problem(repetitive)


def test_the_email_address_or_name_is_refused_as_password():
    email, name = "heidi.keller@example.ch", "Heidi Keller"
    assert "name or email" in rules.password_problem(email, email=email, name=name)
    assert "name or email" in rules.password_problem("heidi.keller", email=email, name=name)
    assert "name or email" in rules.password_problem("HeidiKeller", email=email, name=name)
    assert rules.password_problem(GOOD, email=email, name=name) is None


@given(st.text(min_size=8, max_size=128, alphabet=st.characters(codec="utf-8")))
def test_the_password_rule_answers_any_text_with_none_or_a_reason(password):
    problem = rules.password_problem(password, email="a@b.ch", name="A B")
    assert problem is None or isinstance(problem, str)
    if len(set(password.lower())) >= 3 and len(password) >= 8 and problem:
        assert "at least" not in problem and "at most" not in problem


# --- the audit log's name for a user -------------------------------------------------------


def test_the_actor_label_is_name_and_address():
    assert rules.actor_label("Anna Muster", "Anna@Example.ch") == "Anna Muster <anna@example.ch>"


@given(st.text(max_size=200), st.emails())
def test_the_actor_label_always_fits_the_audit_column_and_keeps_the_address(name, email):
    label = rules.actor_label(name, email)
    assert len(label) <= rules.ACTOR_LABEL_LENGTH
    if len(email) < rules.ACTOR_LABEL_LENGTH - 3:
        assert label.endswith(f" <{email.lower()}>")
