"""How the entries of the partner programme read in the audit log
(portal/audit/sentences.py). Each constant is one whole sentence."""

from __future__ import annotations

from portal.audit.sentences import PORTAL, Reading
from portal.core.enums import STATUS_LABELS, PartnerStatus

APPLIED = "{subject} applied to the partner programme — by {actor}."
STATUS_CHANGED = "The programme status changed from {before} to {after} — by {actor}."
STATUS_CHANGED_BY_PORTAL = "The programme status changed from {before} to {after}."
STATUS_CHANGED_WITH_REASON = (
    "The programme status changed from {before} to {after} (“{reason}”) — by {actor}."
)


def _status(value) -> str:
    try:
        return STATUS_LABELS[PartnerStatus(value)]
    except ValueError:
        return str(value or "")


def _status_changed(read: Reading) -> str:
    values = {
        "before": _status(read.before.get("status")),
        "after": _status(read.after.get("status")),
    }
    if read.by == PORTAL:
        return read.fill(STATUS_CHANGED_BY_PORTAL, **values)
    if read.after.get("reason"):
        return read.fill(STATUS_CHANGED_WITH_REASON, reason=read.after["reason"], **values)
    return read.fill(STATUS_CHANGED, **values)


WRITERS = {
    "programme.applied": lambda read: read.fill(APPLIED),
    "programme.status_changed": _status_changed,
}
