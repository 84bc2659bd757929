"""Every domain's background work, as `portal worker` runs it: the one place that lists them
(a composition root, like app.py for the pages)."""

from __future__ import annotations

from portal.accounts import jobs as account_jobs
from portal.api import jobs as api_jobs
from portal.clients import jobs as client_jobs
from portal.directory import services as directory
from portal.exports.feed import jobs as feed_jobs
from portal.exports.reports import jobs as report_jobs
from portal.jobs import housekeeping
from portal.jobs.registry import Job, Periodic
from portal.mail import jobs as mail_jobs
from portal.partners import jobs as partner_jobs
from portal.renewals import jobs as renewal_jobs
from portal.tenders import jobs as tender_jobs
from portal.webhooks import delivery as webhook_jobs


def all_jobs() -> list[Job]:
    return [*tender_jobs.JOBS, *report_jobs.JOBS, *mail_jobs.JOBS, *webhook_jobs.JOBS]


def all_periodic() -> list[Periodic]:
    return [
        *account_jobs.PERIODIC,
        *mail_jobs.PERIODIC,
        *housekeeping.PERIODIC,
        *client_jobs.PERIODIC,
        *partner_jobs.PERIODIC,
        *renewal_jobs.PERIODIC,
        *tender_jobs.PERIODIC,
        *directory.PERIODIC,
        *report_jobs.PERIODIC,
        *webhook_jobs.PERIODIC,
        *feed_jobs.PERIODIC,
        *api_jobs.PERIODIC,
    ]
