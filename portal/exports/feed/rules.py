"""Pure rules of the billing feed: which months are closed, how versions are named and why
they exist, and the manifest that describes a version's files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

FORMATS = ("csv", "parquet")
PERIOD = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
MONTH_CLOSED = "The month closed."
REACHED = "Lines reached the month after version {previous} was published."


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(start: date) -> date:
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return following - timedelta(days=1)


def last_closed_month(today: date) -> date:
    """The start of the month before TODAY's: a month closes when the next one begins."""
    return month_start(month_start(today) - timedelta(days=1))


def period_label(start: date) -> str:
    return f"{start.year:04d}-{start.month:02d}"


def period_of(label: str, today: date) -> date | None:
    """The month a label (YYYY-MM) names, if it is closed; None otherwise."""
    found = PERIOD.match(label)
    if not found:
        return None
    start = date(int(found[1]), int(found[2]), 1)
    return start if start <= last_closed_month(today) else None


def reason_for(version: int) -> str:
    return MONTH_CLOSED if version == 1 else REACHED.format(previous=version - 1)


def file_name(start: date, version: int, file_format: str) -> str:
    return f"billing-{period_label(start)}-v{version}.{file_format}"


@dataclass(frozen=True)
class FeedFile:
    file_format: str
    name: str
    size: int
    sha256: str


def manifest(
    partner_id: int,
    start: date,
    version: int,
    rows: int,
    corrections: int,
    files: list[FeedFile],
    columns: list[str],
    created_at: datetime,
) -> dict:
    """What a script reads first: the period, the version (and why it exists), the row count
    and each file's size and SHA-256 checksum."""
    return {
        "partner_id": partner_id,
        "period": period_label(start),
        "period_start": start.isoformat(),
        "period_end": month_end(start).isoformat(),
        "version": version,
        "previous_version": version - 1 if version > 1 else None,
        "reason": reason_for(version),
        "rows": rows,
        "corrections": corrections,
        "created_at": created_at.isoformat(),
        "columns": columns,
        "files": [
            {"format": f.file_format, "name": f.name, "bytes": f.size, "sha256": f.sha256}
            for f in files
        ],
    }
