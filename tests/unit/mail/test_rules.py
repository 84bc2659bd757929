"""Which delivery failures are worth trying again, which point at the portal's SMTP settings,
and the Message-ID receivers deduplicate by."""

import ssl
from datetime import UTC, datetime, timedelta, timezone

import aiosmtplib
import pytest

from portal.mail.rules import configuration_problem, is_permanent, message_id

REFUSED_LATER = aiosmtplib.SMTPRecipientRefused(451, "Greylisted, try later", "a@example.ch")
REFUSED_FOR_GOOD = aiosmtplib.SMTPRecipientRefused(550, "No such user", "b@example.ch")
RELAY_DENIED = aiosmtplib.SMTPRecipientRefused(554, "5.7.1 Relay access denied", "c@example.ch")


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (ConnectionRefusedError(111, "Connection refused"), False),
        (OSError("Network is unreachable"), False),
        (aiosmtplib.SMTPConnectError("cannot connect"), False),
        (aiosmtplib.SMTPServerDisconnected("gone"), False),
        (aiosmtplib.SMTPReadTimeoutError("slow"), False),
        (aiosmtplib.SMTPResponseException(421, "Service not available"), False),
        (aiosmtplib.SMTPDataError(452, "Insufficient storage"), False),
        (aiosmtplib.SMTPSenderRefused(451, "Try later", "portal@host.ch"), False),
        (REFUSED_LATER, False),
        (aiosmtplib.SMTPRecipientsRefused([REFUSED_LATER]), False),
        (aiosmtplib.SMTPRecipientsRefused([REFUSED_LATER, REFUSED_FOR_GOOD]), False),
        (aiosmtplib.SMTPRecipientsRefused([]), False),
        (REFUSED_FOR_GOOD, True),
        (aiosmtplib.SMTPRecipientsRefused([REFUSED_FOR_GOOD]), True),
        (aiosmtplib.SMTPDataError(554, "Message rejected"), True),
        (aiosmtplib.SMTPDataError(552, "Message size exceeds fixed limit"), True),
        (ValueError("Header values may not contain linefeed"), True),
        # the portal's own SMTP settings: every mail would be given up while they are wrong
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Bad credentials"), False),
        (aiosmtplib.SMTPResponseException(530, "5.7.0 Must issue a STARTTLS command"), False),
        (aiosmtplib.SMTPSenderRefused(550, "Sender not allowed", "no-reply@x.ch"), False),
        (aiosmtplib.SMTPSenderRefused(530, "Authentication required", "no-reply@x.ch"), False),
        (RELAY_DENIED, False),
        (aiosmtplib.SMTPRecipientsRefused([RELAY_DENIED]), False),
        (aiosmtplib.SMTPRecipientsRefused([REFUSED_FOR_GOOD, RELAY_DENIED]), False),
        (aiosmtplib.SMTPHeloError(501, "Invalid domain name"), False),
        (aiosmtplib.SMTPConnectResponseError(554, "No SMTP service here"), False),
        (aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server."), False),
        (ssl.SSLCertVerificationError(1, "certificate has expired"), False),
        (ssl.SSLError(1, "wrong version number"), False),
    ],
)
def test_only_a_refusal_of_the_recipients_or_of_a_malformed_mail_is_permanent(error, permanent):
    assert is_permanent(error) is permanent


@pytest.mark.parametrize(
    ("error", "names"),
    [
        (aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Bad credentials"), "SMTP_PASSWORD"),
        (aiosmtplib.SMTPResponseException(530, "5.7.0 Must issue STARTTLS"), "SMTP_STARTTLS"),
        (aiosmtplib.SMTPSenderRefused(550, "Sender not allowed", "n@x.ch"), "MAIL_FROM"),
        (aiosmtplib.SMTPRecipientsRefused([REFUSED_FOR_GOOD, RELAY_DENIED]), "relay"),
        (aiosmtplib.SMTPHeloError(501, "Invalid domain name"), "SMTP_HOST"),
        (ssl.SSLCertVerificationError(1, "certificate has expired"), "certificate"),
        (aiosmtplib.SMTPException("SMTP AUTH extension not supported"), "AUTH extension"),
    ],
)
def test_a_configuration_problem_names_the_setting_to_look_at(error, names):
    assert names in configuration_problem(error)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        aiosmtplib.SMTPServerDisconnected("gone"),
        aiosmtplib.SMTPReadTimeoutError("slow"),
        aiosmtplib.SMTPSenderRefused(451, "Try later", "n@x.ch"),
        aiosmtplib.SMTPResponseException(421, "Service not available"),
        REFUSED_FOR_GOOD,
        aiosmtplib.SMTPRecipientsRefused([REFUSED_FOR_GOOD]),
        aiosmtplib.SMTPDataError(554, "Message rejected"),
        ValueError("Header values may not contain linefeed"),
    ],
)
def test_a_failure_of_one_mail_or_of_the_network_is_no_configuration_problem(error):
    assert configuration_problem(error) is None


CREATED = datetime(2026, 12, 2, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.mark.parametrize(
    ("mail_from", "base_url", "domain"),
    [
        ("Partner Portal <no-reply@portal.example.ch>", "https://x.ch", "portal.example.ch"),
        ("no-reply@mail.example.ch", "https://x.ch", "mail.example.ch"),
        ("Partner Portal", "https://portal.example.ch:8443/app", "portal.example.ch"),
        ("no-reply@", "http://127.0.0.1:8000", "127.0.0.1"),
        ("no-reply@-bad-", "https://ex ample/", "partner-portal.local"),
        ("", "", "partner-portal.local"),
    ],
)
def test_a_message_id_names_the_outbox_row_at_the_senders_domain(mail_from, base_url, domain):
    expected = f"<outbox-7.20261202030405678901@{domain}>"
    assert message_id(7, CREATED, mail_from, base_url) == expected


def test_a_message_id_is_the_same_on_every_try_and_differs_between_rows_and_installations():
    sender, url = "no-reply@portal.example.ch", "https://portal.example.ch"
    assert message_id(7, CREATED, sender, url) == message_id(7, CREATED, sender, url)
    assert message_id(7, CREATED, sender, url) != message_id(8, CREATED, sender, url)
    # row 7 of another database (staging, a restore) sending from the same domain
    other = CREATED + timedelta(microseconds=1)
    assert message_id(7, CREATED, sender, url) != message_id(7, other, sender, url)
    in_zurich = CREATED.astimezone(timezone(timedelta(hours=1)))
    assert message_id(7, in_zurich, sender, url) == message_id(7, CREATED, sender, url)
