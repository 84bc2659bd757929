"""How the entries of an organisation's webhook endpoints read in its audit log
(portal/audit/sentences.py). Each constant is one whole sentence."""

from __future__ import annotations

from portal.audit.sentences import Reading, joined

CREATED = "The webhook endpoint {subject} was added for {events} — by {actor}."
SECRET_ROTATED = "The signing secret of the webhook endpoint {subject} was replaced — by {actor}."
SWITCHED_ON = "The webhook endpoint {subject} was switched on — by {actor}."
SWITCHED_OFF = "The webhook endpoint {subject} was switched off — by {actor}."
REMOVED = "The webhook endpoint {subject} was removed — by {actor}."
REDELIVERED = "The {event_type} event {event} was sent again to {subject} — by {actor}."
REDELIVERED_UNNAMED = "An event was sent again to {subject} — by {actor}."
NO_EVENT = "no event"


def _created(read: Reading) -> str:
    return read.fill(CREATED, events=joined(list(read.after.get("events") or ())) or NO_EVENT)


def _redelivered(read: Reading) -> str:
    event, event_type = read.after.get("event"), read.after.get("type")
    if not (event and event_type):
        return read.fill(REDELIVERED_UNNAMED)
    return read.fill(REDELIVERED, event=event, event_type=event_type)


WRITERS = {
    "webhook.created": _created,
    "webhook.secret_rotated": lambda read: read.fill(SECRET_ROTATED),
    "webhook.switched_on": lambda read: read.fill(SWITCHED_ON),
    "webhook.switched_off": lambda read: read.fill(SWITCHED_OFF),
    "webhook.removed": lambda read: read.fill(REMOVED),
    "webhook.redelivered": _redelivered,
}
