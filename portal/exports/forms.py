"""The report form: a period (preset, month, quarter, year or from–to), all clients or a
selection, a format. Field errors are gathered, then raised together (422)."""

from __future__ import annotations

import re
from datetime import date

from portal.exports import rules
from portal.exports.billing_report import ReportRequest
from portal.exports.rules import Period, PeriodKind
from portal.forms import Form

MAX_SELECTED = 5_000
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_report_form(data, *, partner_id: int, requested_by: int, today: date) -> ReportRequest:
    """DATA: the submitted form (a multi-dict: `client_ids` may repeat)."""
    form = Form(data)
    kind = form.choice("period", tuple(PeriodKind), label="a period")
    period = _period(form, kind, today) if kind in tuple(PeriodKind) else None
    file_format = form.choice("format", rules.FORMATS, label="a format")
    client_ids = _client_ids(form)
    if period is not None:
        for name, problem in rules.period_problems(period.start, period.end).items():
            form.add(name, problem)
    form.check()
    return ReportRequest(
        partner_id=partner_id,
        period_start=period.start,
        period_end=period.end,
        client_ids=client_ids,
        format=file_format,
        sheet_per_client=form.checkbox("sheet_per_client") and file_format == "xlsx",
        requested_by=requested_by,
    )


def _period(form: Form, kind: str, today: date) -> Period | None:
    kind = PeriodKind(kind)
    preset = rules.preset_period(kind, today)
    if preset is not None:
        return preset
    if kind is PeriodKind.MONTH:
        match = MONTH.match(form.text("month", required=True, label="The month"))
        if not match or not 1 <= int(match.group(2)) <= 12:
            form.add("month", "Choose a month, such as 2026-07.")
            return None
        return rules.month_period(int(match.group(1)), int(match.group(2)))
    if kind is PeriodKind.QUARTER:
        match = QUARTER.match(form.text("quarter", required=True, label="The quarter"))
        if not match:
            form.add("quarter", "Choose a quarter, such as 2026-Q3.")
            return None
        return rules.quarter_period(int(match.group(1)), int(match.group(2)))
    if kind is PeriodKind.YEAR:
        year = form.integer("year")
        if year is None or not 1900 <= year <= 9989:
            form.add("year", "Enter a year, such as 2026.")
            return None
        return rules.year_period(year)
    start, end = form.day("period_start"), form.day("period_end")
    if start is None:
        form.add("period_start", "Enter the first day, as YYYY-MM-DD.")
    if end is None:
        form.add("period_end", "Enter the last day, as YYYY-MM-DD.")
    return Period(start, end) if start and end else None


def _client_ids(form: Form) -> tuple[int, ...]:
    if form.text("clients") != "selected":
        return ()
    raw = form.values("client_ids")
    if "client_ids" in form.errors:
        return ()
    if not raw:
        form.add("client_ids", "Choose at least one client, or all clients.")
        return ()
    if len(raw) > MAX_SELECTED:
        form.add("client_ids", f"Choose at most {MAX_SELECTED:,} clients, or all clients.")
        return ()
    if not all(isinstance(v, str) and v.isascii() and v.isdigit() and len(v) < 12 for v in raw):
        form.add("client_ids", "Choose clients from the list.")
        return ()
    return tuple(dict.fromkeys(int(value) for value in raw))


def quarter_choices(today: date, count: int = 12) -> list[str]:
    """The current quarter and the ones before it, newest first."""
    year, quarter = today.year, rules.quarter_of(today)
    choices = []
    for _ in range(count):
        choices.append(f"{year}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return choices


FORMAT_LABELS = {"xlsx": "Excel workbook (.xlsx)", "csv": "CSV (.csv)"}


def monthly_delivery_from(form: Form) -> str | None:
    """The format of last month's report mailed on the 1st; None: no monthly mail."""
    if not form.checkbox("monthly"):
        return None
    return form.choice("file_format", FORMAT_LABELS, label="a format")
