"""How the entries of an organisation's own life read in its audit log: its details, members,
invitations and teams (portal/audit/sentences.py). Each constant is one whole sentence."""

from __future__ import annotations

from collections.abc import Mapping

from portal.access import ROLE_LABELS, Role
from portal.audit.sentences import UNKNOWN_PRODUCT, Reading, joined

ROLE_WITH_BILLING = "{role} with billing rights"
ROLE_WITHOUT_BILLING = "{role} without billing rights"
FIELD_CHANGE = "{field} from “{before}” to “{after}”"
FIELD_SET = "{field} set to “{after}”"
FIELD_CLEARED = "{field} removed (it was “{before}”)"
EMPTY = "nothing"
NO_PRODUCT = "no product"
FIELDS = {
    "name": "the name",
    "registration_number": "the registration number",
    "vat_number": "the VAT number",
    "website": "the website",
    "country": "the country",
}

CREATED = "The organisation {subject} was created — by {actor}."
UPDATED = "The organisation's details changed: {changes} — by {actor}."
MEMBER_CHANGED = "{subject}'s role changed from {before} to {after} — by {actor}."
MEMBER_REMOVED = "{subject} was removed from the organisation (they were {before}) — by {actor}."
MEMBER_JOINED = "{subject} joined the organisation as {after}."
MEMBER_PRODUCTS = "{subject} now sees {after} (before: {before}) — by {actor}."
INVITATION_SENT = "{subject} was invited as {role} — by {actor}."
INVITATION_SENT_TO_TEAM = "{subject} was invited into the team {team} — by {actor}."
INVITATION_RESENT = "The invitation to {subject} was sent again — by {actor}."
INVITATION_WITHDRAWN = "The invitation to {subject} was withdrawn — by {actor}."
TEAM_MEMBER_JOINED = "{email} joined the team {subject}."
TEAM_CREATED = "The team {subject} was created — by {actor}."
TEAM_RENAMED = "The team {before} was renamed {after} — by {actor}."
TEAM_DELETED = "The team {subject} was deleted — by {actor}."
TEAM_MEMBER_ADDED = "{member} was added to the team {subject} — by {actor}."
TEAM_MEMBER_REMOVED = "{member} was removed from the team {subject} — by {actor}."
TEAM_LEADER_SET = "{leader} now leads the team {subject} — by {actor}."
TEAM_LEADER_CHANGED = "{leader} now leads the team {subject} in place of {previous} — by {actor}."
TEAM_LEADER_REMOVED = "The team {subject} has no leader any more ({previous} led it) — by {actor}."


def role_text(snapshot: Mapping) -> str:
    try:
        role = ROLE_LABELS[Role(snapshot.get("role"))]
    except ValueError:
        return EMPTY
    if Role(snapshot["role"]) is not Role.USER:
        return role
    template = ROLE_WITH_BILLING if snapshot.get("billing_rights") else ROLE_WITHOUT_BILLING
    return template.format(role=role)


def _products(ids, read: Reading) -> str:
    names = [read.names.products.get(pid) or UNKNOWN_PRODUCT for pid in ids or ()]
    return joined(sorted(names, key=str.casefold)) or NO_PRODUCT


def _created(read: Reading) -> str:
    return read.fill(CREATED)


def _updated(read: Reading) -> str:
    changes = []
    for key, after in read.after.items():
        before = read.before.get(key)
        template = FIELD_CHANGE if before and after else FIELD_SET if after else FIELD_CLEARED
        field = FIELDS.get(key, key.replace("_", " "))
        changes.append(template.format(field=field, before=before, after=after))
    return read.fill(UPDATED, changes=joined(changes))


def _member_changed(read: Reading) -> str:
    return read.fill(MEMBER_CHANGED, before=role_text(read.before), after=role_text(read.after))


def _member_removed(read: Reading) -> str:
    return read.fill(MEMBER_REMOVED, before=role_text(read.before))


def _member_joined(read: Reading) -> str:
    return read.fill(MEMBER_JOINED, after=role_text(read.after))


def _member_products(read: Reading) -> str:
    return read.fill(
        MEMBER_PRODUCTS,
        before=_products(read.before.get("products"), read),
        after=_products(read.after.get("products"), read),
    )


def _invitation_sent(read: Reading) -> str:
    if read.after.get("team"):
        return read.fill(INVITATION_SENT_TO_TEAM, team=read.after["team"])
    return read.fill(INVITATION_SENT, role=role_text(read.after))


def _team_member_joined(read: Reading) -> str:
    return read.fill(TEAM_MEMBER_JOINED, email=read.after.get("email", ""))


def _team_renamed(read: Reading) -> str:
    return read.fill(
        TEAM_RENAMED, before=read.before.get("name", ""), after=read.after.get("name", "")
    )


def _team_member(template: str, snapshot_of: str):
    def write(read: Reading) -> str:
        snapshot = read.after if snapshot_of == "after" else read.before
        return read.fill(template, member=snapshot.get("member", ""))

    return write


def _team_leader(read: Reading) -> str:
    leader, previous = read.after.get("leader"), read.before.get("leader")
    if leader and previous:
        return read.fill(TEAM_LEADER_CHANGED, leader=leader, previous=previous)
    if leader:
        return read.fill(TEAM_LEADER_SET, leader=leader)
    return read.fill(TEAM_LEADER_REMOVED, previous=previous or EMPTY)


def _fixed(template: str):
    return lambda read: read.fill(template)


WRITERS = {
    "organisation.created": _created,
    "organisation.updated": _updated,
    "member.changed": _member_changed,
    "member.removed": _member_removed,
    "member.joined": _member_joined,
    "member.products_set": _member_products,
    "invitation.sent": _invitation_sent,
    "invitation.resent": _fixed(INVITATION_RESENT),
    "invitation.withdrawn": _fixed(INVITATION_WITHDRAWN),
    "team.member_joined": _team_member_joined,
    "team.created": _fixed(TEAM_CREATED),
    "team.renamed": _team_renamed,
    "team.deleted": _fixed(TEAM_DELETED),
    "team.member_added": _team_member(TEAM_MEMBER_ADDED, "after"),
    "team.member_removed": _team_member(TEAM_MEMBER_REMOVED, "before"),
    "team.leader_set": _team_leader,
}
