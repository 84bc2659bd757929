"""The periodic clean-up on the real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.accounts import jobs as account_jobs
from portal.accounts.tables import WebSession
from portal.jobs import housekeeping
from portal.mail import jobs as mail_jobs
from portal.mail.tables import OutboxMail
from tests.factories.organisations import insert_person

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _session(account: int, token: str, *, created, last_seen, ended=None) -> None:
    await WebSession.insert(
        WebSession(
            token_hash=token,
            account=account,
            created_at=created,
            last_seen_at=last_seen,
            ended_at=ended,
        )
    )


async def test_sessions_ended_more_than_thirty_days_ago_are_purged_the_others_kept(db, settings):
    account = await insert_person("anna@example.ch")
    days = lambda n: NOW - timedelta(days=n)  # noqa: E731
    await _session(account, "active", created=days(0), last_seen=days(0))
    await _session(account, "out-long-ago", created=days(31), last_seen=days(31), ended=days(31))
    await _session(account, "out-lately", created=days(29), last_seen=days(29), ended=days(29))
    await _session(account, "idle-long-ago", created=days(35), last_seen=days(31))
    await _session(account, "idle-lately", created=days(20), last_seen=days(20))
    # the 12-hour limit ended these 30.5 and 29.5 days ago, whatever their last request
    await _session(account, "too-old-long-ago", created=days(31), last_seen=days(29))
    await _session(account, "too-old-lately", created=days(30), last_seen=days(29))

    purged = await account_jobs.purge_ended_sessions(settings, NOW)
    kept = {row["token_hash"] for row in await WebSession.select(WebSession.token_hash)}
    assert kept == {"active", "out-lately", "idle-lately", "too-old-lately"}
    assert purged == 3


async def test_outbox_mails_older_than_ninety_days_are_purged(db, settings):
    for age in (0, 89, 91, 400):
        await OutboxMail.insert(
            OutboxMail(
                recipient=f"{age}@example.ch",
                subject="s",
                body="b",
                created_at=NOW - timedelta(days=age),
            )
        )
    assert await mail_jobs.purge_old_outbox_mail(settings, NOW) == 2
    kept = sorted(row["recipient"] for row in await OutboxMail.select(OutboxMail.recipient))
    assert kept == ["0@example.ch", "89@example.ch"]


async def test_the_job_log_keeps_thirty_days(db, settings):
    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB

    for age in (1, 29, 31, 100):
        await DB.run_querystring(
            QueryString(
                "INSERT INTO pgqueuer_log (created, job_id, status, priority, entrypoint) "
                "VALUES ({}, {}, 'successful', 0, 'test.job')",
                NOW - timedelta(days=age),
                age,
            )
        )
    assert await housekeeping.purge_old_job_log(settings, NOW) == 2
    rows = await DB.run_querystring(QueryString("SELECT job_id FROM pgqueuer_log ORDER BY 1"))
    assert [row["job_id"] for row in rows] == [1, 29]


async def test_reminders_are_forgotten_ninety_days_after_their_date(db, settings):
    from portal.jobs.reminders import claim_reminder, reminders_sent

    for age in (1, 89, 91, 400):
        assert await claim_reminder("test.topic", age, NOW - timedelta(days=age), 7)
    assert not await claim_reminder("test.topic", 1, NOW - timedelta(days=1), 7)  # once only
    assert await housekeeping.purge_old_reminders(settings, NOW) == 2
    assert await reminders_sent("test.topic", 89, NOW - timedelta(days=89)) == {7}
    assert await reminders_sent("test.topic", 91, NOW - timedelta(days=91)) == frozenset()
