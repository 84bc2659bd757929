"""The Excel workbook, streamed: openpyxl's write-only mode (with lxml) writes each row to the
file as it comes, so memory does not grow with the number of lines.

Cells that need a format (money in the row's currency, rates, dates, quote-prefixed text) get
one style array built once per format and shared: setting `number_format` on every cell would
look the style up again a million times."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from portal.exports import columns as cols
from portal.exports.columns import LINE_COLUMNS, Column, Kind
from portal.exports.frames import summarise, totals_by_currency
from portal.exports.rules import sheet_names, starts_formula

Progress = Callable[[int, int], None]
CHUNK = 5_000  # rows converted to Python values at a time: memory stays flat
TITLE_ROWS = 4  # partner, period, generated at, a blank line; the header comes next
MAX_WIDTH = 60
DATE_FORMAT = "yyyy-mm-dd"
RATE_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"


def money_format(currency: str) -> str:
    return f'#,##0.00 "{currency}";-#,##0.00 "{currency}"'


class Styles:
    """One shared style array per format of this workbook."""

    def __init__(self, sheet):
        self.sheet = sheet
        self._cache: dict[tuple, object] = {}

    def cell(
        self,
        value,
        *,
        number_format: str | None = None,
        bold: bool = False,
        quote_prefix: bool = False,
        fill: bool = False,
    ) -> WriteOnlyCell:
        return self.styled(value, self._style(number_format, bold, quote_prefix, fill))

    def styled(self, value, style) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet)
        if style is None:  # no format asked for
            cell.value = value
            return cell
        if style.quotePrefix:  # typed as text, never a formula, even after an edit in Excel
            cell._value, cell.data_type = value, "s"
        else:
            cell.value = value
        cell._style = style
        return cell

    def style(self, number_format=None, *, quote_prefix=False):
        return self._style(number_format, False, quote_prefix, False)

    def _style(self, number_format, bold, quote_prefix, fill):
        key = (number_format, bold, quote_prefix, fill)
        if key not in self._cache:
            model = WriteOnlyCell(self.sheet)
            if number_format:
                model.number_format = number_format
            if bold:
                model.font = Font(bold=True)
            if fill:
                model.fill = PatternFill("solid", start_color="FFE8EEF4")
                model.alignment = Alignment(vertical="center", wrap_text=False)
            if quote_prefix:
                model.quotePrefix = True
            self._cache[key] = model._style
        return self._cache[key]


def write_xlsx(report, path, progress: Progress | None = None) -> None:
    lines = cols.labelled(report.lines)
    summary = summarise(lines)
    per_client = report.request.sheet_per_client and not lines.empty
    total = len(lines) * (2 if per_client else 1)
    counter = _Counter(total, progress)
    workbook = Workbook(write_only=True)
    try:
        _write_summary(workbook, report, summary)
        line_sheets = _parts("Lines", len(lines))
        for name, part in zip(line_sheets, _slices(lines), strict=True):
            _write_lines(workbook.create_sheet(name), report, part, counter)
        if per_client:
            _write_client_sheets(workbook, report, lines, summary, line_sheets, counter)
        workbook.save(path)
    except BaseException:
        _abandon(workbook)
        raise
    counter.finish()


def _abandon(workbook) -> None:
    """A writing stopped midway (its report job was cancelled, or the progress could not be
    saved): end the sheets' open streams now, else each fails noisily ("Exception ignored")
    when it is collected."""
    for sheet in workbook.worksheets:
        with contextlib.suppress(Exception):
            sheet.close()


def _write_client_sheets(workbook, report, lines, summary, taken, counter) -> None:
    """One sheet per client and currency, in the Summary's order; a client's lines are found
    through one group-by, not one scan of the frame per client."""
    positions = lines.groupby(["client_id", "currency"], observed=True, sort=False).indices
    keys, bases = [], []
    for client_id, client_name, currency in summary[
        ["client_id", "client_name", "currency"]
    ].itertuples(index=False):
        found = positions[(client_id, currency)]
        for part in range(_part_count(len(found))):
            keys.append((client_id, currency, part))
            bases.append(client_name if part == 0 else f"{client_name} ({part + 1})")
    for (client_id, currency, part), name in zip(
        keys, sheet_names(bases, taken=taken), strict=True
    ):
        first = part * SHEET_CAPACITY
        found = positions[(client_id, currency)][first : first + SHEET_CAPACITY]
        _write_lines(workbook.create_sheet(name), report, lines.iloc[found], counter)


# Excel's limit is 1,048,576 rows a sheet; beyond it the lines continue on "Lines (2)" …
MAX_SHEET_ROWS = 1_048_576
SHEET_CAPACITY = MAX_SHEET_ROWS - TITLE_ROWS - 1


def _part_count(rows: int) -> int:
    return max(1, -(-rows // SHEET_CAPACITY))


def _parts(base: str, rows: int) -> list[str]:
    return [base if n == 0 else f"{base} ({n + 1})" for n in range(_part_count(rows))]


def _slices(lines: pd.DataFrame) -> list[pd.DataFrame]:
    return [
        lines.iloc[n * SHEET_CAPACITY : (n + 1) * SHEET_CAPACITY]
        for n in range(_part_count(len(lines)))
    ]


class _Counter:
    def __init__(self, total: int, progress: Progress | None):
        self.total, self.done, self.progress = total, 0, progress

    def add(self, rows: int) -> None:
        self.done += rows
        if self.progress:
            self.progress(self.done, self.total)

    def finish(self) -> None:
        if self.progress:
            self.progress(self.total, self.total)


def _titles(sheet, styles: Styles, report, subject: str) -> None:
    # The frozen pane lives in the sheet's head: streamed sheets need it before any row.
    sheet.freeze_panes = f"A{TITLE_ROWS + 2}"
    sheet.append([styles.cell(f"{subject} — {report.partner_name}", bold=True)])
    sheet.append(["Period", styles.cell(report.period.label)])
    generated = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    sheet.append(["Generated at", generated])
    sheet.append([])


def _header(sheet, styles: Styles, titles: Iterable[str]) -> None:
    sheet.append([styles.cell(title, bold=True, fill=True) for title in titles])


def _finish_table(sheet, width: int, last_row: int) -> None:
    header_row = TITLE_ROWS + 1
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(width)}{max(last_row, header_row)}"


# --- Summary -------------------------------------------------------------------------------------

SUMMARY_COLUMNS = (
    ("Client", "client_name", Kind.TEXT),
    ("Currency", "currency", Kind.TEXT),
    ("Paid by", "paid_by", Kind.TEXT),
    ("Lines", "lines", Kind.COUNT),
    ("Public-price total", "public_price", Kind.MONEY),
    ("Invoiced total (excl. VAT)", "amount", Kind.MONEY),
    ("Partner discount", "discount", Kind.MONEY),
    ("Cashback", "cashback", Kind.MONEY),
    ("VAT", "vat", Kind.MONEY),
    ("Invoiced total (incl. VAT)", "total", Kind.MONEY),
)


def _write_summary(workbook: Workbook, report, summary: pd.DataFrame) -> None:
    sheet = workbook.create_sheet("Summary")
    styles = Styles(sheet)
    widths = [len(title) + 2 for title, _, _ in SUMMARY_COLUMNS]
    rows = [_summary_values(row) for row in summary.to_dict("records")]
    totals = [
        {**row, "client_name": f"Total {row['currency']}", "paid_by": ""}
        for row in totals_by_currency(summary).to_dict("records")
    ]
    for values in rows + [_summary_values(row) for row in totals]:
        for index, value in enumerate(values):
            widths[index] = max(widths[index], _display_width(value, SUMMARY_COLUMNS[index][2]))
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH)
    _titles(sheet, styles, report, "Billing report")
    _header(sheet, styles, [title for title, _, _ in SUMMARY_COLUMNS])
    for values, row in zip(rows, summary.to_dict("records"), strict=True):
        sheet.append(_summary_cells(styles, values, row["currency"], bold=False))
    if not rows:
        sheet.append(["No billing lines for this period and selection."])
    for row in totals:
        sheet.append(_summary_cells(styles, _summary_values(row), row["currency"], bold=True))
    _finish_table(sheet, len(SUMMARY_COLUMNS), TITLE_ROWS + 1 + len(rows))


def _summary_values(row: dict) -> list:
    values = []
    for _, source, kind in SUMMARY_COLUMNS:
        value = row[source]
        if kind is Kind.MONEY:
            value = int(value) / 100
        elif kind is Kind.COUNT:
            value = int(value)
        else:
            value = str(value)
        values.append(value)
    return values


def _summary_cells(styles: Styles, values: list, currency: str, *, bold: bool) -> list:
    cells = []
    for value, (_, _, kind) in zip(values, SUMMARY_COLUMNS, strict=True):
        if kind is Kind.MONEY:
            cells.append(styles.cell(value, number_format=money_format(currency), bold=bold))
        elif kind is Kind.COUNT:
            cells.append(styles.cell(value, number_format=COUNT_FORMAT, bold=bold))
        elif isinstance(value, str) and starts_formula(value):
            cells.append(styles.cell(value, quote_prefix=True, bold=bold))
        else:
            cells.append(styles.cell(value, bold=bold) if bold else value)
    return cells


def _display_width(value, kind: Kind) -> int:
    if value is None:
        return 0
    if kind is Kind.MONEY:
        return len(f"{value:,.2f}") + 6  # the currency code
    if kind is Kind.COUNT:
        return len(f"{value:,}") + 1
    return len(str(value)) + 2


# --- Lines (and each client's sheet) -------------------------------------------------------------


def _write_lines(sheet, report, lines: pd.DataFrame, counter: _Counter) -> None:
    styles = Styles(sheet)
    _place_ready_cells(sheet)
    _set_widths(sheet, lines)
    _titles(sheet, styles, report, "Billing lines")
    _header(sheet, styles, [column.title for column in LINE_COLUMNS])
    if lines.empty:
        sheet.append(["No billing lines for this period and selection."])
    writer = _LineCells(styles, lines)
    for start in range(0, len(lines), CHUNK):
        chunk = lines.iloc[start : start + CHUNK]
        for row in writer.rows(chunk):
            sheet.append(row)
        counter.add(len(chunk))
    _finish_table(sheet, len(LINE_COLUMNS), TITLE_ROWS + 1 + len(lines))


def _place_ready_cells(sheet) -> None:
    """openpyxl's write-only sheet turns each appended value into a cell, and accepts a ready
    cell only through a conversion that fails (a ValueError raised, formatted and caught, for
    every cell): with a format on most cells of a line that doubled the writing. The Lines
    sheets append ready cells, so each is put in place directly. This replaces a private
    hook of openpyxl 3.1 (pinned in pyproject); the round-trip tests read every cell back."""

    def values_to_row(values, row_index):
        for column_index, value in enumerate(values, 1):
            if value is None:
                continue
            cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value)
            cell.column, cell.row = column_index, row_index
            yield cell

    sheet._values_to_row = values_to_row


class _LineCells:
    """One cell per column, reused row after row: the write-only sheet writes a row's cells
    as it receives them, so a cell is free again for the next row. Types and formats are known
    per column, so values are set as they are, without openpyxl guessing their type."""

    def __init__(self, styles: Styles, lines: pd.DataFrame):
        self.styles = styles
        self.cells = [WriteOnlyCell(styles.sheet) for _ in LINE_COLUMNS]
        self.quoted = styles.style(quote_prefix=True)
        self.risky = {}
        for cell, column in zip(self.cells, LINE_COLUMNS, strict=True):
            cell.data_type = "s" if column.kind is Kind.TEXT else "n"
            if column.kind is Kind.DATE:
                cell._style = styles.style(DATE_FORMAT)
            elif column.kind is Kind.RATE:
                cell._style = styles.style(RATE_FORMAT)
            elif column.kind is Kind.TEXT and _categorical(lines[column.source]):
                self.risky[column.source] = _formula_like(lines[column.source])

    def rows(self, chunk: pd.DataFrame) -> Iterator[list]:
        shown = chunk["shown"].tolist()
        currencies = cols.texts(chunk["currency"])
        money = {
            currency: self.styles.style(money_format(currency)) for currency in set(currencies)
        }
        columns = []
        for column in LINE_COLUMNS:
            values = _values(chunk, column)
            columns.append(
                cols.blank_where_hidden(values, shown) if column.client_business else values
            )
        money_cells = [
            cell
            for cell, column in zip(self.cells, LINE_COLUMNS, strict=True)
            if column.kind is Kind.MONEY
        ]
        quoting = [
            (cell, values, risky)
            for cell, values, column in zip(self.cells, columns, LINE_COLUMNS, strict=True)
            if column.kind is Kind.TEXT and (risky := self._risky(chunk, column))
        ]
        cells, quoted = self.cells, self.quoted
        for index, currency in enumerate(currencies):
            style = money[currency]
            for cell in money_cells:
                cell._style = style
            for cell, values, risky in quoting:
                cell._style = quoted if values[index] in risky else None
            row = []
            for cell, values in zip(cells, columns, strict=True):
                value = values[index]
                if value is None:
                    row.append(None)
                else:
                    cell._value = value
                    row.append(cell)
            yield row

    def _risky(self, chunk: pd.DataFrame, column: Column) -> frozenset[str]:
        """Known once for a categorical column; for another (invoice numbers, nearly one per
        line), found chunk by chunk: a set of a million texts is not kept."""
        if column.source in self.risky:
            return self.risky[column.source]
        return _formula_like(chunk[column.source])


def _categorical(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.CategoricalDtype)


def _formula_like(column: pd.Series) -> frozenset[str]:
    """The distinct texts of a column that a spreadsheet would read as a formula (or that
    openpyxl would type as an error, such as '#N/A')."""
    values = column.cat.categories if _categorical(column) else column
    return frozenset(
        value
        for value in pd.unique(np.asarray(values, dtype=object))
        if isinstance(value, str) and (starts_formula(value) or value in ERROR_CODES)
    )


def _values(chunk: pd.DataFrame, column: Column) -> list:
    series = chunk[column.source]
    if column.kind is Kind.DATE:
        return cols.excel_serials(series)
    if column.kind in (Kind.MONEY, Kind.RATE):
        return cols.as_numbers(series, column.kind)
    return cols.texts(series)


def _set_widths(sheet, lines: pd.DataFrame) -> None:
    """Sized to content: the longest distinct text, the largest amount, the header."""
    for index, column in enumerate(LINE_COLUMNS, 1):
        width = len(column.title) + 2
        if not lines.empty:
            series = lines[column.source]
            if column.kind is Kind.TEXT:
                texts = series.cat.categories if _categorical(series) else series
                longest = max(map(len, map(str, texts)), default=0)
                width = max(width, longest + 2)
            elif column.kind is Kind.MONEY:
                largest = int(np.abs(series.to_numpy(np.int64)).max()) / 100
                width = max(width, _display_width(largest, Kind.MONEY))
            elif column.kind is Kind.DATE:
                width = max(width, 12)
            else:
                width = max(width, 9)
        sheet.column_dimensions[get_column_letter(index)].width = min(width, MAX_WIDTH)


def generated_label(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
