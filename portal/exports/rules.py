"""Pure rules of billing reports (docs/rules.md, Billing reports): the period, formula
neutralisation, sheet and file names, exact money text. No I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from portal.download_rules import FORMULA_TRIGGERS, content_disposition  # noqa: F401

MAX_YEARS = 10
FORMATS = ("xlsx", "csv")


# --- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


class PeriodKind(StrEnum):
    LAST_MONTH = "last_month"
    LAST_QUARTER = "last_quarter"
    THIS_YEAR = "this_year"
    LAST_YEAR = "last_year"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


PERIOD_LABELS = {
    PeriodKind.LAST_MONTH: "Last month",
    PeriodKind.LAST_QUARTER: "Last quarter",
    PeriodKind.THIS_YEAR: "This year so far",
    PeriodKind.LAST_YEAR: "Last year",
    PeriodKind.MONTH: "A month",
    PeriodKind.QUARTER: "A quarter",
    PeriodKind.YEAR: "A year",
    PeriodKind.RANGE: "From – to",
}


def month_period(year: int, month: int) -> Period:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return Period(date(year, month, 1), following - timedelta(days=1))


def quarter_period(year: int, quarter: int) -> Period:
    first_month = 3 * (quarter - 1) + 1
    return Period(date(year, first_month, 1), month_period(year, first_month + 2).end)


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def previous_month(today: date) -> Period:
    last_day = today.replace(day=1) - timedelta(days=1)
    return month_period(last_day.year, last_day.month)


def previous_quarter(today: date) -> Period:
    year, quarter = today.year, quarter_of(today) - 1
    if quarter == 0:
        year, quarter = year - 1, 4
    return quarter_period(year, quarter)


def preset_period(kind: PeriodKind, today: date) -> Period | None:
    """The period a preset names on TODAY; None for the kinds that need more input."""
    match kind:
        case PeriodKind.LAST_MONTH:
            return previous_month(today)
        case PeriodKind.LAST_QUARTER:
            return previous_quarter(today)
        case PeriodKind.THIS_YEAR:
            return Period(date(today.year, 1, 1), today)
        case PeriodKind.LAST_YEAR:
            return year_period(today.year - 1)
    return None


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def period_problems(start: date, end: date) -> dict[str, str]:
    """Field errors of a from–to period: in order, at most ten years."""
    if start > end:
        return {"period_end": "The end date is before the start date."}
    if end.year + MAX_YEARS > date.max.year or end >= add_years(start, MAX_YEARS):
        return {"period_end": f"A report covers at most {MAX_YEARS} years."}
    return {}


# --- text that never becomes a formula ---------------------------------------------------------

# What XML 1.0 cannot carry (openpyxl refuses it): control characters but tab, LF and CR.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def starts_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def neutralise(text: str) -> str:
    """For CSV (OWASP): a leading apostrophe makes a spreadsheet read the cell as text. The
    workbook keeps the text as is, typed as a string with Excel's quote prefix instead."""
    return "'" + text if starts_formula(text) else text


def printable(text: str) -> str:
    return ILLEGAL_XML.sub("", text)


# --- names -------------------------------------------------------------------------------------

SHEET_NAME_MAX = 31
RESERVED_SHEET_NAMES = frozenset({"summary", "lines", "history"})
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_names(client_names: list[str], taken: Iterable[str] = ()) -> list[str]:
    """One valid, unique Excel sheet name per client, in order: at most 31 characters, none of
    []:*?/\\, no leading or trailing apostrophe, never Summary, Lines nor one of TAKEN."""
    taken = set(RESERVED_SHEET_NAMES) | {name.lower() for name in taken}
    names = []
    for raw in client_names:
        base = SHEET_FORBIDDEN.sub(" ", printable(raw)).strip().strip("'").strip() or "Client"
        name, counter = base[:SHEET_NAME_MAX].strip(), 1
        while name.lower() in taken:
            counter += 1
            suffix = f" ({counter})"
            name = base[: SHEET_NAME_MAX - len(suffix)].strip() + suffix
        taken.add(name.lower())
        names.append(name)
    return names


def ascii_slug(text: str, max_length: int = 40) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()
    return slug[:max_length].strip("-") or "partner"


def report_filename(partner_name: str, period: Period, file_format: str, now: datetime) -> str:
    """Chosen by the server: ASCII, no path, no quote — safe in any Content-Disposition."""
    stamp = now.strftime("%Y%m%d-%H%M")
    return (
        f"billing-{ascii_slug(partner_name)}-{period.start.isoformat()}-to-"
        f"{period.end.isoformat()}-{stamp}.{file_format}"
    )


# --- money as exact text -----------------------------------------------------------------------


def cents_text(cents: int) -> str:
    """12345 → '123.45', -5 → '-0.05': exact, no float on the way."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{rest:02d}"


def rate_text(ten_thousandths: int) -> str:
    """2000 → '0.2000' (rates are stored with 4 decimals)."""
    sign = "-" if ten_thousandths < 0 else ""
    whole, rest = divmod(abs(int(ten_thousandths)), 10_000)
    return f"{sign}{whole}.{rest:04d}"


def payer_label(partner_paid: bool) -> str:
    return "Partner" if partner_paid else "Client"
