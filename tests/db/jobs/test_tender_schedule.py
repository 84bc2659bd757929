"""The tenders' hourly jobs as the scheduler runs them (their rules: tests/db/tenders)."""

from datetime import UTC, datetime, timedelta

from portal.background import all_periodic
from portal.tenders import jobs
from portal.tenders.tables import Tender
from tests.factories.tenders import SETTINGS, client_current, posted_by_client


def test_the_tenders_jobs_run_every_hour():
    crons = {task.name: task.cron for task in all_periodic()}
    assert crons["tenders.close_expired"] == "11 * * * *"
    assert crons["tenders.purge_unconfirmed"] == "41 * * * *"


async def test_the_scheduled_jobs_close_overdue_tenders_and_purge_stale_ones(db):
    author = await client_current()
    due = await posted_by_client(author, days=2)
    later = await posted_by_client(author, title="Later", days=30)
    in_three_days = datetime.now(UTC) + timedelta(days=3)

    await jobs.close_expired(SETTINGS, in_three_days)
    await jobs.purge_unconfirmed(SETTINGS, in_three_days)

    statuses = {t["id"]: t["status"] for t in await Tender.select(Tender.id, Tender.status)}
    assert statuses == {due: "expired", later: "open"}
