"""A worker runs few jobs at once: a mail is taken before the reports queued ahead of it, and
a mail a person waits for (a link) is queued ahead of other mail."""

from __future__ import annotations

import asyncio

from portal.exports.reports.services import WRITE_REPORT
from portal.jobs.queue import enqueue
from portal.jobs.registry import Job
from portal.mail.services import DELIVER_MAIL, Mail, queue_mail
from portal.piccolo_conf import DB
from tests.factories.jobs import eventually
from tests.factories.mail import queued_mails_to


def _recorder(name: str, taken: list) -> Job:
    async def run(context, payload):
        taken.append((name, payload))

    return Job(name, run)


async def test_queued_mail_is_taken_before_reports_queued_earlier(db, start_worker):
    async with DB.transaction():  # queued as the services queue them, oldest first
        await enqueue(WRITE_REPORT, {"report_id": 1})
        await enqueue(WRITE_REPORT, {"report_id": 2})
        told = await queue_mail(Mail("p@partner.ch", "New tender: Shop", "…"))
        link = await queue_mail(Mail("v@visitor.ch", "Confirm your tender", "…"), awaited=True)

    [awaited] = await queued_mails_to("v@visitor.ch")
    [other] = await queued_mails_to("p@partner.ch")
    assert awaited["priority"] > other["priority"]

    taken: list[tuple[str, dict]] = []
    await start_worker(jobs=[_recorder(WRITE_REPORT, taken), _recorder(DELIVER_MAIL, taken)])
    await eventually(lambda: _async(len(taken) == 4), what="the four jobs")
    # A lane holds two jobs at once, and each writes its start before it runs: two taken
    # one after the other may record in either order. The mails are taken first, as a pair.
    mails = {(DELIVER_MAIL, link), (DELIVER_MAIL, told)}
    reports = {(WRITE_REPORT, 1), (WRITE_REPORT, 2)}
    order = [(name, next(iter(payload.values()))) for name, payload in taken]
    assert set(order[:2]) == mails and set(order[2:]) == reports


async def _async(value):
    return value


async def test_mail_is_delivered_while_reports_take_every_report_slot(db, start_worker):
    """Two long reports in hand fill what a lane runs at once; the mail, in the quick lane,
    goes out meanwhile."""
    writing, release, taken = asyncio.Event(), asyncio.Event(), []

    async def write(context, payload):
        taken.append((WRITE_REPORT, payload))
        writing.set()
        await release.wait()

    async with DB.transaction():
        await enqueue(WRITE_REPORT, {"report_id": 1})
        await enqueue(WRITE_REPORT, {"report_id": 2})
        await enqueue(WRITE_REPORT, {"report_id": 3})
    reports = Job(WRITE_REPORT, write, long_running=True)
    await start_worker(jobs=[reports, _recorder(DELIVER_MAIL, taken)])
    await asyncio.wait_for(writing.wait(), timeout=30)
    told = await queue_mail(Mail("p@partner.ch", "New tender: Shop", "…"))
    try:
        await eventually(
            lambda: _async((DELIVER_MAIL, {"outbox_id": told}) in taken), what="the mail"
        )
    finally:
        release.set()
