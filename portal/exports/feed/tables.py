"""The published versions of the billing feed."""

from piccolo.columns import JSONB, BigInt, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.organisations.tables import Organisation


class BillingFeedVersion(Table, tablename="billing_feed_version"):
    """One version of a partner's closed month: its files (under the data folder), their
    manifest, and how far it reaches (the newest invoice it holds was written at
    `lines_through`: a line written after it makes a new version)."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    period_start = Date()
    version = Integer()
    rows = Integer(default=0)
    corrections = Integer(default=0)
    reason = Text(default="")
    manifest = JSONB()
    folder = Text()  # relative to the data folder
    csv_bytes = BigInt(default=0)
    parquet_bytes = BigInt(default=0)
    lines_through = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
