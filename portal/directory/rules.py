"""Pure rules of the public partner directory (docs/rules.md, Directory): what a listing holds, how
a visitor's search is read, how partners are ranked from evidence (never from names), how ties
rotate week by week, and what makes a response's ETag.

No I/O: the evidence, the date and the query string are handed in."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from portal.core.enums import PartnerStatus
from portal.core.reference import CANTONS, LANGUAGES
from portal.tenders.rules import CATEGORIES

# The tender categories (docs/rules.md, Tenders): a partner's specialities are the tenders it wants.
SPECIALITIES = CATEGORIES
PAGE_SIZE = 20
# A page of results starts after (or before) the place of a partner in the directory's order:
# (ranking window, score, tiebreak, organisation). The database goes straight to it, so a deep
# page costs what the first does (by page number, page 50 cost 1.4 to 3.9 times page 1).
Place = tuple[int, int, int, int]
MAX_PLACE_NUMBER = 2**31 - 1
QUERY_MAX = 100
QUERY_WORDS_MAX = 8
PREFIX_MAX = 24  # the longest prefix of a word the search index holds (directory_words)
INFIX_MIN = 4  # the shortest word found inside another (directory_words)
INFIX_WORD_MAX = 30  # the longest word whose inner parts the index holds (directory_words)
DESCRIPTION_MAX = 2000
DESCRIPTION_EXCERPT = 220


def region_label(region: str) -> str:
    return CANTONS.get(region, region)


# --- the visitor's search ------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """A visitor's search as the directory understands it: each filter known, or empty."""

    text: str = ""
    country: str = ""
    region: str = ""
    language: str = ""
    speciality: str = ""
    after: Place | None = None  # the page after this place (the next one)
    before: Place | None = None  # the page before this place (the previous one)

    @property
    def words(self) -> tuple[str, ...]:
        return search_words(self.text)

    @property
    def filtered(self) -> bool:
        return bool(self.words or self.country or self.region or self.language or self.speciality)

    @property
    def at_start(self) -> bool:
        return self.after is None and self.before is None

    def moved(self, *, after: Place | None = None, before: Place | None = None) -> Search:
        """The same search at another page (the first one without AFTER or BEFORE)."""
        return replace(self, after=after, before=before)

    def query_string(self) -> str:
        """The canonical query string: known filters in a fixed order, empty ones left out,
        the first page implied. Shareable URLs, cache keys and ETags are built from it."""
        pairs = [
            ("q", " ".join(self.words)),
            ("country", self.country),
            ("region", self.region),
            ("language", self.language),
            ("speciality", self.speciality),
            ("after", place_text(self.after)),
            ("before", place_text(self.before)),
        ]
        return urlencode([(key, value) for key, value in pairs if value])

    def url(self, base: str) -> str:
        """The search's address on the directory page at BASE (its route's path)."""
        query = self.query_string()
        return base + (f"?{query}" if query else "")


def place_text(place: Place | None) -> str:
    return ".".join(str(number) for number in place) if place else ""


def place_of(row: Mapping) -> Place:
    """The place in the directory's order of a result row (queries.CARD_COLUMNS)."""
    return (row["rank_window"], row["rank_score"], row["rank_tiebreak"], row["id"])


@dataclass(frozen=True)
class ParsedSearch:
    search: Search
    errors: dict[str, str] = field(default_factory=dict)


# Letters and digits, with inner hyphens ("e-shop", "E-Mail"): the query joins them.
WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search: letters, digits and inner hyphens only, so that no character
    of the text ever reaches the full-text query syntax (&, |, !, :, quotes, parentheses…)."""
    return tuple(WORD.findall(text))[:QUERY_WORDS_MAX]


# The accent fold of the database's directory_fold() (its migration holds the same table), so
# that a query arrives folded: SQL then compares it with the documents, and runs no fold per
# row (a filter's expression is evaluated for every row it looks at).
FOLD_TABLE = str.maketrans(
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳØøĐđŁłÐð",
    "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzsoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyyooddlldd",
)
FOLD_PAIRS = (("ß", "ss"), ("Æ", "ae"), ("æ", "ae"), ("Œ", "oe"), ("œ", "oe"))


def fold(text: str) -> str:
    for letter, spelled in FOLD_PAIRS:
        text = text.replace(letter, spelled)
    return text.translate(FOLD_TABLE).lower()


def tsquery_text(words: tuple[str, ...]) -> str:
    """Every word must match, as a prefix: results follow the visitor's typing, and "shop"
    finds "shops" (the search folds accents but does not stem: partners write in four
    languages). A word of INFIX_MIN letters or more is also found inside a word ("mail" in
    "email", "shop" in "Webshop"), and a word with a synonym is found as any of them. The
    documents hold every prefix of their words up to PREFIX_MAX letters and those inner
    parts (the database's directory_words()), hyphenated words joined, so each word is one
    exact lexeme, cut to that length; the text is a tsquery value, read once, never through
    a dictionary per row."""
    return " & ".join(_word_or_synonyms(lexeme(word)) for word in words)


def lexeme(word: str) -> str:
    """WORD as the index holds it: folded, hyphens removed, at most PREFIX_MAX letters."""
    return fold(word).replace("-", "")[:PREFIX_MAX]


def _word_or_synonyms(word: str) -> str:
    synonyms = SYNONYMS.get(word)
    if not synonyms:
        return word
    return "(" + " | ".join(synonyms) + ")"


# Words a visitor may type for the same thing: Swiss places in their languages, and the
# trades' words across the portal's languages. Folded and hyphens removed, as lexeme() makes
# them; a visitor's word that is one of them finds any of them.
SYNONYM_GROUPS = (
    ("zurich", "zuerich", "zurigo", "zuri"),
    ("geneve", "geneva", "genf", "ginevra"),
    ("bern", "berne", "berna"),
    ("basel", "bale", "basilea", "basle"),
    ("luzern", "lucerne", "lucerna"),
    ("fribourg", "freiburg", "friburgo"),
    ("neuchatel", "neuenburg"),
    ("solothurn", "soleure", "soletta"),
    ("schaffhausen", "schaffhouse", "sciaffusa"),
    ("graubunden", "grisons", "grigioni", "grischun"),
    ("ticino", "tessin"),
    ("valais", "wallis", "vallese"),
    ("vaud", "waadt"),
    ("thurgau", "thurgovie", "turgovia"),
    ("aargau", "argovie", "argovia"),
    ("glarus", "glaris", "glarona"),
    ("zug", "zoug", "zugo"),
    ("schwyz", "schwytz", "svitto"),
    ("biel", "bienne"),
    ("sion", "sitten"),
    ("chur", "coire", "coira"),
    ("lausanne", "losanna"),
    ("delemont", "delsberg"),
    ("schweiz", "suisse", "svizzera", "switzerland", "svizra"),
    ("webshop", "eshop", "onlineshop"),
    ("email", "courriel"),
    ("hosting", "hebergement"),
    ("development", "entwicklung", "developpement", "sviluppo"),
)
SYNONYMS = {word: group for group in SYNONYM_GROUPS for word in group}


# --- facets: what the filters look for, one GIN index for all of them -----------------------


def listing_facets(languages, specialities, country: str, region: str) -> list[str]:
    """The tokens a listing is found by: its languages, specialities, country and region.
    The database's directory_facets() computes the very same (a test holds them together)
    into the column the search's GIN indexes cover."""
    return [
        *(f"l:{code}" for code in languages),
        *(f"s:{code}" for code in specialities),
        f"c:{country}",
        *([f"r:{region}"] if region else []),
    ]


def search_facets(search: Search) -> list[str]:
    """The tokens every result must hold for SEARCH's filters.
    A region names its country (parse_search sees to it): the country's token, held by most
    listings, would only make the index read a long list for nothing."""
    place = f"r:{search.region}" if search.region else f"c:{search.country}"
    return [
        *([f"l:{search.language}"] if search.language else []),
        *([f"s:{search.speciality}"] if search.speciality else []),
        *([place] if search.region or search.country else []),
    ]


def parse_search(params: Mapping[str, str], countries: Mapping[str, str]) -> ParsedSearch:
    """Read the query string. An unknown filter value is dropped and explained (the visitor
    still gets results, without it); a page number that is not one means the first page."""
    errors: dict[str, str] = {}
    text = _text(params.get("q", ""), errors)
    country = _known(params.get("country", ""), countries, "country", "country", errors)
    region = _known(params.get("region", ""), CANTONS, "region", "canton", errors)
    if region and country and not region.startswith(f"{country}-"):
        errors["region"] = f"{CANTONS[region]} is not in {countries[country]}."
        region = ""
    if region and not country:
        country = region.split("-", 1)[0]
    language = _known(params.get("language", ""), LANGUAGES, "language", "language", errors)
    speciality = _known(
        params.get("speciality", ""), SPECIALITIES, "speciality", "speciality", errors
    )
    after = _place(params.get("after", ""), errors)
    before = _place(params.get("before", ""), errors) if after is None else None
    search = Search(text, country, region, language, speciality, after, before)
    return ParsedSearch(search, errors)


def _text(raw: str, errors: dict[str, str]) -> str:
    """The search's words joined by spaces: the very text its cache key and ETag are built
    from, so a page kept for one visitor never shows another visitor's raw text. NFKC first,
    so that an accent typed as a combining mark stays in its word."""
    text = " ".join(unicodedata.normalize("NFKC", str(raw)).split())
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        errors["q"] = "Remove the control characters from the search."
        return ""
    if len(text) > QUERY_MAX:
        errors["q"] = f"Search with at most {QUERY_MAX} characters."
        return text[:QUERY_MAX]
    return " ".join(search_words(text))


def _known(
    raw: str, choices: Mapping[str, str], name: str, label: str, errors: dict[str, str]
) -> str:
    value = str(raw).strip()
    if not value:
        return ""
    if value not in choices:
        errors[name] = f"There is no such {label} in the directory; showing every {label}."
        return ""
    return value


def _place(raw: str, errors: dict[str, str]) -> Place | None:
    """A place in the directory's order, as the pager's links write it ("1.9.123.45"); one
    that is not means the first page. (The numbered pages of old links are ignored.)"""
    raw = str(raw).strip()
    if not raw:
        return None
    parts = raw.split(".")
    if len(parts) == 4 and all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        window, score, tiebreak, organisation = (int(part) for part in parts)
        numbers_fit = max(score, tiebreak, organisation) <= MAX_PLACE_NUMBER
        if 1 <= window <= LAST_WINDOW and numbers_fit:
            return window, score, tiebreak, organisation
    errors["page"] = "That is not a page of the directory; showing the first page."
    return None


# --- ranking: evidence the portal holds, never names ---------------------------------------


@dataclass(frozen=True)
class Evidence:
    active_clients: int = 0
    tenders_received: int = 0
    tenders_answered: int = 0

    @property
    def answer_rate(self) -> float | None:
        """None until a partner received enough tenders for a rate to mean something."""
        if self.tenders_received < MIN_TENDERS_FOR_RATE:
            return None
        return min(1.0, self.tenders_answered / self.tenders_received)


# Bands rather than raw counts: beyond a point, more clients say little more about a partner,
# and wide ties give the weekly rotation room to share the top places.
CLIENT_BANDS = ((21, 5), (11, 4), (6, 3), (3, 2), (1, 1))
MIN_TENDERS_FOR_RATE = 3
NEUTRAL_ANSWER_POINTS = 2  # a newcomer without tenders is neither rewarded nor punished
ANSWER_BANDS = ((0.75, 4), (0.5, 3), (0.25, 1))
MAX_SCORE = CLIENT_BANDS[0][1] + ANSWER_BANDS[0][1]


def client_points(active_clients: int) -> int:
    return next((points for least, points in CLIENT_BANDS if active_clients >= least), 0)


def answer_points(evidence: Evidence) -> int:
    rate = evidence.answer_rate
    if rate is None:
        return NEUTRAL_ANSWER_POINTS
    return next((points for least, points in ANSWER_BANDS if rate >= least), 0)


def rank_score(evidence: Evidence) -> int:
    """0 to 9: how strongly the portal's own records speak for the partner."""
    return client_points(evidence.active_clients) + answer_points(evidence)


def week_seed(day: date) -> int:
    """The seed of DAY's ISO week (e.g. 202649): ties are ordered the same way all week."""
    year, week, _ = day.isocalendar()
    return year * 100 + week


def tiebreak(seed: int, organisation_id: int) -> int:
    """A partner's place among equals for the week of SEED: a hash, so neither its name, nor
    its id, nor when it joined decides, and every partner leads a tie equally often."""
    digest = hashlib.blake2b(f"{seed}:{organisation_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") >> 1  # fits a PostgreSQL integer


def ranking_key(score: int, seed: int, organisation_id: int) -> tuple[int, int, int]:
    """Sort ascending: the highest score first, then the week's tiebreak (as the database's
    ORDER BY rank_score DESC, rank_tiebreak, organisation does)."""
    return (-score, tiebreak(seed, organisation_id), organisation_id)


# Ranking windows: the first 200 places, the next 2,000, the next 20,000, then the rest.
# The directory is ordered by window, then by the ranking key; a search reads the windows
# one after the other, each through its own GIN index (directory_listing_find_<window>),
# and stops once its page is full. So the rows and index entries it reads stay about the
# same however many partners the directory holds: a broad search fills its page from the
# first window, a narrow one reads further. The full refresh recomputes the windows.
WINDOW_SIZES = (200, 2000, 20000)
LAST_WINDOW = len(WINDOW_SIZES) + 1


def rank_window(position: int) -> int:
    """The window of the listing at POSITION (1 = first) of the ranking."""
    limit = 0
    for window, size in enumerate(WINDOW_SIZES, start=1):
        limit += size
        if position <= limit:
            return window
    return LAST_WINDOW


def rank_windows(keys: Mapping[int, tuple]) -> dict[int, int]:
    """Each listing's window from its ranking key (listing id -> key, shown listings only)."""
    ordered = sorted(keys, key=keys.__getitem__)
    return {listing: rank_window(place) for place, listing in enumerate(ordered, start=1)}


# --- what a listing holds ------------------------------------------------------------------


# The addresses under /directory that are not profiles: no listing may take them as its slug.
RESERVED_SLUGS = frozenset({"listing"})


def slug_is_usable(slug: str) -> bool:
    """A slug that cannot be mistaken for another address: neither an organisation number
    (/directory/123 redirects to its profile) nor a page of the directory."""
    return not slug.isdigit() and slug not in RESERVED_SLUGS


def slug_of(name: str) -> str:
    """A URL part from a name: ASCII letters and digits joined by hyphens."""
    folded = unicodedata.normalize("NFKD", name.replace("ß", "ss"))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:80].strip("-")
    return slug or "partner"


def partner_shown(partner_status: str) -> bool:
    """Only an active partner appears; a flagged or ended one disappears. The database's
    directory_partner_shown() says the same (a test holds them together); listings keep
    its answer in partner_active, and queries.SHOWN reads that column."""
    return partner_status == PartnerStatus.ACTIVE


def shown_in_directory(published: bool, partner_status: str) -> bool:
    """A listing appears when its partner opted in and is shown."""
    return published and partner_shown(partner_status)


def etag(version: int, variant: str, canonical_query: str, build: str = "") -> str:
    """A strong validator: the same directory version, query and build of the portal give
    the same bytes (a deploy changes the build, so a copy rendered by the old one is not
    confirmed as current)."""
    digest = hashlib.blake2b(
        f"{version}|{variant}|{canonical_query}|{build}".encode(), digest_size=12
    ).hexdigest()
    return f'"d{version}-{digest}"'


def etag_matches(if_none_match: str | None, current: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip() for tag in if_none_match.split(",")}
    return current in candidates or "*" in candidates
