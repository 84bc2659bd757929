"""Mail delivery through a real SMTP server: what reaches it, and what a refused mail leaves."""

from portal.mail.services import Mail, send_mail
from portal.mail.tables import OutboxMail


async def test_a_subject_is_sent_on_one_line_whatever_the_text_it_quotes(mail_settings, smtp):
    subject = "New tender: Site\u2028Bcc: x@example.ch\r\nand more"
    await send_mail(mail_settings, Mail("ana@example.ch", subject, "Hello"))

    delivered = smtp.to("ana@example.ch")
    assert [m["Subject"] for m in delivered] == ["New tender: Site Bcc: x@example.ch and more"]
    assert delivered[0]["Bcc"] is None
    sent = await OutboxMail.select().first()
    assert sent["sent_at"] is not None and not sent["error"]


async def test_a_mail_the_server_cannot_take_is_kept_with_its_error(mail_settings, smtp):
    await send_mail(mail_settings, Mail("not an address\r\n", "Hello", "Body"))

    kept = await OutboxMail.select().first()
    assert kept["sent_at"] is None and kept["error"]
    assert smtp.messages == []
