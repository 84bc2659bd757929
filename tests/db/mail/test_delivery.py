"""Mail delivery through a real SMTP server, by the worker's hand-over of a queued mail: what
reaches the server, and what a mail it cannot take leaves."""

import pytest

from portal.mail.services import Mail, MailNotDelivered, deliver_queued_mail, queue_mail
from portal.mail.tables import OutboxMail


async def test_a_subject_is_sent_on_one_line_whatever_the_text_it_quotes(mail_settings, smtp):
    subject = "New tender: Site\u2028Bcc: x@example.ch\r\nand more"
    outbox_id = await queue_mail(Mail("ana@example.ch", subject, "Hello"))
    assert await deliver_queued_mail(mail_settings, outbox_id) is True

    delivered = smtp.to("ana@example.ch")
    assert [m["Subject"] for m in delivered] == ["New tender: Site Bcc: x@example.ch and more"]
    assert delivered[0]["Bcc"] is None
    sent = await OutboxMail.select().first()
    assert sent["sent_at"] is not None and not sent["error"]


async def test_a_mail_the_server_cannot_take_is_kept_with_its_error(mail_settings, smtp):
    outbox_id = await queue_mail(Mail("not an address\r\n", "Hello", "Body"))
    with pytest.raises(MailNotDelivered) as refused:
        await deliver_queued_mail(mail_settings, outbox_id)
    assert refused.value.permanent  # a malformed mail: trying again would not help

    kept = await OutboxMail.select().first()
    assert kept["sent_at"] is None and kept["error"] and kept["sending_until"] is None
    assert smtp.messages == []
