"""Reference data the portal speaks in: countries, Switzerland's cantons, languages, currencies
and the kinds of organisation. Organisations, tenders, the directory and formatting share them."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from babel import Locale


class OrganisationKind(StrEnum):
    COMPANY = "company"
    PERSON = "person"

    @property
    def label(self) -> str:
        return KINDS[self]


KINDS = {OrganisationKind.COMPANY: "Company", OrganisationKind.PERSON: "Person"}
CURRENCIES = ("CHF", "EUR")
FIRST_COUNTRIES = ("CH", "FR", "DE", "IT", "AT", "LI", "BE", "LU", "NL", "ES", "PT")
# Babel's territories include groupings and pseudo-locales (XA, XB) that are not countries.
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})


@cache
def countries() -> dict[str, str]:
    """ISO 3166 country code → English name; the programme's home countries first."""
    names = {
        code: name
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }
    first = {code: names[code] for code in FIRST_COUNTRIES}
    rest = dict(sorted(((c, n) for c, n in names.items() if c not in first), key=lambda p: p[1]))
    return first | rest


# The languages partners work in and tenders are written in.
LANGUAGES = {
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "en": "English",
    "rm": "Romansh",
    "es": "Spanish",
    "pt": "Portuguese",
}
# Switzerland's cantons: the regions tenders and listings may name; elsewhere the country is
# the place.
CANTONS = {
    "CH-AG": "Aargau",
    "CH-AI": "Appenzell Innerrhoden",
    "CH-AR": "Appenzell Ausserrhoden",
    "CH-BE": "Bern",
    "CH-BL": "Basel-Landschaft",
    "CH-BS": "Basel-Stadt",
    "CH-FR": "Fribourg",
    "CH-GE": "Geneva",
    "CH-GL": "Glarus",
    "CH-GR": "Graubünden",
    "CH-JU": "Jura",
    "CH-LU": "Lucerne",
    "CH-NE": "Neuchâtel",
    "CH-NW": "Nidwalden",
    "CH-OW": "Obwalden",
    "CH-SG": "St. Gallen",
    "CH-SH": "Schaffhausen",
    "CH-SO": "Solothurn",
    "CH-SZ": "Schwyz",
    "CH-TG": "Thurgau",
    "CH-TI": "Ticino",
    "CH-UR": "Uri",
    "CH-VD": "Vaud",
    "CH-VS": "Valais",
    "CH-ZG": "Zug",
    "CH-ZH": "Zurich",
}
