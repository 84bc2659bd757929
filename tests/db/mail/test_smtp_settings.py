"""A real SMTP server that refuses the portal's own settings (its login, its sender): the mail
is kept and tried again, with the setting to look at on the row and in the log, never given
up at its first attempt as if its recipient had refused it."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from portal.jobs.registry import JobContext
from portal.mail import jobs as mail_jobs
from portal.mail.services import Mail, MailNotDelivered, deliver_queued_mail, queue_mail
from portal.mail.tables import OutboxMail
from tests.factories.mail import MailCatcher
from tests.factories.servers import free_port

HELLO = Mail("ana@example.ch", "Your tender is published", "Here is your link.")
DELIVER = mail_jobs.JOBS[0]


class Login:
    """aiosmtpd's authenticator: only portal / right-password may send."""

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"right-password"
        return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535


class RefusingSender(MailCatcher):
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        return "550 5.7.1 Sender address not allowed"


def _serve(handler, **options):
    from aiosmtpd.controller import Controller

    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, **options)
    controller.start()
    return controller


@pytest.fixture
def smtp_with_login():
    catcher = MailCatcher()
    controller = _serve(catcher, auth_required=True, auth_require_tls=False, authenticator=Login())
    yield catcher
    controller.stop()


@pytest.fixture
def smtp_refusing_sender():
    catcher = RefusingSender()
    controller = _serve(catcher)
    yield catcher
    controller.stop()


async def _first_try(settings, outbox_id: int) -> None:
    context = JobContext(settings, job_id=1, start=1, max_attempts=DELIVER.max_attempts)
    await DELIVER.run(context, {"outbox_id": outbox_id})


async def _kept(outbox_id: int) -> dict:
    return await OutboxMail.select().where(OutboxMail.id == outbox_id).first()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a test server
async def test_a_wrong_smtp_password_keeps_the_mail_for_a_retry_and_says_so_loudly(
    mail_settings, smtp_with_login, caplog
):
    outbox_id = await queue_mail(HELLO)
    wrong = replace(
        mail_settings,
        smtp_port=smtp_with_login.port,
        smtp_username="portal",
        smtp_password="wrong-password",
    )
    with caplog.at_level(logging.ERROR), pytest.raises(MailNotDelivered) as failed:
        await _first_try(wrong, outbox_id)  # not JobFailed: the job is tried again
    assert not failed.value.permanent
    kept = await _kept(outbox_id)
    assert kept["sent_at"] is None and "SMTP_PASSWORD" in kept["error"]
    assert any(
        r.levelno == logging.ERROR and "SMTP_PASSWORD" in r.getMessage() for r in caplog.records
    )

    fixed = replace(wrong, smtp_password="right-password")
    assert await deliver_queued_mail(fixed, outbox_id) is True  # the next try, once fixed
    assert len(smtp_with_login.to("ana@example.ch")) == 1
    assert (await _kept(outbox_id))["error"] == ""


async def test_a_refused_sender_address_keeps_the_mail_for_a_retry(
    mail_settings, smtp_refusing_sender
):
    outbox_id = await queue_mail(HELLO)
    refused = replace(mail_settings, smtp_port=smtp_refusing_sender.port)
    with pytest.raises(MailNotDelivered) as failed:
        await _first_try(refused, outbox_id)
    assert not failed.value.permanent
    assert "MAIL_FROM" in (await _kept(outbox_id))["error"]
