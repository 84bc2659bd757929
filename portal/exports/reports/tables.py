"""Report files made by the worker, and the people who get last month's report every month."""

from piccolo.columns import (
    JSONB,
    BigInt,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.exports.reports.rules import ReportKind, Status
from portal.organisations.tables import Organisation


class ReportFile(Table, tablename="report_file"):
    """One background report of a partner: what was asked, how far the worker is, and where
    the file is kept (under the data folder) until it expires."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    requested_by = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=10, default=ReportKind.ON_DEMAND, choices=ReportKind)
    parameters = JSONB()  # the report request, as the form gave it
    period_start = Date()
    period_end = Date()
    file_format = Varchar(length=4)  # xlsx | csv
    status = Varchar(length=10, default=Status.QUEUED, choices=Status)
    rows_written = Integer(default=0)
    rows_total = Integer(null=True, default=None)
    attempts = Integer(default=0)
    error = Text(default="")
    file_name = Varchar(length=200, default="")  # what the browser saves it as
    file_path = Varchar(length=300, default="")  # relative to the data folder
    file_size = BigInt(default=0)
    job_id = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    progress_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)


class ReportSubscription(Table, tablename="report_subscription"):
    """A person of a partner who gets the previous month's report by email on the 1st."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    file_format = Varchar(length=4, default="xlsx")
    created_at = Timestamptz(default=TimestamptzNow())
