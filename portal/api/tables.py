"""What the API keeps of its own: the answers to writes sent with an Idempotency-Key."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from portal.accounts.tables import ApiToken


class IdempotentRequest(Table, tablename="api_idempotent_request"):
    """A write made with an Idempotency-Key, and its answer: the same key with the same
    request gets the same answer again without a second write (kept 24 hours)."""

    token = ForeignKey(ApiToken, on_delete=OnDelete.cascade)
    key = Varchar(length=255)
    fingerprint = Varchar(length=64)  # SHA-256 of the method, path and body
    status_code = Integer(default=0)
    body = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
