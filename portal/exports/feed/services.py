"""Publishing the billing feed and reading it. A version holds what the partner's managers see
(every client, as `portal export` and the monthly report do); only they may read it."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread
import asyncpg
import pyarrow as pa
from piccolo.querystring import QueryString
from pyarrow import csv as pa_csv
from pyarrow import parquet as pq

from portal.access import Action, require
from portal.core.current import Current
from portal.core.enums import IN_PROGRAMME
from portal.errors import NotFound, PortalError
from portal.exports import queries as line_queries
from portal.exports.billing_report import ReportRequest, partner_view, report_lines, report_scope
from portal.exports.feed import rules
from portal.piccolo_conf import DB
from portal.settings import Settings
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType

log = logging.getLogger(__name__)

FEEDS_FOLDER = "feeds"
COLUMNS = [name.strip() for name in line_queries.FEED_COLUMNS.split(",")]
MONEY = pa.decimal128(14, 2)
RATE = pa.decimal128(8, 4)
PARQUET_TYPES = {
    "issued_on": pa.date32(),
    "invoice_number": pa.string(),
    "invoice_id": pa.int64(),
    "client_id": pa.int64(),
    "client_name": pa.string(),
    "product": pa.string(),
    "family": pa.string(),
    "service_from": pa.date32(),
    "service_to": pa.date32(),
    "public_price": MONEY,
    "volume_rate": RATE,
    "partner_rate": RATE,
    "amount": MONEY,
    "discount": MONEY,
    "cashback": MONEY,
    "vat_rule": pa.string(),
    "vat_rate": RATE,
    "invoice_vat": MONEY,
    "currency": pa.string(),
    "paid_by": pa.string(),
    "in_full": pa.bool_(),
    "correction": pa.bool_(),
    "position": pa.int32(),
}


async def _run(sql: str, *args) -> list[dict]:
    return [dict(row) for row in await DB.run_querystring(QueryString(sql, *args))]


async def publish(settings: Settings, partner_id: int, start, *, now: datetime | None = None):
    """The next version of the partner's month START: files, manifest, row. None when another
    worker published it meanwhile."""
    now = now or datetime.now(UTC)
    end = rules.month_end(start)
    latest = await _run(
        "SELECT coalesce(max(version), 0) AS v, "
        "min(coalesce(lines_through, created_at)) FILTER (WHERE version = 1) AS first "
        "FROM billing_feed_version WHERE organisation = {} AND period_start = {}",
        partner_id,
        start,
    )
    version, first_published = latest[0]["v"] + 1, latest[0]["first"]
    request = ReportRequest(partner_id, start, end, format="csv")
    scope = await report_scope(await partner_view(partner_id), request)
    relative = Path(FEEDS_FOLDER) / str(partner_id) / rules.period_label(start) / f"v{version}"
    folder = Path(settings.data_dir) / relative
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / rules.file_name(start, version, "csv")
    rows, through = await line_queries.copy_feed_lines(
        str(csv_path), report_lines(request, scope.clients, scope.chosen), first_published
    )
    parquet_path = folder / rules.file_name(start, version, "parquet")
    corrections = await anyio.to_thread.run_sync(_write_parquet, csv_path, parquet_path)
    files = [_described(csv_path, "csv"), _described(parquet_path, "parquet")]
    manifest = rules.manifest(partner_id, start, version, rows, corrections, files, COLUMNS, now)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    try:
        async with DB.transaction():
            await _run(
                "INSERT INTO billing_feed_version (organisation, period_start, version, rows, "
                "corrections, reason, manifest, folder, csv_bytes, parquet_bytes, lines_through, "
                "created_at) VALUES ({}, {}, {}, {}, {}, {}, {}::jsonb, {}, {}, {}, {}, {})",
                partner_id,
                start,
                version,
                rows,
                corrections,
                rules.reason_for(version),
                json.dumps(manifest),
                str(relative),
                files[0].size,
                files[1].size,
                through,
                now,
            )
            await emit(
                EventType.REPORT_READY,
                partner_id,
                {
                    "kind": "billing_feed",
                    "period": rules.period_label(start),
                    "version": version,
                    "rows": rows,
                    "corrections": corrections,
                },
            )
    except asyncpg.UniqueViolationError:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return manifest


def _write_parquet(csv_path: Path, parquet_path: Path) -> int:
    """The CSV's lines as a typed Parquet file (exact decimals, days, booleans); how many are
    corrections."""
    table = pa_csv.read_csv(
        csv_path,
        convert_options=pa_csv.ConvertOptions(
            column_types=PARQUET_TYPES,
            true_values=["true"],
            false_values=["false"],
            strings_can_be_null=False,
        ),
    )
    pq.write_table(table, parquet_path, compression="zstd")
    return sum(1 for value in table.column("correction").to_pylist() if value)


def _described(path: Path, file_format: str) -> rules.FeedFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return rules.FeedFile(file_format, path.name, path.stat().st_size, digest.hexdigest())


# --- the periodic work -------------------------------------------------------------------------

DUE_SQL = """
SELECT o.id FROM organisation o
WHERE o.partner_status = ANY({})
  AND NOT EXISTS (SELECT 1 FROM billing_feed_version v
                  WHERE v.organisation = o.id AND v.period_start = {})
ORDER BY o.id
"""
REACHED_SQL = """
SELECT v.organisation, v.period_start FROM billing_feed_version v
WHERE v.version = (SELECT max(w.version) FROM billing_feed_version w
                   WHERE w.organisation = v.organisation AND w.period_start = v.period_start)
  AND EXISTS (SELECT 1 FROM invoice i LEFT JOIN invoice credited ON credited.id = i.credits
              WHERE i.partner = v.organisation
                AND coalesce(credited.issued_on, i.issued_on)
                    BETWEEN v.period_start AND (v.period_start + interval '1 month - 1 day')::date
                AND i.created_at > coalesce(v.lines_through, '-infinity'::timestamptz))
ORDER BY v.organisation, v.period_start
"""


async def publish_due(settings: Settings, now: datetime) -> int:
    """Hourly: version 1 of the month that just closed for every organisation in the
    programme (a missed hour is caught up), and a new version of any closed month that lines
    reached since its latest version. How many versions were published."""
    start = rules.last_closed_month(now.date())
    published = 0
    due = [(row["id"], start) for row in await _run(DUE_SQL, sorted(IN_PROGRAMME), start)]
    due += [(row["organisation"], row["period_start"]) for row in await _run(REACHED_SQL)]
    for partner_id, period_start in due:
        try:
            published += bool(await publish(settings, partner_id, period_start, now=now))
        except PortalError as refused:  # left the programme since: its feed stays as it was
            log.info("No billing feed for organisation %s: %r", partner_id, refused)
    if published:
        log.info("Published %d billing feed version(s).", published)
    return published


# --- reading ---------------------------------------------------------------------------------

VERSION_COLUMNS = (
    "id, period_start, version, rows, corrections, reason, manifest, folder, csv_bytes, "
    "parquet_bytes, created_at"
)


def _reader(current: Current) -> int:
    organisation = current.organisation_resource()
    require(current.actor, Action.VIEW_BILLING_FEED, organisation)
    return organisation.organisation_id


async def versions(current: Current, *, before=None, size: int = 50) -> tuple[list[dict], bool]:
    """The organisation's feed versions, newest month first, newest version first; BEFORE:
    the (period start, version) of the last one shown."""
    organisation_id = _reader(current)
    older, values = (
        ("AND (period_start, version) < ({}, {})", tuple(before)) if before else ("", ())
    )
    rows = await _run(
        f"SELECT {VERSION_COLUMNS} FROM billing_feed_version WHERE organisation = {{}} {older} "
        "ORDER BY period_start DESC, version DESC LIMIT {}",
        organisation_id,
        *values,
        size + 1,
    )
    for row in rows:
        if isinstance(row["manifest"], str):
            row["manifest"] = json.loads(row["manifest"])
    return rows[:size], len(rows) > size


async def version(current: Current, start, number: int) -> dict:
    organisation_id = _reader(current)
    rows = await _run(
        f"SELECT {VERSION_COLUMNS} FROM billing_feed_version "
        "WHERE organisation = {} AND period_start = {} AND version = {}",
        organisation_id,
        start,
        number,
    )
    if not rows:
        raise NotFound()
    row = rows[0]
    if isinstance(row["manifest"], str):
        row["manifest"] = json.loads(row["manifest"])
    return row


async def version_by_id(current: Current, version_id: int) -> dict:
    organisation_id = _reader(current)
    rows = await _run(
        f"SELECT {VERSION_COLUMNS} FROM billing_feed_version "
        "WHERE organisation = {} AND id = {}",
        organisation_id,
        version_id,
    )
    if not rows:
        raise NotFound()
    return rows[0]


def file_path(settings: Settings, row: dict, file_format: str) -> Path:
    return (
        Path(settings.data_dir)
        / row["folder"]
        / rules.file_name(row["period_start"], row["version"], file_format)
    )
