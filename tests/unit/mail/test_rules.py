"""Which delivery failures are worth trying again."""

import aiosmtplib
import pytest

from portal.mail.rules import is_permanent, message_id

REFUSED_LATER = aiosmtplib.SMTPRecipientRefused(451, "Greylisted, try later", "a@example.ch")
REFUSED_FOR_GOOD = aiosmtplib.SMTPRecipientRefused(550, "No such user", "b@example.ch")


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
        (aiosmtplib.SMTPAuthenticationError(535, "Bad credentials"), True),
        (ValueError("Header values may not contain linefeed"), True),
    ],
)
def test_only_a_malformed_mail_or_a_5xx_refusal_is_permanent(error, permanent):
    assert is_permanent(error) is permanent


@pytest.mark.parametrize(
    ("mail_from", "base_url", "expected"),
    [
        (
            "Partner Portal <no-reply@portal.example.ch>",
            "https://x.ch",
            "<outbox-7@portal.example.ch>",
        ),
        ("no-reply@mail.example.ch", "https://x.ch", "<outbox-7@mail.example.ch>"),
        ("Partner Portal", "https://portal.example.ch:8443/app", "<outbox-7@portal.example.ch>"),
        ("no-reply@", "http://127.0.0.1:8000", "<outbox-7@127.0.0.1>"),
        ("no-reply@-bad-", "https://ex ample/", "<outbox-7@partner-portal.local>"),
        ("", "", "<outbox-7@partner-portal.local>"),
    ],
)
def test_a_message_id_names_the_outbox_row_at_the_senders_domain(mail_from, base_url, expected):
    assert message_id(7, mail_from, base_url) == expected


def test_a_message_id_is_the_same_on_every_try_and_differs_between_rows():
    sender, url = "no-reply@portal.example.ch", "https://portal.example.ch"
    assert message_id(7, sender, url) == message_id(7, sender, url)
    assert message_id(7, sender, url) != message_id(8, sender, url)
