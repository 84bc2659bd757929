"""The audit log: append-only (a trigger refuses UPDATE and DELETE)."""

from piccolo.columns import JSONB, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from portal.accounts.tables import Account


class AuditEvent(Table, tablename="audit_event"):
    # whose log; organisations sit above the audit log, which they write to (README, Layout)
    organisation = ForeignKey(
        LazyTableReference("Organisation", module_path="portal.organisations.tables"),
        on_delete=OnDelete.cascade,
    )
    actor = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    actor_name = Varchar(length=320, default="")  # kept even if the account goes
    acting_for_id = Integer(null=True, default=None)  # the organisation the actor acted for
    action = Varchar(length=60)
    subject = Varchar(length=300, default="")
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    subject_role = Varchar(length=10, null=True, default=None)  # partner | client, to the reader
    link_id = Integer(null=True, default=None)  # the collaboration concerned, if any
    created_at = Timestamptz(default=TimestamptzNow())
