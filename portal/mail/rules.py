"""Pure rules of mail delivery: which failures trying again could mend."""

from __future__ import annotations

from datetime import timedelta

import aiosmtplib

# SMTP reply codes from 500 up are permanent: the same mail would be refused again.
PERMANENT_REPLY = 500


def is_permanent(error: Exception) -> bool:
    """Whether ERROR, raised while handing a mail to SMTP, would happen again on a retry:
    a malformed mail (a bad header), or a 5xx refusal of the mail or of all its recipients.
    A connection refused, a timeout or a 4xx (try later) is worth trying again."""
    if isinstance(error, ValueError):
        return True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(is_permanent(r) for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return error.code >= PERMANENT_REPLY
    return False


# A worker handing a queued mail to SMTP holds it this long; the hand-over itself is cut off
# well before (SEND_TIMEOUT), so a claim never runs out while its mail is still being sent.
SENDING_CLAIM = timedelta(minutes=2)
SEND_TIMEOUT = timedelta(seconds=60)
