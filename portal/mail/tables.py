"""Every mail the portal sends, kept in an outbox (and shown there when no SMTP is set)."""

from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxMail(Table, tablename="outbox_mail"):
    recipient = Varchar(length=320, index=True)
    subject = Varchar(length=300)
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    # Claimed by a worker handing it to SMTP until then (another worker leaves it alone).
    sending_until = Timestamptz(null=True, default=None)
    error = Text(default="")
