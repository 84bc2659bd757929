"""Queued mail: written to the outbox in the caller's transaction (gone with a rollback),
handed to a real SMTP server by the worker once, tried again while the server cannot take
it, given up (with the reason on the row) when it refuses it for good."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from portal.accounts.tables import Account
from portal.mail.jobs import JOBS
from portal.mail.services import (
    DELIVER_MAIL,
    Mail,
    MailNotDelivered,
    deliver_queued_mail,
    queue_mail,
    record_delivery_error,
    release_held_mail,
)
from portal.mail.tables import OutboxMail
from portal.piccolo_conf import DB
from portal.settings import Settings
from tests.factories.accounts import sign_up
from tests.factories.jobs import queued_jobs, work_off_queue
from tests.factories.mail import MailCatcher
from tests.factories.servers import free_port

HELLO = Mail("ana@example.ch", "Your quote was accepted", "Good news.")


def settings_for(port: int) -> Settings:
    return Settings(
        secret_key="test", base_url="https://portal.test", smtp_host="127.0.0.1", smtp_port=port
    )


async def outbox() -> list[dict]:
    return await OutboxMail.select().order_by(OutboxMail.id)


async def test_a_queued_mail_is_gone_with_a_rolled_back_transaction(db):
    with pytest.raises(RuntimeError):
        async with DB.transaction():
            await queue_mail(HELLO)
            raise RuntimeError("the decision failed")
    assert await outbox() == []
    assert await queued_jobs([DELIVER_MAIL]) == 0


async def test_a_queued_mail_waits_for_the_worker_which_delivers_it_once(mail_settings, smtp):
    async with DB.transaction():
        outbox_id = await queue_mail(HELLO)
    assert smtp.messages == []  # nothing leaves in the request
    assert await queued_jobs([DELIVER_MAIL]) == 1
    pending = (await outbox())[0]
    assert pending["sent_at"] is None and pending["error"] == ""

    assert await deliver_queued_mail(mail_settings, outbox_id) is True
    assert await deliver_queued_mail(mail_settings, outbox_id) is False  # a retry: not twice
    assert await deliver_queued_mail(mail_settings, 10**9) is False  # purged since
    assert [m["Subject"] for m in smtp.to("ana@example.ch")] == ["Your quote was accepted"]
    assert smtp.last_body("ana@example.ch").strip() == "Good news."
    assert (await outbox())[0]["sent_at"] is not None


async def test_without_an_smtp_server_the_mail_stays_in_the_development_outbox_saying_why(
    settings, client
):
    outbox_id = await queue_mail(HELLO)
    assert await deliver_queued_mail(settings, outbox_id) is False
    kept = await outbox()
    assert [m["subject"] for m in kept] == ["Your quote was accepted"]
    assert kept[0]["sent_at"] is None
    assert kept[0]["error"] == "Not sent: no SMTP server is configured for the worker (SMTP_HOST)."
    await sign_up(client, "sam@host.example", organisation="Host AG")  # staff, in development
    await Account.update({Account.is_staff: True}).where(Account.email == "sam@host.example")
    page = await client.get("/dev/outbox")
    assert "no SMTP server is configured for the worker" in page.text


async def test_mails_held_without_smtp_leave_once_a_worker_has_a_server(
    settings, mail_settings, smtp
):
    held = [await queue_mail(HELLO) for _ in range(2)]
    await work_off_queue(settings, JOBS)  # a worker without SMTP: both held, their jobs done
    refused = await queue_mail(Mail("bo@example.ch", "Refused", "Given up for another reason."))
    await record_delivery_error(refused, "Not delivered: the mail server refused it")
    assert smtp.messages == [] and await queued_jobs([DELIVER_MAIL]) == 1

    assert await release_held_mail(settings) == 0  # still no server: nothing to do
    assert await release_held_mail(mail_settings) == 2  # the held ones, not the refused one
    assert await release_held_mail(mail_settings) == 0  # each once
    await OutboxMail.delete().where(OutboxMail.id == refused)
    await work_off_queue(mail_settings, JOBS)
    assert [m["Subject"] for m in smtp.to("ana@example.ch")] == ["Your quote was accepted"] * 2
    assert all(row["sent_at"] is not None for row in await outbox() if row["id"] in held)


async def test_a_sent_mail_is_not_noted_unsent_by_a_worker_without_smtp(mail_settings, settings):
    outbox_id = await queue_mail(HELLO)
    assert await deliver_queued_mail(mail_settings, outbox_id) is True
    assert await deliver_queued_mail(settings, outbox_id) is False  # a stray worker, no SMTP
    assert (await outbox())[0]["error"] == ""


async def test_a_server_that_cannot_be_reached_leaves_the_mail_pending(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    nobody_listens = settings_for(free_port())
    with pytest.raises(MailNotDelivered) as failed:
        await deliver_queued_mail(nobody_listens, outbox_id)
    assert not failed.value.permanent
    kept = (await outbox())[0]
    assert kept["sent_at"] is None and kept["error"]

    assert await deliver_queued_mail(mail_settings, outbox_id) is True  # it is back
    sent = (await outbox())[0]
    assert sent["sent_at"] is not None and sent["error"] == ""
    assert len(smtp.to("ana@example.ch")) == 1


class RefusingFirst(MailCatcher):
    """A real SMTP server that answers the first REFUSALS recipients with CODE."""

    def __init__(self, code: int, refusals: int) -> None:
        super().__init__()
        self.code, self.refusals, self.attempts = code, refusals, 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.attempts += 1
        if self.attempts <= self.refusals:
            return f"{self.code} 4.7.1 Not now" if self.code < 500 else f"{self.code} No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(request):
    from aiosmtpd.controller import Controller

    catcher = RefusingFirst(*request.param)
    catcher.port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    yield catcher
    controller.stop()


QUICK_RETRY = [
    dataclasses.replace(job, first_retry_delay=timedelta(milliseconds=50)) for job in JOBS
]


@pytest.mark.parametrize("refusing_smtp", [(451, 2)], indirect=True)
async def test_the_worker_tries_again_until_the_server_takes_the_mail(db, refusing_smtp):
    async with DB.transaction():
        await queue_mail(HELLO)
    await work_off_queue(settings_for(refusing_smtp.port), QUICK_RETRY)

    assert refusing_smtp.attempts == 3  # two "try later", then taken
    assert len(refusing_smtp.to("ana@example.ch")) == 1
    sent = (await outbox())[0]
    assert sent["sent_at"] is not None and sent["error"] == ""


@pytest.mark.parametrize("refusing_smtp", [(550, 99)], indirect=True)
async def test_a_mail_refused_for_good_is_given_up_at_once_with_the_reason(db, refusing_smtp):
    async with DB.transaction():
        await queue_mail(HELLO)
    await work_off_queue(settings_for(refusing_smtp.port), QUICK_RETRY)

    assert refusing_smtp.attempts == 1 and refusing_smtp.messages == []
    kept = (await outbox())[0]
    assert kept["sent_at"] is None
    assert kept["error"].startswith("Not delivered: the mail server refused it")
    assert "No such user" in kept["error"]
