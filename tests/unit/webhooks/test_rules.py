"""Webhooks' pure rules: the signature, the retry schedule for a day, the endpoint's address."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.webhooks import rules

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"id":"evt_1"}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert rules.signature("whsec_x", 1700000000, body) == expected
    assert rules.signature_header(["whsec_x"], 1700000000, body) == f"t=1700000000,v1={expected}"


@given(st.binary(max_size=500), st.text(min_size=1, max_size=40))
def test_a_signed_body_verifies_and_any_change_does_not(body, secret):
    header = rules.signature_header([secret], int(NOW.timestamp()), body)
    assert rules.verify(secret, header, body, NOW)
    assert not rules.verify(secret, header, body + b" ", NOW)
    assert not rules.verify(secret + "x", header, body, NOW)


def test_an_old_timestamp_does_not_verify_and_both_secrets_sign_during_a_rotation():
    body = b"{}"
    old = rules.signature_header(["s"], int((NOW - timedelta(minutes=6)).timestamp()), body)
    assert not rules.verify("s", old, body, NOW)
    both = rules.signature_header(["new", "old"], int(NOW.timestamp()), body)
    assert rules.verify("new", both, body, NOW) and rules.verify("old", both, body, NOW)
    assert rules.secrets_in_force("new", "old", NOW + timedelta(hours=1), NOW) == ["new", "old"]
    assert rules.secrets_in_force("new", "old", NOW - timedelta(seconds=1), NOW) == ["new"]


def test_retries_back_off_and_stop_a_day_after_the_first_attempt():
    first, moment, attempts, waits = NOW, NOW, 0, []
    while True:
        attempts += 1
        following = rules.next_attempt(attempts, first, moment)
        if following is None:
            break
        waits.append(following - moment)
        moment = following
    assert waits[:4] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
    ]
    assert moment - first <= rules.RETRIED_FOR < moment + timedelta(hours=8) - first
    assert attempts == 10


@pytest.mark.parametrize(
    "url, refused",
    [
        ("https://crm.example.ch/hooks", False),
        ("https://crm.example.ch:8443/hooks?x=1", False),
        ("https://203.0.113.9/hooks", True),  # documentation range: not global
        ("https://8.8.8.8/hooks", False),
        ("http://crm.example.ch/hooks", True),
        ("https://10.1.2.3/", True),
        ("https://[fd00::1]/", True),
        ("https://169.254.169.254/latest", True),
        ("https://localhost/", True),
        ("https://printer.local/", True),
        ("https://intranet/", True),
        ("https://a:b@crm.example.ch/", True),
        ("https://crm.example.ch/#x", True),
        ("ftp://crm.example.ch/", True),
        ("https://" + "a" * 600 + ".ch/", True),
    ],
)
def test_an_endpoint_is_a_public_https_address(url, refused):
    assert (rules.endpoint_url_problem(url) is not None) is refused


def test_a_closed_installation_may_name_a_private_endpoint_but_still_https():
    assert rules.endpoint_url_problem("https://10.1.2.3/", allow_private=True) is None
    assert rules.endpoint_url_problem("http://10.1.2.3/", allow_private=True) is not None


def test_payload_values_become_json_text():
    from datetime import date
    from decimal import Decimal

    assert rules.jsonable({"a": Decimal("1.50"), "d": date(2026, 1, 2), "s": {2, 1}}) == {
        "a": "1.50",
        "d": "2026-01-02",
        "s": [1, 2],
    }
