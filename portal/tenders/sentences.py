"""How the entries of tenders read in the audit log (portal/audit/sentences.py). Each
constant is one whole sentence."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from portal.audit.sentences import Reading, joined
from portal.core.reference import CANTONS, LANGUAGES, countries
from portal.formatting import money
from portal.tenders.rules import CATEGORIES

POSTED = "The tender “{subject}” was posted — by {actor}."
QUOTED = (
    "You quoted {price} for the tender “{subject}”, with the timeline “{timeline}” — by {actor}."
)
QUOTE_AMENDED = (
    "Your quote for the tender “{subject}” changed from {before} to {after} — by {actor}."
)
QUOTE_WITHDRAWN = "Your quote for the tender “{subject}” was withdrawn — by {actor}."
QUOTE_ACCEPTED = "A quote was accepted for the tender “{subject}” — by {actor}."
WITHDRAWN = "The tender “{subject}” was withdrawn — by {actor}."
SETTINGS_CHANGED = (
    "The tender settings changed: categories {categories}; languages {languages}; regions "
    "{regions} — by {actor}."
)
QUOTE = "{price} in {timeline}"
ANY = "any"
NONE_CHOSEN = "none"


def _price(snapshot: Mapping) -> str:
    try:
        return money(Decimal(str(snapshot.get("price"))), snapshot.get("currency") or "")
    except (InvalidOperation, ValueError):
        return str(snapshot.get("price") or "")


def _quote(snapshot: Mapping) -> str:
    return QUOTE.format(price=_price(snapshot), timeline=snapshot.get("timeline", ""))


def _quoted(read: Reading) -> str:
    return read.fill(QUOTED, price=_price(read.after), timeline=read.after.get("timeline", ""))


def _amended(read: Reading) -> str:
    return read.fill(QUOTE_AMENDED, before=_quote(read.before), after=_quote(read.after))


def _settings(read: Reading) -> str:
    places = {**countries(), **CANTONS}
    after = read.after
    return read.fill(
        SETTINGS_CHANGED,
        categories=joined([CATEGORIES.get(c, c) for c in after.get("categories") or ()])
        or NONE_CHOSEN,
        languages=joined([LANGUAGES.get(c, c) for c in after.get("languages") or ()]) or ANY,
        regions=joined([places.get(c, c) for c in after.get("regions") or ()]) or ANY,
    )


def _fixed(template: str):
    return lambda read: read.fill(template)


WRITERS = {
    "tender.posted": _fixed(POSTED),
    "tender.quoted": _quoted,
    "tender.quote_amended": _amended,
    "tender.quote_withdrawn": _fixed(QUOTE_WITHDRAWN),
    "tender.quote_accepted": _fixed(QUOTE_ACCEPTED),
    "tender.withdrawn": _fixed(WITHDRAWN),
    "tender.settings_changed": _settings,
}
