"""Queued mail leaves at least once and, as far as the portal can tell, only once: a row is
claimed before it is handed to SMTP, a sent row is marked without ever sending it again, and
every message carries a stable Message-ID so receivers drop what SMTP still duplicates."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from dataclasses import replace as dc_replace
from datetime import UTC, timedelta

import pytest
from piccolo.querystring import QueryString

from portal.mail import services
from portal.mail.jobs import JOBS
from portal.mail.services import (
    Mail,
    MailNotDelivered,
    deliver_queued_mail,
    queue_mail,
    record_delivery_error,
)
from portal.mail.tables import OutboxMail
from portal.piccolo_conf import DB
from tests.factories.jobs import work_off_queue
from tests.factories.servers import free_port

HELLO = Mail("ana@example.ch", "Your quote was accepted", "Good news.")


async def test_two_deliveries_of_one_row_at_once_send_it_once(mail_settings, smtp):
    """A job taken again (its heartbeat went stale) while its first worker still sends."""
    async with DB.transaction():
        outbox_id = await queue_mail(HELLO)
    first, second = await asyncio.gather(
        deliver_queued_mail(mail_settings, outbox_id),
        deliver_queued_mail(mail_settings, outbox_id),
        return_exceptions=True,
    )
    assert len(smtp.to("ana@example.ch")) == 1
    assert [first, second].count(True) == 1
    other = second if first is True else first
    # the other found it in hand elsewhere (and asks to be tried again, in case that
    # sending fails: the mail is not lost with the job), or already sent
    assert other is False or (isinstance(other, MailNotDelivered) and not other.permanent)
    assert await deliver_queued_mail(mail_settings, outbox_id) is False  # sent: left alone
    row = await OutboxMail.select().where(OutboxMail.id == outbox_id).first()
    assert row["sent_at"] is not None and row["error"] == ""


async def _claim_runs_out(outbox_id: int, seconds: int) -> None:
    await DB.run_querystring(
        QueryString(
            "UPDATE outbox_mail SET sending_until = now() + make_interval(secs => {}) "
            "WHERE id = {}",
            seconds,
            outbox_id,
        )
    )


async def test_a_claim_left_by_a_dead_worker_holds_the_mail_until_it_runs_out(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    await _claim_runs_out(outbox_id, 60)  # a worker claimed it, then was killed
    with pytest.raises(MailNotDelivered) as held:
        await deliver_queued_mail(mail_settings, outbox_id)
    assert not held.value.permanent and "another worker" in held.value.reason
    assert smtp.messages == []

    await _claim_runs_out(outbox_id, -1)
    assert await deliver_queued_mail(mail_settings, outbox_id) is True
    assert len(smtp.to("ana@example.ch")) == 1


async def test_a_failed_hand_over_ends_the_claim_so_the_next_try_sends(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    nobody_listens = replace(mail_settings, smtp_port=free_port())
    with pytest.raises(MailNotDelivered):
        await deliver_queued_mail(nobody_listens, outbox_id)
    assert await deliver_queued_mail(mail_settings, outbox_id) is True  # not held for 2 min


async def test_giving_up_a_job_does_not_mark_a_mail_another_worker_sent(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    assert await deliver_queued_mail(mail_settings, outbox_id) is True
    await record_delivery_error(outbox_id, "Not delivered: tried 10 times")
    row = await OutboxMail.select().where(OutboxMail.id == outbox_id).first()
    assert row["sent_at"] is not None and row["error"] == ""


QUICK = [dc_replace(job, first_retry_delay=timedelta(milliseconds=50)) for job in JOBS]


def marking_fails(monkeypatch, times: int) -> None:
    """SMTP takes the mail, then marking its row sent fails TIMES times (connection lost)."""
    real_update = OutboxMail.update
    left = {"failures": times}

    def flaky_update(values, *args, **kwargs):
        if OutboxMail.sent_at in values and left["failures"]:
            left["failures"] -= 1
            raise ConnectionResetError("connection lost while marking the mail sent")
        return real_update(values, *args, **kwargs)

    monkeypatch.setattr(services.OutboxMail, "update", flaky_update)
    monkeypatch.setattr(services, "MARK_SENT_DELAYS", (0.01, 0.01, 0.01))


async def test_a_sent_mail_whose_marking_failed_once_is_marked_not_sent_again(
    mail_settings, smtp, monkeypatch
):
    async with DB.transaction():
        outbox_id = await queue_mail(HELLO)
    marking_fails(monkeypatch, times=1)
    await work_off_queue(mail_settings, QUICK)
    assert len(smtp.to("ana@example.ch")) == 1
    row = await OutboxMail.select().where(OutboxMail.id == outbox_id).first()
    assert row["sent_at"] is not None and row["sending_until"] is None


async def test_a_sent_mail_that_cannot_be_marked_at_all_is_still_not_sent_again(
    mail_settings, smtp, monkeypatch, caplog
):
    async with DB.transaction():
        outbox_id = await queue_mail(HELLO)
    marking_fails(monkeypatch, times=99)
    await work_off_queue(mail_settings, QUICK)
    assert len(smtp.to("ana@example.ch")) == 1
    assert f"Mail #{outbox_id} was handed to the mail server" in caplog.text
    # its claim stays: a job taken again later would not send it before the claim runs out
    row = await OutboxMail.select().where(OutboxMail.id == outbox_id).first()
    assert row["sent_at"] is None and row["sending_until"] is not None


async def test_every_message_carries_a_message_id_stable_for_its_outbox_row(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    nobody_listens = replace(mail_settings, smtp_port=free_port())
    with pytest.raises(MailNotDelivered):
        await deliver_queued_mail(nobody_listens, outbox_id)  # a first try that failed
    assert await deliver_queued_mail(mail_settings, outbox_id) is True
    assert smtp.to("ana@example.ch")[0]["Message-ID"] == await _expected_message_id(outbox_id)


async def _expected_message_id(outbox_id: int) -> str:
    """<outbox-ID.CREATED@partner-portal.local>: the default sender's domain."""
    row = await OutboxMail.select(OutboxMail.created_at).where(OutboxMail.id == outbox_id).first()
    created = row["created_at"].astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"<outbox-{outbox_id}.{created}@partner-portal.local>"
