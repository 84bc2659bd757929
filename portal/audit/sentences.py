"""The audit log read as sentences, in the reader's terms (docs/rules.md, The audit log).

Pure: an entry and the names it refers to in, a sentence out. Each domain that writes entries
gives, per event code, a writer that picks one whole sentence (a constant with named
placeholders, so a translator translates each sentence whole) and fills it in; the app puts
them together (`Catalogue`). The page, the CSV, the overview and the collaboration pages all
read entries through `sentence`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

US, THEM, PORTAL = "us", "them", "portal"


@dataclass(frozen=True)
class Names:
    """Names the entries of a page refer to by id: products (old entries kept only their
    ids) and organisations (whom an actor acted for)."""

    products: Mapping[int, str] = field(default_factory=dict)
    organisations: Mapping[int, str] = field(default_factory=dict)


NO_NAMES = Names()


@dataclass(frozen=True)
class Reading:
    """An entry as a writer reads it.

    READER_IS: what the log's organisation is to the subject ("partner" or "client"), None
    when the entry does not say (entries written before it did). BY: "us" (a person of the
    reader's organisation), "them" (a person acting for another organisation, named in
    ACTOR_ORGANISATION) or "portal" (nobody: an end date, a check)."""

    code: str
    actor: str
    by: str
    actor_organisation: str
    subject: str
    reader_is: str | None
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    names: Names

    def fill(self, template: str, **values: Any) -> str:
        """TEMPLATE with the actor, the subject and VALUES in."""
        return template.format(
            actor=self.actor, organisation=self.actor_organisation, subject=self.subject, **values
        )


Writer = Callable[[Reading], str]
Catalogue = Mapping[str, Writer]

UNKNOWN_EVENT = "Something happened that this page cannot describe ({code}) — by {actor}."
UNKNOWN_PRODUCT = "a product that no longer exists"
NOBODY = "the Partner Portal"


def actor_name(stored: str) -> str:
    """The person's name as the log shows it: "Nina Berg <nina@…>" reads "Nina Berg"."""
    name = stored.split(" <", 1)[0].strip() if stored else ""
    return name or NOBODY


def reading(event: Mapping[str, Any], names: Names = NO_NAMES) -> Reading:
    role = event.get("subject_role")
    acting_for = event.get("acting_for_id")
    if event.get("actor") is None and _is_portal(event):
        by = PORTAL
    elif acting_for is not None:
        by = THEM
    else:
        by = US
    return Reading(
        code=event["action"],
        actor=actor_name(event.get("actor_name") or ""),
        by=by,
        actor_organisation=names.organisations.get(acting_for, event.get("subject") or "")
        if acting_for is not None
        else "",
        subject=event.get("subject") or "",
        reader_is={"partner": "client", "client": "partner"}.get(role),
        before=event.get("before") or {},
        after=event.get("after") or {},
        names=names,
    )


def _is_portal(event: Mapping[str, Any]) -> bool:
    return (event.get("actor_name") or "") in ("", "Partner Portal")


def sentence(event: Mapping[str, Any], catalogue: Catalogue, names: Names = NO_NAMES) -> str:
    """The entry EVENT as one sentence for the organisation whose log it is."""
    read = reading(event, names)
    writer = catalogue.get(read.code)
    if writer is None:
        return UNKNOWN_EVENT.format(code=read.code, actor=read.actor)
    return writer(read)


def product_ids_of(event: Mapping[str, Any]) -> set[int]:
    """The product ids an entry names without their names (to look them up for a page)."""
    found: set[int] = set()
    for part in (event.get("before") or {}, event.get("after") or {}):
        for snapshot in (part, *[v for v in part.values() if isinstance(v, Mapping)]):
            named = snapshot.get("product_names") or {}
            for pid in snapshot.get("products") or ():
                if isinstance(pid, int) and str(pid) not in named:
                    found.add(pid)
    return found


def joined(items: list[str]) -> str:
    """A list as a sentence holds it: "Domains, Web hosting and Reception mail"."""
    items = [item for item in items if item]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def day_text(iso_day: str | None) -> str:
    """An ISO day as pages show it: "31 Dec 2026"."""
    if not iso_day:
        return ""
    return date.fromisoformat(str(iso_day)[:10]).strftime("%d %b %Y")
