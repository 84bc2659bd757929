"""TOTP codes (30 s, one step of drift, each code once) and backup codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts import rules

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 3, 2, 12, 0, 10, tzinfo=UTC)
STEP = rules.totp_step(NOW)


def code_at(step: int, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(step * 30)


def accepted(code: str, last_step: int = 0) -> int | None:
    return rules.accepted_totp_step(SECRET, code, NOW, last_step)


def test_a_step_is_30_seconds():
    assert rules.totp_step(NOW + timedelta(seconds=30)) == STEP + 1
    assert rules.totp_step(datetime(1970, 1, 1, 0, 0, 59, tzinfo=UTC)) == 1


def test_the_code_an_authenticator_app_shows_now_is_accepted():
    assert accepted(pyotp.TOTP(SECRET).at(NOW)) == STEP


@pytest.mark.parametrize("drift", [-1, 0, 1])
def test_one_step_of_clock_drift_either_way_is_forgiven(drift):
    assert accepted(code_at(STEP + drift)) == STEP + drift


@pytest.mark.parametrize("drift", [-3, -2, 2, 3])
def test_codes_further_away_are_refused(drift):
    code = code_at(STEP + drift)
    if code not in {code_at(STEP - 1), code_at(STEP), code_at(STEP + 1)}:
        assert accepted(code) is None


def test_a_code_whose_step_was_used_already_is_refused():
    assert accepted(code_at(STEP), last_step=STEP) is None
    assert accepted(code_at(STEP - 1), last_step=STEP) is None
    assert accepted(code_at(STEP + 1), last_step=STEP) == STEP + 1


def test_a_code_typed_with_spaces_is_accepted():
    code = code_at(STEP)
    assert accepted(f" {code[:3]} {code[3:]} ") == STEP


@pytest.mark.parametrize(
    "code",
    [
        "",
        "12345",
        "1234567",
        "abcdef",
        "12345a",
        "\u0661\u0662\u0663\u0664\u0665\u0666",
        "12\x0034",
    ],
)
def test_anything_but_six_ascii_digits_is_refused(code):
    assert accepted(code) is None


@given(st.text(max_size=20))
def test_arbitrary_text_as_a_code_is_answered_without_error(code):
    step = accepted(code)
    assert step is None or step in {STEP - 1, STEP, STEP + 1}


def test_the_provisioning_uri_names_the_portal_and_the_user():
    uri = rules.totp_uri(SECRET, "anna@example.ch")
    assert uri.startswith("otpauth://totp/Partner%20Portal:anna%40example.ch?")
    assert f"secret={SECRET}" in uri


def test_a_new_totp_secret_is_base32_of_at_least_160_bits():
    secret = rules.new_totp_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert secret != rules.new_totp_secret()


# --- backup codes --------------------------------------------------------------------------


def test_ten_distinct_backup_codes_of_the_form_xxxxx_xxxxx():
    codes = rules.new_backup_codes()
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code)
        assert not set(code) & set("01ilo")  # nothing to misread


def test_a_backup_code_hash_is_sha256_hex_without_the_code():
    code = rules.new_backup_codes()[0]
    code_hash = rules.backup_code_hash(code)
    assert re.fullmatch(r"[0-9a-f]{64}", code_hash)
    assert code not in code_hash and code.replace("-", "") not in code_hash


@pytest.mark.parametrize(
    "typed",
    ["abcde-fghjk", "ABCDE-FGHJK", " abcde-fghjk ", "abcdefghjk", "abcde fghjk", "Abcde Fghjk"],
)
def test_a_backup_code_is_recognised_however_it_is_typed(typed):
    assert rules.looks_like_backup_code(typed)
    assert rules.backup_code_hash(typed) == rules.backup_code_hash("abcde-fghjk")


def test_different_backup_codes_have_different_hashes():
    assert rules.backup_code_hash("abcde-fghjk") != rules.backup_code_hash("abcde-fghjm")


@pytest.mark.parametrize("code", ["123456", "", "abcd-efgh", "abcde-fghjkm", "abcde-fghj1"])
def test_totp_codes_and_malformed_codes_do_not_look_like_backup_codes(code):
    assert not rules.looks_like_backup_code(code)


@given(st.lists(st.sampled_from([" ", "-"]), max_size=3), st.booleans())
def test_dashes_spaces_and_case_never_change_a_backup_code(separators, upper):
    code = rules.new_backup_codes()[0]
    typed = code.replace("-", "".join(separators))
    typed = typed.upper() if upper else typed
    assert rules.looks_like_backup_code(typed)
    assert rules.backup_code_hash(typed) == rules.backup_code_hash(code)
