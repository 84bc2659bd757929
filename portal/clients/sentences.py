"""How the entries of delegation read in the audit log, in the reader's terms: the client
reads about its partner, the partner about its client (portal/audit/sentences.py). Each
constant is one whole sentence for a translator; {subject} is the other side's name."""

from __future__ import annotations

from collections.abc import Mapping

from portal.audit.sentences import PORTAL, THEM, UNKNOWN_PRODUCT, US, Reading, day_text, joined
from portal.clients.rules import AUTO_EXTENSION_DAYS
from portal.products.rules import FAMILIES

# --- the values the sentences hold ------------------------------------------------------------

FULL_CLIENT_PAYS = "Full, paid by the client"
FULL_PARTNER_PAYS = "Full, paid by the partner"
RESTRICTED = "Restricted ({items})"
RESTRICTED_NOTHING = "Restricted (nothing selected)"
NO_ACCESS = "no access"
OTHER_PRODUCTS = "{count} products that no longer exist"
NO_END = "no end date"
ENDS_ON = "an end date of {day}"
ENDS_ON_THEN_EXTENDED = "an end date of {day}, then extended automatically by {days} days"
HOURS = {1: "1 hour"}
HOURS_MANY = "{hours} hours"
DAYS_ONE = "1 day"
DAYS_MANY = "{days} days"
TEAM = "the team {name}"
NOBODY_ASSIGNED = "its legal representatives and administrators only"


def access_text(snapshot: Mapping | None, read: Reading) -> str:
    """A grant as a sentence holds it: "Restricted (Domains, Reception mail)",
    "Full, paid by the partner"."""
    if not snapshot or not snapshot.get("access"):
        return NO_ACCESS
    if snapshot["access"] == "full":
        return FULL_PARTNER_PAYS if snapshot.get("billing_mode") == "partner" else FULL_CLIENT_PAYS
    families = [
        label for code, label in FAMILIES.items() if code in (snapshot.get("families") or ())
    ]
    named = snapshot.get("product_names") or {}
    products, missing = [], 0
    for pid in snapshot.get("products") or ():
        name = named.get(str(pid)) or read.names.products.get(pid)
        if name:
            products.append(name)
        else:
            missing += 1
    items = families + sorted(products, key=str.casefold)
    if missing == 1:
        items.append(UNKNOWN_PRODUCT)
    elif missing:
        items.append(OTHER_PRODUCTS.format(count=missing))
    if not items:
        return RESTRICTED_NOTHING
    return RESTRICTED.format(items=joined(items))


def length_text(hours: int) -> str:
    if hours and hours % 24 == 0:
        days = hours // 24
        return DAYS_ONE if days == 1 else DAYS_MANY.format(days=days)
    return HOURS.get(hours) or HOURS_MANY.format(hours=hours)


def ending_text(snapshot: Mapping) -> str:
    if not snapshot.get("ends_on"):
        return NO_END
    day = day_text(snapshot["ends_on"])
    if snapshot.get("auto_extend"):
        return ENDS_ON_THEN_EXTENDED.format(day=day, days=AUTO_EXTENSION_DAYS)
    return ENDS_ON.format(day=day)


def _until(iso_moment: str | None) -> str:
    """ "12 Dec 2026, 16:00 UTC" from an ISO moment."""
    if not iso_moment:
        return ""
    text = str(iso_moment)
    return f"{day_text(text[:10])}, {text[11:16]} UTC"


# --- the sentences, by what the reader is to the subject and who acted ----------------------
# Keys: (reader, by): reader "client" or "partner"; by "us", "them" or "portal".

SENTENCES: dict[str, dict[tuple[str, str], str]] = {
    "link.requested": {
        ("client", US): "You asked {subject} to become your partner, with {access} — by {actor}.",
        ("partner", THEM): "{subject} asked you to become their partner, with {access} — by "
        "{actor} of {subject}.",
        ("partner", US): "You asked {subject} to let you manage their products, with {access} — "
        "by {actor}.",
        ("client", THEM): "{subject} asked to manage your products, with {access} — by {actor} "
        "of {subject}.",
    },
    "link.requested+until": {
        ("client", US): "You asked {subject} to become your partner, with {access} until {day} — "
        "by {actor}.",
        ("partner", THEM): "{subject} asked you to become their partner, with {access} until "
        "{day} — by {actor} of {subject}.",
    },
    "link.requested+days": {
        ("partner", US): "You asked {subject} to let you manage their products, with {access} "
        "for {days} days — by {actor}.",
    },
    "link.accepted": {
        ("partner", US): "You accepted {subject}'s request and now manage their products with "
        "{access} — by {actor}.",
        ("client", THEM): "{subject} accepted your request and now manages your products with "
        "{access} — by {actor} of {subject}.",
    },
    "link.refused": {
        ("partner", US): "You refused {subject}'s request to become their partner — by {actor}.",
        ("client", THEM): "{subject} refused your request to become your partner — by {actor} of "
        "{subject}.",
    },
    "link.granted": {
        ("client", US): "You accepted {subject} as your partner with {granted} (they asked for "
        "{requested}) — by {actor}.",
        ("partner", THEM): "{subject} accepted you as their partner with {granted} (you asked "
        "for {requested}) — by {actor} of {subject}.",
    },
    "link.granted+until": {
        ("client", US): "You accepted {subject} as your partner with {granted} until {day} (they "
        "asked for {requested}) — by {actor}.",
        ("partner", THEM): "{subject} accepted you as their partner with {granted} until {day} "
        "(you asked for {requested}) — by {actor} of {subject}.",
    },
    "link.declined": {
        ("partner", THEM): "{subject} declined your request to manage their products — by "
        "{actor} of {subject}.",
        ("client", US): "You declined {subject}'s request to manage your products — by {actor}.",
    },
    "link.withdrawn": {
        ("partner", US): "You withdrew your request to {subject} — by {actor}.",
        ("client", US): "You withdrew your request to {subject} — by {actor}.",
        ("partner", THEM): "{subject} withdrew their request — by {actor} of {subject}.",
        ("client", THEM): "{subject} withdrew their request — by {actor} of {subject}.",
    },
    "link.changed": {
        ("client", US): "{subject}'s access changed from {before} to {after} — by {actor}.",
        ("partner", THEM): "{subject} changed your access from {before} to {after} — by {actor} "
        "of {subject}.",
    },
    "link.stopped": {
        ("client", US): "You ended the collaboration with {subject}; their access ({before}) "
        "ended at once — by {actor}.",
        ("partner", US): "You ended the collaboration with {subject}; your access ({before}) "
        "ended at once — by {actor}.",
        ("client", THEM): "{subject} ended the collaboration; their access ({before}) ended at "
        "once — by {actor} of {subject}.",
        ("partner", THEM): "{subject} ended the collaboration; your access ({before}) ended at "
        "once — by {actor} of {subject}.",
    },
    "link.ended": {
        ("client", PORTAL): "The collaboration with {subject} reached its end date, {day}, and "
        "ended; their access ({before}) ended with it.",
        ("partner", PORTAL): "The collaboration with {subject} reached its end date, {day}, and "
        "ended; your access ({before}) ended with it.",
    },
    "link.extended": {
        ("client", US): "You extended the collaboration with {subject} by {days} days, to "
        "{after} (it was to end on {before}) — by {actor}.",
        ("partner", THEM): "{subject} extended your collaboration by {days} days, to {after} "
        "(it was to end on {before}) — by {actor} of {subject}.",
    },
    "link.extended_automatically": {
        ("client", PORTAL): "The collaboration with {subject} reached its end date, {before}, "
        "and was extended automatically by {days} days, to {after}.",
        ("partner", PORTAL): "The collaboration with {subject} reached its end date, {before}, "
        "and was extended automatically by {days} days, to {after}.",
    },
    "link.end_date_changed": {
        ("client", US): "The end of the collaboration with {subject} changed from {before} to "
        "{after} — by {actor}.",
        ("partner", THEM): "{subject} changed the end of your collaboration from {before} to "
        "{after} — by {actor} of {subject}.",
    },
    "link.elevation_requested": {
        ("partner", US): "You asked {subject} for full access for {length}: “{reason}” — by "
        "{actor}.",
        ("client", THEM): "{subject} asked for full access for {length}: “{reason}” — by {actor} "
        "of {subject}.",
    },
    "link.elevation_started": {
        ("client", US): "You gave {subject} full access for {length}, until {until}; it then goes "
        "back to {before} — by {actor}.",
        ("partner", THEM): "{subject} gave you full access for {length}, until {until}; it then "
        "goes back to {before} — by {actor} of {subject}.",
    },
    "link.elevation_refused": {
        ("client", US): "You refused {subject}'s request for temporary full access — by {actor}.",
        ("partner", THEM): "{subject} refused your request for temporary full access — by "
        "{actor} of {subject}.",
    },
    "link.elevation_withdrawn": {
        ("partner", US): "You withdrew your request to {subject} for temporary full access — by "
        "{actor}.",
        ("client", THEM): "{subject} withdrew their request for temporary full access — by "
        "{actor} of {subject}.",
    },
    "link.elevation_ended": {
        ("client", PORTAL): "The temporary full access of {subject} ended as planned; their "
        "access is back to {after}.",
        ("partner", PORTAL): "Your temporary full access to {subject} ended as planned; your "
        "access is back to {after}.",
    },
    "link.elevation_ended_early": {
        ("client", US): "You ended the temporary full access of {subject} early; their access is "
        "back to {after} — by {actor}.",
        ("client", THEM): "{subject} ended their temporary full access early; their access is "
        "back to {after} — by {actor} of {subject}.",
        ("partner", US): "You ended your temporary full access to {subject} early; your access is "
        "back to {after} — by {actor}.",
        ("partner", THEM): "{subject} ended your temporary full access early; your access is "
        "back to {after} — by {actor} of {subject}.",
    },
    "link.extension_requested": {
        ("partner", US): "You asked {subject} to extend your collaboration by {days} days, to "
        "{after} — by {actor}.",
        ("client", THEM): "{subject} asked you to extend the collaboration by {days} days, to "
        "{after} — by {actor} of {subject}.",
    },
    "link.extension_refused": {
        ("client", US): "You refused {subject}'s request for a later end date — by {actor}.",
        ("partner", THEM): "{subject} refused your request for a later end date — by {actor} of "
        "{subject}.",
    },
    "link.extension_withdrawn": {
        ("partner", US): "You withdrew your request to {subject} for a later end date — by "
        "{actor}.",
        ("client", THEM): "{subject} withdrew their request for a later end date — by {actor} of "
        "{subject}.",
    },
    "link.change_requested": {
        ("partner", US): "You asked {subject} for other access: {after} — by {actor}.",
        ("client", THEM): "{subject} asked for other access: {after} — by {actor} of {subject}.",
    },
    "link.change_refused": {
        ("client", US): "You refused {subject}'s request for other access — by {actor}.",
        ("partner", THEM): "{subject} refused your request for other access — by {actor} of "
        "{subject}.",
    },
    "link.change_withdrawn": {
        ("partner", US): "You withdrew your request to {subject} for other access — by {actor}.",
        ("client", THEM): "{subject} withdrew their request for other access — by {actor} of "
        "{subject}.",
    },
    "link.transfer_created": {
        ("client", US): "You made a transfer code that moves your collaboration with {previous} "
        "to {subject}, with the access you have now, valid until {day} — by {actor}.",
    },
    "link.transfer_created+grant": {
        ("client", US): "You made a transfer code that moves your collaboration with {previous} "
        "to {subject}, with {access}, valid until {day} — by {actor}.",
    },
    "link.transfer_cancelled": {
        ("client", US): "You cancelled the transfer code of your collaboration with {subject} — "
        "by {actor}.",
    },
    "link.transferred": {
        ("client", THEM): "{subject} took over from {previous} with your transfer code and now "
        "manages your products with {after} — by {actor} of {subject}.",
    },
    "link.transferred_away": {
        ("partner", PORTAL): "{subject} moved to another partner with a transfer code; your "
        "collaboration ended and your access with it.",
    },
    "link.transferred_in": {
        ("partner", US): "{subject} moved to you from another partner with a transfer code; you "
        "now manage their products with {after} — by {actor}.",
    },
    "link.collaborators_set": {
        ("partner", US): "You chose who acts for {subject}: {after} (before: {before}) — by "
        "{actor}.",
    },
    "client.product_renamed": {
        ("partner", US): "You renamed {subject}'s product “{before}” to “{after}” — by {actor}.",
        ("client", THEM): "{subject} renamed your product “{before}” to “{after}” — by {actor} of "
        "{subject}.",
    },
    "client.user_invited": {
        ("partner", US): "You invited {email} into {subject} as a user — by {actor}.",
        ("client", THEM): "{subject} invited {email} into your organisation as a user — by "
        "{actor} of {subject}.",
    },
}

# Who acts, when the code says: so that an entry that does not say what its reader is to the
# subject (written before entries did) still reads right.
ACTING_SIDE = {
    "link.accepted": "partner",
    "link.refused": "partner",
    "link.granted": "client",
    "link.declined": "client",
    "link.changed": "client",
    "link.extended": "client",
    "link.end_date_changed": "client",
    "link.elevation_requested": "partner",
    "link.elevation_started": "client",
    "link.elevation_refused": "client",
    "link.elevation_withdrawn": "partner",
    "link.extension_requested": "partner",
    "link.extension_refused": "client",
    "link.extension_withdrawn": "partner",
    "link.change_requested": "partner",
    "link.change_refused": "client",
    "link.change_withdrawn": "partner",
    "link.transfer_created": "client",
    "link.transfer_cancelled": "client",
    "link.transferred_in": "partner",
    "link.collaborators_set": "partner",
    "client.product_renamed": "partner",
    "client.user_invited": "partner",
}
# An entry of an either-side code that does not say its reader's side.
UNSIDED = {
    "link.requested": "A request to work together, with {access}, concerning {subject} — by "
    "{actor}.",
    "link.withdrawn": "A request concerning {subject} was withdrawn — by {actor}.",
    "link.stopped": "The collaboration with {subject} ended; the access was {before} — by {actor}.",
    "link.ended": "The collaboration with {subject} reached its end date, {day}, and ended.",
    "link.extended_automatically": "The collaboration with {subject} was extended automatically "
    "by {days} days, to {after}.",
    "link.elevation_ended": "Temporary full access concerning {subject} ended as planned; the "
    "access is back to {after}.",
    "link.elevation_ended_early": "Temporary full access concerning {subject} was ended early; "
    "the access is back to {after} — by {actor}.",
    "link.transferred_away": "{subject} moved to another partner with a transfer code.",
}


def _template(read: Reading, code: str) -> str | None:
    reader = read.reader_is
    if reader is None and code.split("+")[0] in ACTING_SIDE:
        acting = ACTING_SIDE[code.split("+")[0]]
        reader = acting if read.by == US else ("client" if acting == "partner" else "partner")
    if reader is None:
        return None
    return SENTENCES.get(code, {}).get((reader, read.by))


def _write(read: Reading, variant: str = "", **values) -> str:
    template = (_template(read, read.code + variant) if variant else None) or _template(
        read, read.code
    )
    if template is None:
        template = UNSIDED.get(read.code) or next(iter(SENTENCES[read.code].values()))
    return read.fill(template, **values)


def _requested(read: Reading) -> str:
    after = read.after
    access = access_text(after, read)
    if after.get("ends_on"):
        return _write(read, "+until", access=access, day=day_text(after["ends_on"]))
    if after.get("days"):
        return _write(read, "+days", access=access, days=after["days"])
    return _write(read, access=access)


def _accepted(read: Reading) -> str:
    return _write(read, access=access_text(read.after, read))


def _granted(read: Reading) -> str:
    granted = read.after.get("granted") or {}
    values = {
        "granted": access_text(granted, read),
        "requested": access_text(read.before.get("requested"), read),
    }
    if granted.get("ends_on"):
        return _write(read, "+until", day=day_text(granted["ends_on"]), **values)
    return _write(read, **values)


def _changed(read: Reading) -> str:
    return _write(read, before=access_text(read.before, read), after=access_text(read.after, read))


def _stopped(read: Reading) -> str:
    return _write(read, before=access_text(read.before, read))


def _ended(read: Reading) -> str:
    return _write(
        read, before=access_text(read.before, read), day=day_text(read.before.get("ends_on"))
    )


def _extended(read: Reading) -> str:
    return _write(
        read,
        before=day_text(read.before.get("ends_on")),
        after=day_text(read.after.get("ends_on")),
        days=read.after.get("days", ""),
    )


def _end_date_changed(read: Reading) -> str:
    return _write(read, before=ending_text(read.before), after=ending_text(read.after))


def _elevation_requested(read: Reading) -> str:
    return _write(
        read,
        length=length_text(int(read.after.get("hours") or 0)),
        reason=read.after.get("reason", ""),
    )


def _elevation_started(read: Reading) -> str:
    return _write(
        read,
        length=length_text(int(read.after.get("hours") or 0)),
        until=_until(read.after.get("until")),
        before=access_text(read.before, read),
    )


def _elevation_ended(read: Reading) -> str:
    return _write(read, after=access_text(read.after, read))


def _extension_requested(read: Reading) -> str:
    return _write(read, days=read.after.get("days", ""), after=day_text(read.after.get("ends_on")))


def _change_requested(read: Reading) -> str:
    return _write(read, after=access_text(read.after, read))


def _transfer_created(read: Reading) -> str:
    values = {
        "previous": read.after.get("from_partner", ""),
        "day": day_text(read.after.get("expires_on")),
    }
    if read.after.get("grant"):
        return _write(read, "+grant", access=access_text(read.after["grant"], read), **values)
    return _write(read, **values)


def _transferred(read: Reading) -> str:
    return _write(
        read, previous=read.before.get("partner", ""), after=access_text(read.after, read)
    )


def _collaborators(snapshot: Mapping) -> str:
    names = list(snapshot.get("people_names") or [])
    names += [TEAM.format(name=name) for name in snapshot.get("team_names") or []]
    unnamed = len(snapshot.get("people") or []) + len(snapshot.get("teams") or []) - len(names)
    if unnamed > 0:
        names.append(OTHER_PEOPLE.format(count=unnamed))
    return joined(names) or NOBODY_ASSIGNED


OTHER_PEOPLE = "{count} people or teams no longer in your organisation"


def _collaborators_set(read: Reading) -> str:
    return _write(read, before=_collaborators(read.before), after=_collaborators(read.after))


def _renamed(read: Reading) -> str:
    return _write(read, before=read.before.get("name", ""), after=read.after.get("name", ""))


def _user_invited(read: Reading) -> str:
    return _write(read, email=read.after.get("email", ""))


def _plain(read: Reading) -> str:
    return _write(read)


WRITERS = {
    "link.requested": _requested,
    "link.accepted": _accepted,
    "link.refused": _plain,
    "link.granted": _granted,
    "link.declined": _plain,
    "link.withdrawn": _plain,
    "link.changed": _changed,
    "link.stopped": _stopped,
    "link.ended": _ended,
    "link.extended": _extended,
    "link.extended_automatically": _extended,
    "link.end_date_changed": _end_date_changed,
    "link.elevation_requested": _elevation_requested,
    "link.elevation_started": _elevation_started,
    "link.elevation_refused": _plain,
    "link.elevation_withdrawn": _plain,
    "link.elevation_ended": _elevation_ended,
    "link.elevation_ended_early": _elevation_ended,
    "link.extension_requested": _extension_requested,
    "link.extension_refused": _plain,
    "link.extension_withdrawn": _plain,
    "link.change_requested": _change_requested,
    "link.change_refused": _plain,
    "link.change_withdrawn": _plain,
    "link.transfer_created": _transfer_created,
    "link.transfer_cancelled": _plain,
    "link.transferred": _transferred,
    "link.transferred_away": _plain,
    "link.transferred_in": _change_requested,
    "link.collaborators_set": _collaborators_set,
    "client.product_renamed": _renamed,
    "client.user_invited": _user_invited,
}
