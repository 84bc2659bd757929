"""The CSV of the lines: UTF-8 with a BOM (so that Excel reads the accents), RFC 4180 (comma,
CRLF, quotes doubled by the csv module). Amounts are exact decimal text from the cents; text
that a spreadsheet would read as a formula is neutralised."""

from __future__ import annotations

import csv
from collections.abc import Callable

import pandas as pd

from portal.exports import columns as cols
from portal.exports.columns import LINE_COLUMNS, Column, Kind
from portal.exports.rules import cents_text, neutralise, rate_text

Progress = Callable[[int, int], None]
CHUNK = 10_000


def write_csv(report, path, progress: Progress | None = None) -> None:
    """The lines chunk by chunk, as they come from the report's file: memory stays flat."""
    total, done = report.line_count, 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([column.title for column in LINE_COLUMNS])
        handle.flush()  # the first bytes leave at once when the file is streamed
        for lines in report.chunks():
            lines = cols.labelled(lines)
            for start in range(0, len(lines), CHUNK):
                chunk = lines.iloc[start : start + CHUNK]
                writer.writerows(
                    zip(*(_texts(chunk, column) for column in LINE_COLUMNS), strict=True)
                )
                done += len(chunk)
                if progress:
                    progress(min(done, total), total)
    if progress:
        progress(total, total)


def _texts(chunk: pd.DataFrame, column: Column) -> list[str]:
    series = chunk[column.source]
    if column.kind is Kind.DATE:
        values = cols.iso_dates(series)
    elif column.kind is Kind.MONEY:
        values = [cents_text(cents) for cents in series.tolist()]
    elif column.kind is Kind.RATE:
        values = [rate_text(rate) for rate in series.tolist()]
    else:
        values = _neutralised(series)
    if column.client_business:
        shown = chunk["shown"].tolist()
        values = [value if visible else "" for value, visible in zip(values, shown, strict=True)]
    return values


def _neutralised(series: pd.Series) -> list[str]:
    """Once per distinct value where the column is categorical."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        mapping = {value: neutralise(str(value)) for value in series.cat.categories}
        return [str(value) for value in series.map(mapping).tolist()]
    return [neutralise(str(value)) for value in series.tolist()]
