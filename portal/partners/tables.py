"""The programme: commitments accepted, website checks, staff decisions, affiliates."""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import Account
from portal.organisations.tables import Organisation
from portal.partners.rules import ReviewDecision


class CommitmentAcceptance(Table, tablename="commitment_acceptance"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    commitment = Varchar(length=40)
    terms_version = Varchar(length=20)
    accepted_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    accepted_at = Timestamptz(default=TimestamptzNow())


class WebsiteCheck(Table, tablename="website_check"):
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade)
    url = Varchar(length=300)
    answered = Boolean(default=False)
    detail = Varchar(length=200, default="")
    checked_at = Timestamptz(default=TimestamptzNow())


class StaffDecision(Table, tablename="staff_decision"):
    """A person of the host deciding an application (manual review) or a review flag."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    decision = Varchar(length=20, choices=ReviewDecision)
    reason = Text(default="")
    decided_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    decided_at = Timestamptz(default=TimestamptzNow())
