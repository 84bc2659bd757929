"""Webhook endpoints, the events they receive and each delivery with its attempts."""

from piccolo.columns import (
    JSONB,
    Array,
    Boolean,
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
from portal.organisations.tables import Organisation


class WebhookEndpoint(Table, tablename="webhook_endpoint"):
    """An organisation's https address and the event types it receives. Its secret signs each
    delivery; it is kept encrypted (portal/webhooks/secrets.py) and shown once."""

    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    url = Varchar(length=500)
    description = Varchar(length=200, default="")
    event_types = Array(Varchar(length=40))
    active = Boolean(default=True)
    secret = Text()  # encrypted
    previous_secret = Text(null=True, default=None)  # encrypted; signs until previous_until
    previous_until = Timestamptz(null=True, default=None)
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookEvent(Table, tablename="webhook_event"):
    """Something that happened to an organisation, written in the transaction of the change;
    `public_id` travels with every delivery of it, for receivers to drop a second copy."""

    public_id = Varchar(length=40, unique=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    event_type = Varchar(length=40)
    payload = JSONB()
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One event to one endpoint (a redelivery is a new one): queued, sending, retrying,
    delivered, or failed once the day of retries is over."""

    event = ForeignKey(WebhookEvent, on_delete=OnDelete.cascade, index=True)
    endpoint = ForeignKey(WebhookEndpoint, on_delete=OnDelete.cascade)
    status = Varchar(length=12, default="queued")
    attempts = Integer(default=0)
    redelivery_of = Integer(null=True, default=None)
    first_attempt_at = Timestamptz(null=True, default=None)
    claimed_at = Timestamptz(null=True, default=None)
    next_attempt_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    last_status_code = Integer(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookAttempt(Table, tablename="webhook_attempt"):
    """One try of a delivery: the endpoint's answer (status and the beginning of its body)
    or why there was none."""

    delivery = ForeignKey(WebhookDelivery, on_delete=OnDelete.cascade, index=True)
    started_at = Timestamptz(default=TimestamptzNow())
    duration_ms = Integer(default=0)
    status_code = Integer(null=True, default=None)
    response = Text(default="")
    error = Text(default="")
