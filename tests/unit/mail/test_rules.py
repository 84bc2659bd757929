"""Which delivery failures are worth trying again."""

import aiosmtplib
import pytest

from portal.mail.rules import is_permanent

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
