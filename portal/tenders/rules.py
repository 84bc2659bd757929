"""Pure rules of the tender marketplace (docs/rules.md, Tenders): what a tender holds, who receives
it, how a tender and its quotes move from posting to decision, and how posting is rate-limited.

No I/O: times, counts and preferences are handed in. A past deadline closes a tender on every
read and write (`effective_status`), so correctness never waits for a scheduler."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from portal.core.reference import CANTONS, LANGUAGES, countries
from portal.errors import Conflict

# --- what a tender holds -----------------------------------------------------------------------

CATEGORIES = {
    "website_creation": "Website creation",
    "e_shop": "E-shop",
    "migration": "Migration",
    "hosting": "Hosting",
    "email": "Email",
    "development": "Development",
    "support": "Support",
    "other": "Other",
}

TITLE_MAX = 150
DESCRIPTION_MAX = 5000
TIMELINE_MAX = 200
MESSAGE_MAX = 3000
LARGEST_AMOUNT = Decimal("10000000.00")  # ten million: beyond it, a typing slip
LARGEST_AMOUNT_PROBLEM = "Enter {what} up to 10,000,000."
EXCERPT_LENGTH = 280
# A tender's deadline: at least tomorrow (partners need time to answer), at most half a year.
SHORTEST_NOTICE = timedelta(days=1)
LONGEST_NOTICE = timedelta(days=180)
DEADLINE_ZONE = ZoneInfo("Europe/Zurich")  # the host's home: a deadline ends at its midnight
UNCONFIRMED_KEPT = timedelta(days=7)


def deadline_at(day: date) -> datetime:
    """The moment a tender whose deadline is DAY closes: the end of that day in Zurich."""
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), DEADLINE_ZONE)
    return next_midnight.astimezone(UTC)


def deadline_day(deadline: datetime) -> date:
    """The day a deadline names (it closes at the midnight that ends it)."""
    return (deadline.astimezone(DEADLINE_ZONE) - timedelta(microseconds=1)).date()


def deadline_problem(day: date, today: date) -> str | None:
    if day < today + SHORTEST_NOTICE:
        return "Choose a deadline in the future, at the earliest tomorrow."
    if day > today + LONGEST_NOTICE:
        return f"Choose a deadline within {LONGEST_NOTICE.days} days."
    return None


def location(country: str, region: str | None) -> str:
    """Where the work is, in words: the canton (if any) and the country."""
    country_name = countries().get(country, country)
    if region:
        return f"{CANTONS.get(region, region)}, {country_name}"
    return country_name


def budget_problem(minimum: Decimal, maximum: Decimal) -> dict[str, str]:
    problems = {}
    if minimum < 0:
        problems["budget_min"] = "The budget cannot be negative."
    if maximum <= 0:
        problems["budget_max"] = "Enter the most you would spend, more than zero."
    elif minimum > maximum:
        problems["budget_max"] = "The maximum must be at least the minimum."
    elif maximum > LARGEST_AMOUNT:  # the same cap as a quote's price
        problems["budget_max"] = LARGEST_AMOUNT_PROBLEM.format(what="a budget")
    return problems


def region_problem(country: str, region: str) -> str | None:
    """A region is a Swiss canton, and only with Switzerland."""
    if not region:
        return None
    if region not in CANTONS:
        return "Choose a region from the list."
    if country != "CH":
        return "Regions are Swiss cantons: choose Switzerland, or no region."
    return None


# --- the tender's life -------------------------------------------------------------------------


class TenderStatus(StrEnum):
    UNCONFIRMED = "unconfirmed"  # a visitor's draft: waits for the emailed confirmation
    OPEN = "open"
    DECIDED = "decided"  # the author accepted one quote
    WITHDRAWN = "withdrawn"  # the author took it back
    EXPIRED = "expired"  # the deadline passed without a decision

    @property
    def label(self) -> str:
        return TENDER_STATUS_LABELS[self]

    @property
    def is_closed(self) -> bool:
        return self in CLOSED


TENDER_STATUS_LABELS = {
    TenderStatus.UNCONFIRMED: "Waiting for email confirmation",
    TenderStatus.OPEN: "Open for quotes",
    TenderStatus.DECIDED: "Decided",
    TenderStatus.WITHDRAWN: "Withdrawn by its author",
    TenderStatus.EXPIRED: "Closed at its deadline",
}
CLOSED = frozenset({TenderStatus.DECIDED, TenderStatus.WITHDRAWN, TenderStatus.EXPIRED})


class TenderEvent(StrEnum):
    CONFIRM = "confirm"
    ACCEPT_QUOTE = "accept_quote"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"


TENDER_TRANSITIONS = {
    (TenderStatus.UNCONFIRMED, TenderEvent.CONFIRM): TenderStatus.OPEN,
    (TenderStatus.OPEN, TenderEvent.ACCEPT_QUOTE): TenderStatus.DECIDED,
    (TenderStatus.OPEN, TenderEvent.WITHDRAW): TenderStatus.WITHDRAWN,
    (TenderStatus.OPEN, TenderEvent.EXPIRE): TenderStatus.EXPIRED,
}
CLOSED_PROBLEMS = {
    TenderStatus.UNCONFIRMED: "This tender waits for its author to confirm their email address.",
    TenderStatus.OPEN: "This tender is already open.",
    TenderStatus.DECIDED: "This tender is decided: its author accepted a quote.",
    TenderStatus.WITHDRAWN: "This tender was withdrawn by its author.",
    TenderStatus.EXPIRED: "This tender closed at its deadline.",
}


class TenderClosed(Conflict):
    """A step the tender's status forbids (409), told in words."""


def effective_status(status: TenderStatus, deadline: datetime, now: datetime) -> TenderStatus:
    """The status as it stands at NOW: an open tender whose deadline passed is expired, even
    before the hourly job writes it down. An unconfirmed one past its deadline can no longer
    open (the purge removes it)."""
    if status is TenderStatus.OPEN and now >= deadline:
        return TenderStatus.EXPIRED
    return status


def next_status(
    status: TenderStatus, event: TenderEvent, deadline: datetime, now: datetime
) -> TenderStatus:
    """Where EVENT leads from STATUS at NOW; TenderClosed when it may not happen."""
    if event is not TenderEvent.EXPIRE:
        current = effective_status(status, deadline, now)
        if status is TenderStatus.UNCONFIRMED and now >= deadline:
            raise TenderClosed("This tender's deadline passed before it was confirmed.")
    else:
        current = status
        if now < deadline:
            raise TenderClosed("This tender's deadline has not passed yet.")
    try:
        return TENDER_TRANSITIONS[(current, event)]
    except KeyError:
        raise TenderClosed(CLOSED_PROBLEMS[current]) from None


def is_purgeable(status: TenderStatus, created_at: datetime, now: datetime) -> bool:
    """An unconfirmed tender is removed 7 days after it was posted."""
    return status is TenderStatus.UNCONFIRMED and now - created_at >= UNCONFIRMED_KEPT


CONFIRMATION_EXPIRED = (
    f"This confirmation link expired: a tender left unconfirmed for {UNCONFIRMED_KEPT.days} days "
    "is deleted. Please post it again."
)


# --- quotes ------------------------------------------------------------------------------------


class QuoteStatus(StrEnum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"  # by the partner; final: a partner answers once
    ACCEPTED = "accepted"
    DECLINED = "declined"  # another quote was accepted

    @property
    def label(self) -> str:
        return QUOTE_STATUS_LABELS[self]


QUOTE_STATUS_LABELS = {
    QuoteStatus.SUBMITTED: "Submitted",
    QuoteStatus.WITHDRAWN: "Withdrawn",
    QuoteStatus.ACCEPTED: "Accepted",
    QuoteStatus.DECLINED: "Not chosen",
}


class QuoteEvent(StrEnum):
    AMEND = "amend"
    WITHDRAW = "withdraw"
    ACCEPT = "accept"
    DECLINE = "decline"


QUOTE_TRANSITIONS = {
    (QuoteStatus.SUBMITTED, QuoteEvent.AMEND): QuoteStatus.SUBMITTED,
    (QuoteStatus.SUBMITTED, QuoteEvent.WITHDRAW): QuoteStatus.WITHDRAWN,
    (QuoteStatus.SUBMITTED, QuoteEvent.ACCEPT): QuoteStatus.ACCEPTED,
    (QuoteStatus.SUBMITTED, QuoteEvent.DECLINE): QuoteStatus.DECLINED,
}
QUOTE_PROBLEMS = {
    QuoteStatus.WITHDRAWN: "This quote was withdrawn; a partner answers a tender once.",
    QuoteStatus.ACCEPTED: "This quote was accepted.",
    QuoteStatus.DECLINED: "The author chose another quote.",
}


def next_quote_status(
    quote: QuoteStatus, event: QuoteEvent, tender: TenderStatus, deadline: datetime, now: datetime
) -> QuoteStatus:
    """A quote changes only while its tender is open (before the deadline, undecided)."""
    current = effective_status(tender, deadline, now)
    if current is not TenderStatus.OPEN:
        raise TenderClosed(CLOSED_PROBLEMS[current])
    try:
        return QUOTE_TRANSITIONS[(quote, event)]
    except KeyError:
        raise TenderClosed(QUOTE_PROBLEMS.get(quote, "This quote cannot change.")) from None


def may_submit_quote(tender: TenderStatus, deadline: datetime, now: datetime) -> None:
    """A new quote needs an open tender; TenderClosed otherwise."""
    current = effective_status(tender, deadline, now)
    if current is not TenderStatus.OPEN:
        raise TenderClosed(CLOSED_PROBLEMS[current])


PARTNER_LEFT = (
    "This partner is no longer an active partner of the programme: its quote cannot be "
    "accepted. Choose another quote."
)


def check_partner_may_win(partner_active: bool) -> None:
    """Only an active partner of the programme wins a tender (and learns its author)."""
    if not partner_active:
        raise TenderClosed(PARTNER_LEFT)


class QuoteChanged(TenderClosed):
    """The partner amended (or withdrew) the quote after the author's page showed it."""


QUOTE_CHANGED = "This quote changed since you opened the page; review it before accepting."


def quote_version(updated_at: datetime) -> str:
    """What the author's accept form carries: the quote as they saw it."""
    return updated_at.isoformat()


def check_quote_unchanged(seen_version: str, updated_at: datetime) -> None:
    if seen_version != quote_version(updated_at):
        raise QuoteChanged(QUOTE_CHANGED)


def price_problem(price: Decimal) -> str | None:
    if price <= 0:
        return "Enter a price above zero."
    if price > LARGEST_AMOUNT:
        return LARGEST_AMOUNT_PROBLEM.format(what="a price")
    return None


def contact_visible(quote_status: QuoteStatus | None) -> bool:
    """The author's contact details are the partner's only once the author accepted its quote."""
    return quote_status is QuoteStatus.ACCEPTED


# --- routing: who receives a tender ------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    """A partner's tender settings. Empty languages or regions mean 'any'."""

    organisation_id: int
    active: bool  # an active partner of the programme
    categories: frozenset[str]
    languages: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()  # country codes and Swiss cantons (CH-VD)


@dataclass(frozen=True)
class Route:
    """What routing looks at in a tender."""

    category: str
    language: str
    country: str
    region: str = ""
    author_organisation_id: int | None = None


def reasons_not_received(preferences: Preferences, route: Route) -> list[str]:
    """Why PREFERENCES' partner does not receive ROUTE's tender; empty when it does."""
    reasons = []
    if preferences.organisation_id == route.author_organisation_id:
        reasons.append("it is your own tender")
    if not preferences.active:
        reasons.append("only active partners of the programme receive tenders")
    if route.category not in preferences.categories:
        reasons.append(f"you did not opt in for {CATEGORIES.get(route.category, route.category)}")
    if preferences.languages and route.language not in preferences.languages:
        reasons.append(f"it is in {LANGUAGES.get(route.language, route.language)}")
    if preferences.regions and not region_matches(preferences.regions, route):
        reasons.append("it is outside your regions")
    return reasons


def region_matches(regions: frozenset[str], route: Route) -> bool:
    """A country covers all its regions; a canton covers only tenders placed in it."""
    return route.country in regions or (bool(route.region) and route.region in regions)


def receives(preferences: Preferences, route: Route) -> bool:
    return not reasons_not_received(preferences, route)


def recipients(partners: Iterable[Preferences], route: Route) -> list[int]:
    """The organisations that receive the tender, in a stable order."""
    return sorted(p.organisation_id for p in partners if receives(p, route))


def why_received(preferences: Preferences, route: Route, notified_at: datetime) -> str:
    """What the partner's tender page says about how the tender reached it."""
    when = notified_at.strftime("%d %b %Y")
    reasons = [r for r in reasons_not_received(preferences, route) if "own tender" not in r]
    if not reasons:
        return (
            f"It reached you on {when} because it matches your tender settings: "
            f"{CATEGORIES.get(route.category, route.category)}, in "
            f"{LANGUAGES.get(route.language, route.language)}, in a place you cover."
        )
    return (
        f"It reached you on {when}, when it matched your tender settings; it would not "
        f"today, because {'; '.join(reasons)}."
    )


def matching_rule_in_words(preferences: Preferences, country_names: dict[str, str]) -> list[str]:
    """The rule as the settings page states it, with this partner's own choices."""
    lines = [
        "A tender reaches you when all of these hold:",
        "your organisation is an active partner of the programme"
        + (" (it is)." if preferences.active else " (it is not yet)."),
    ]
    if preferences.categories:
        chosen = ", ".join(CATEGORIES[c] for c in CATEGORIES if c in preferences.categories)
        lines.append(f"its category is one you opted in for: {chosen}.")
    else:
        lines.append("its category is one you opted in for — you opted in for none yet.")
    if preferences.languages:
        chosen = ", ".join(LANGUAGES[code] for code in LANGUAGES if code in preferences.languages)
        lines.append(f"it is written in one of your languages: {chosen}.")
    else:
        lines.append("any language (you chose none, so language does not filter).")
    if preferences.regions:
        names = sorted(region_name(code, country_names) for code in preferences.regions)
        lines.append(f"it is placed in one of your regions: {', '.join(names)}.")
    else:
        lines.append("anywhere (you chose no region, so location does not filter).")
    lines.append("A tender you posted yourself never comes to you.")
    return lines


def region_name(code: str, country_names: dict[str, str]) -> str:
    if code in CANTONS:
        return f"{CANTONS[code]} (canton)"
    return country_names.get(code, code)


# --- posting is rate-limited -------------------------------------------------------------------


@dataclass(frozen=True)
class PostingLimit:
    window: timedelta
    per_email: int
    per_ip: int


POSTING_LIMITS = (
    PostingLimit(timedelta(hours=1), per_email=3, per_ip=5),
    PostingLimit(timedelta(days=1), per_email=10, per_ip=20),
)


@dataclass(frozen=True)
class RecentPostings:
    """How many tenders an email address and an IP address posted within each limit's window
    (in the order of POSTING_LIMITS)."""

    by_email: tuple[int, ...]
    by_ip: tuple[int, ...]


def posting_refusal(recent: RecentPostings) -> tuple[str, int] | None:
    """Why a new tender must wait, and for how many seconds; None when it may be posted."""
    for limit, by_email, by_ip in zip(POSTING_LIMITS, recent.by_email, recent.by_ip, strict=True):
        if by_email >= limit.per_email or by_ip >= limit.per_ip:
            span = "an hour" if limit.window == timedelta(hours=1) else "a day"
            return (
                f"You posted many tenders recently: at most {limit.per_email} per email address "
                f"and {limit.per_ip} per connection within {span}. Please try again later.",
                int(limit.window.total_seconds()),
            )
    return None


# --- a partner's record ------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderRecord:
    """Per partner: tenders received, answered (a quote was submitted, even if later withdrawn)
    and won."""

    received: int = 0
    answered: int = 0
    won: int = 0

    @property
    def answer_rate(self) -> Decimal:
        """Answered ÷ received, 0 to 1 (0 when nothing was received)."""
        if not self.received:
            return Decimal(0)
        return (Decimal(self.answered) / Decimal(self.received)).quantize(Decimal("0.0001"))


def is_new(read_at: datetime | None, quote_status: str | None) -> bool:
    """A tender is new in a partner's inbox until the partner opened it or quoted."""
    return read_at is None and quote_status is None


# --- the author's private link -----------------------------------------------------------------


def manage_token(secret: str, tender_id: int, nonce: str) -> str:
    """The visitor's private link to their tender: its id and an HMAC of it with a nonce kept
    in the tender, so the portal can mail the link again while a copy of the database alone
    does not give it away."""
    signature = hmac.new(secret.encode(), f"tender:{tender_id}:{nonce}".encode(), "sha256")
    return f"{tender_id}-{signature.hexdigest()[:40]}"


def tender_id_of_token(token: str) -> int | None:
    """The tender a private link names, if it has the link's shape at all."""
    head, _, signature = token.partition("-")
    if not (head.isascii() and head.isdigit() and 0 < len(head) <= 10 and len(signature) == 40):
        return None
    return int(head)


def manage_token_matches(secret: str, token: str, tender_id: int, nonce: str | None) -> bool:
    if not nonce:
        return False
    return hmac.compare_digest(manage_token(secret, tender_id, nonce), token)
