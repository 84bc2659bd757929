"""The tenders' mails leave through the job queue, above all those that tell everyone of a
decision (a quote accepted, the tender withdrawn, its deadline passed): written in the
change's transaction, none handed to SMTP in the request (so a failing server neither slows
nor breaks it), then each person gets exactly one, even when the worker tries again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from portal.mail.jobs import JOBS as MAIL_JOBS
from portal.mail.services import DELIVER_MAIL, deliver_queued_mail
from portal.mail.tables import OutboxMail
from portal.settings import Settings
from portal.tenders import services
from portal.tenders.rules import TenderClosed, quote_version
from portal.tenders.tables import Quote, Tender
from tests.factories.jobs import queued_jobs, work_off_queue
from tests.factories.organisations import insert_person
from tests.factories.servers import free_port
from tests.factories.tenders import (
    SETTINGS,
    client_current,
    mails_to,
    partner_current,
    posted_by_client,
    quote_input,
    tender_input,
)

WINNER, SECOND, THIRD, THIRDS_ADMIN = (
    "w@winner.ch",
    "s@second.ch",
    "t@third.ch",
    "admin@third.ch",
)
AUTHOR = "cleo@client.ch"


def smtp_settings(port: int) -> Settings:
    return Settings(
        secret_key="test", base_url="https://portal.test", smtp_host="127.0.0.1", smtp_port=port
    )


async def three_quotes():
    """A client's tender with quotes from three partners (the third has two managers)."""
    author = await client_current()
    partners = [
        await partner_current("Winner AG", WINNER, categories=("email",)),
        await partner_current("Second AG", SECOND, categories=("email",)),
        await partner_current("Third AG", THIRD, categories=("email",)),
    ]
    await insert_person(THIRDS_ADMIN, partners[2].organisation.id, "administrator")
    tender_id = await posted_by_client(author)
    for price, partner in zip(("800", "900", "1000"), partners, strict=True):
        await services.submit_quote(SETTINGS, partner, tender_id, quote_input(price))
    await work_off_queue(SETTINGS, MAIL_JOBS)  # no SMTP: the mails so far stay in the outbox
    return author, tender_id


async def accept_cheapest(settings: Settings, author, tender_id: int) -> None:
    chosen = await Quote.select(Quote.id, Quote.updated_at).order_by(Quote.price).first()
    await services.accept_quote(
        settings,
        services.Author(current=author),
        tender_id,
        chosen["id"],
        quote_version(chosen["updated_at"]),
    )


async def last_outbox_id() -> int:
    last = await OutboxMail.select(OutboxMail.id).order_by(OutboxMail.id, ascending=False).first()
    return last["id"] if last else 0


async def mails_after(outbox_id: int) -> list[dict]:
    """The outbox rows written after OUTBOX_ID: a decision's mails."""
    return await OutboxMail.select().where(OutboxMail.id > outbox_id).order_by(OutboxMail.id)


async def test_accepting_queues_one_mail_per_person_and_hands_none_to_smtp(db, smtp):
    author, tender_id = await three_quotes()
    before = await last_outbox_id()
    settings = smtp_settings(smtp.port)

    await accept_cheapest(settings, author, tender_id)

    assert smtp.messages == []  # the author did not wait for any SMTP send
    queued = await mails_after(before)
    assert sorted((m["recipient"], m["subject"]) for m in queued) == sorted(
        [
            (WINNER, "Your quote was accepted: Move our mail to the host"),
            (SECOND, "Another quote was chosen: Move our mail to the host"),
            (THIRD, "Another quote was chosen: Move our mail to the host"),
            (THIRDS_ADMIN, "Another quote was chosen: Move our mail to the host"),
            (AUTHOR, "You accepted a quote: Move our mail to the host"),
        ]
    )
    assert all(m["sent_at"] is None and m["error"] == "" for m in queued)
    assert await queued_jobs([DELIVER_MAIL]) == len(queued)

    await work_off_queue(settings, MAIL_JOBS)
    for row in queued:  # the worker again (a retry, a job taken twice): nothing twice
        assert await deliver_queued_mail(settings, row["id"]) is False
    delivered = sorted((m["To"], m["Subject"].split(":")[0]) for m in smtp.messages)
    assert delivered == sorted((m["recipient"], m["subject"].split(":")[0]) for m in queued)
    won = smtp.last_body(WINNER)
    assert "accepted your quote of CHF" in won and AUTHOR in won  # the contact, at last
    assert "chose another partner's quote" in smtp.last_body(SECOND)
    assert "You accepted the quote of Winner AG" in smtp.last_body(AUTHOR)
    assert AUTHOR not in smtp.last_body(SECOND)


async def test_a_failing_smtp_server_neither_breaks_nor_loses_the_decision(db, smtp):
    author, tender_id = await three_quotes()
    before = await last_outbox_id()
    nobody_listens = smtp_settings(free_port())

    await accept_cheapest(nobody_listens, author, tender_id)

    assert (await Tender.select(Tender.status).first()) == {"status": "decided"}
    queued = await mails_after(before)
    assert len(queued) == 5
    # nothing was tried in the request: no row carries a delivery error
    assert all(m["sent_at"] is None and m["error"] == "" for m in queued)
    # the server is back: the worker delivers every one of them, once
    await work_off_queue(smtp_settings(smtp.port), MAIL_JOBS)
    assert sorted(m["To"] for m in smtp.messages) == sorted(m["recipient"] for m in queued)
    assert all(m["sent_at"] is not None for m in await mails_after(before))


async def test_a_second_acceptance_refused_queues_no_mail(db):
    author, tender_id = await three_quotes()
    await accept_cheapest(SETTINGS, author, tender_id)
    after_first = await OutboxMail.count()
    jobs = await queued_jobs([DELIVER_MAIL])

    results = await asyncio.gather(
        accept_cheapest(SETTINGS, author, tender_id), return_exceptions=True
    )

    assert isinstance(results[0], TenderClosed)
    assert await OutboxMail.count() == after_first
    assert await queued_jobs([DELIVER_MAIL]) == jobs


async def test_withdrawing_queues_one_mail_per_quoting_manager(db, smtp):
    author, tender_id = await three_quotes()
    before = await last_outbox_id()
    settings = smtp_settings(smtp.port)

    await services.withdraw_tender(settings, services.Author(current=author), tender_id)

    assert smtp.messages == []
    assert sorted(m["recipient"] for m in await mails_after(before)) == sorted(
        [WINNER, SECOND, THIRD, THIRDS_ADMIN]
    )
    await work_off_queue(settings, MAIL_JOBS)
    assert sorted(m["To"] for m in smtp.messages) == sorted([WINNER, SECOND, THIRD, THIRDS_ADMIN])
    assert "The author withdrew «Move our mail to the host»" in smtp.last_body(THIRD)


async def test_the_deadline_closing_a_tender_queues_its_mails(db, smtp):
    await three_quotes()
    before = await last_outbox_id()
    settings = smtp_settings(smtp.port)

    in_a_month = datetime.now(UTC) + timedelta(days=30)
    assert await services.close_expired_tenders(in_a_month, settings) == 1
    assert await services.close_expired_tenders(in_a_month, settings) == 0  # once

    assert smtp.messages == []
    expected = sorted([AUTHOR, WINNER, SECOND, THIRD, THIRDS_ADMIN])
    assert sorted(m["recipient"] for m in await mails_after(before)) == expected
    await work_off_queue(settings, MAIL_JOBS)
    assert sorted(m["To"] for m in smtp.messages) == expected
    assert "reached its deadline without a decision" in smtp.last_body(AUTHOR)
    assert [m["subject"] for m in await mails_to(AUTHOR)][-1].startswith(
        "Your tender closed at its deadline"
    )


async def test_no_tender_request_waits_for_smtp_and_every_mail_arrives_once(db, smtp):
    """From posting to the partner withdrawing its quote, with the SMTP server down."""
    from tests.factories.web import link_in

    down = smtp_settings(free_port())
    partner = await partner_current("Winner AG", WINNER, categories=("email",))
    visitor = tender_input(author_name="Vera", author_email="vera@example.ch")
    posted = await services.post_as_visitor(down, visitor, "10.0.0.2")
    confirm_mail = (await mails_to("vera@example.ch"))[-1]["body"]
    token = link_in(confirm_mail, "/tenders/confirm/").rsplit("/", 1)[1]
    await services.confirm(down, token)
    await services.notify_recipients(down, posted.tender_id)  # the job: queues, sends nothing
    await services.submit_quote(down, partner, posted.tender_id, quote_input("800"))
    await services.amend_quote(down, partner, posted.tender_id, quote_input("750"))
    await services.withdraw_quote(down, partner, posted.tender_id)

    queued = await mails_after(0)
    assert [(m["recipient"], m["subject"].split(":")[0]) for m in queued] == [
        ("vera@example.ch", "Confirm your tender"),
        ("vera@example.ch", "Your tender is published"),
        (WINNER, "New tender"),
        ("vera@example.ch", "New quote for your tender"),
        ("vera@example.ch", "A quote was amended"),
        ("vera@example.ch", "A quote was withdrawn"),
    ]
    assert all(m["sent_at"] is None and m["error"] == "" for m in queued)  # none tried

    await work_off_queue(smtp_settings(smtp.port))  # the tenders' jobs and the mail's
    assert await services.notify_recipients(down, posted.tender_id) == 0  # told once
    assert sorted((m["To"], m["Subject"]) for m in smtp.messages) == sorted(
        (m["recipient"], m["subject"]) for m in queued
    )
    told = smtp.last_body(WINNER)
    assert "Twelve mailboxes" in told and "vera@example.ch" not in told  # excerpt, no contact


async def _queued_priorities() -> dict[str, int]:
    """Each queued mail's subject, or the queued job's name, with its priority."""
    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB

    rows = await DB.run_querystring(
        QueryString(
            "SELECT coalesce(o.subject, q.entrypoint) AS what, q.priority FROM pgqueuer q "
            "LEFT JOIN outbox_mail o ON q.entrypoint = {} "
            "AND o.id = (convert_from(q.payload, 'UTF8')::jsonb ->> 'outbox_id')::int",
            DELIVER_MAIL,
        )
    )
    return {row["what"].split(":")[0]: row["priority"] for row in rows}


async def test_the_links_a_visitor_waits_for_go_before_other_mail_and_reports(db):
    from portal.jobs.rules import AWAITED_MAIL_PRIORITY, BACKGROUND_PRIORITY, MAIL_PRIORITY
    from portal.tenders.services import NOTIFY_RECIPIENTS
    from tests.factories.web import link_in

    await partner_current("Winner AG", WINNER, categories=("email",))
    visitor = tender_input(author_name="Vera", author_email="vera@example.ch")
    posted = await services.post_as_visitor(SETTINGS, visitor, "10.0.0.2")
    token = link_in((await mails_to("vera@example.ch"))[-1]["body"], "/tenders/confirm/")
    await services.confirm(SETTINGS, token.rsplit("/", 1)[1])
    await services.notify_recipients(SETTINGS, posted.tender_id)

    assert await _queued_priorities() == {
        "Confirm your tender": AWAITED_MAIL_PRIORITY,
        "Your tender is published": AWAITED_MAIL_PRIORITY,
        NOTIFY_RECIPIENTS: MAIL_PRIORITY,
        "New tender": MAIL_PRIORITY,
    }
    assert AWAITED_MAIL_PRIORITY > MAIL_PRIORITY > BACKGROUND_PRIORITY  # reports' default
