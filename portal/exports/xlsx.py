"""The Excel workbook, streamed from the report's lines, chunk by chunk: memory does not grow
with the number of lines, and the file grows from its first bytes on (a download can start at
once).

openpyxl builds the workbook: its Summary sheet, the styles shared by every cell, the parts of
the package. The sheets of lines go straight into the file's zip archive as they are written:
their rows are typed XML made a column at a time from the chunk's arrays (openpyxl writes a
cell through a dozen Python calls, which made it most of a long export's time), with the
workbook's shared styles; openpyxl's sheet writer gives them their top and tail (widths, frozen
header, filter). The archive is written without going back in the file (each entry's sizes
follow its data), so the file can be read while it is written."""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.packaging.relationship import RelationshipList
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import tostring

from portal.exports import columns as cols
from portal.exports.columns import LINE_COLUMNS, Kind
from portal.exports.frames import Summary, totals_by_currency
from portal.exports.rules import sheet_names, starts_formula

Progress = Callable[[int, int], None]
TITLE_ROWS = 4  # partner, period, generated at, a blank line; the header comes next
MAX_WIDTH = 60
DATE_FORMAT = "yyyy-mm-dd"
RATE_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"
NO_LINES = "No billing lines for this period and selection."
# Excel's limit is 1,048,576 rows a sheet; beyond it the lines continue on "Lines (2)" …
MAX_SHEET_ROWS = 1_048_576
SHEET_CAPACITY = MAX_SHEET_ROWS - TITLE_ROWS - 1
ROWS_AT_ONCE = 5_000  # rows made into XML at a time: memory stays flat


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

    def style(self, number_format=None, *, bold=False, quote_prefix=False, fill=False):
        return self._style(number_format, bold, quote_prefix, fill)

    def style_id(self, number_format=None, *, bold=False, quote_prefix=False, fill=False) -> str:
        """The number a cell's XML gives for this style (its place in the workbook's list)."""
        style = self._style(number_format, bold, quote_prefix, fill)
        return str(self.sheet.parent._cell_styles.add(style))

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
    """The workbook into the file at PATH, written from start to end (see the module); a
    writing stopped midway (its job cancelled, its progress not saved) leaves no file."""
    try:
        with open(path, "wb") as handle:
            write_workbook(report, _Forward(handle), progress)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise


def write_workbook(report, stream, progress: Progress | None = None) -> None:
    """The workbook into STREAM, which is only written forward: the lines sheet by sheet as
    they come (a sheet of lines, then the Summary from their sums, then each client's sheets
    from the lines read again client after client), then the package's other parts."""
    per_client = report.request.sheet_per_client and report.line_count > 0
    counter = _Counter(report.line_count * (2 if per_client else 1), progress)
    archive = zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    workbook = Workbook(write_only=True)
    summary_sheet = workbook.create_sheet("Summary")  # first in the workbook, written later
    summary = Summary()
    sheets = [_LineSheets(workbook, archive, report, counter)]
    try:
        lines = sheets[0]
        lines.start(_lines_sheet_name(0))
        stream.flush()  # the file's first bytes, before the first line is read
        for chunk in report.chunks():
            chunk = cols.labelled(chunk)
            summary.add(chunk)
            lines.write(chunk, _lines_sheet_name)
        lines.finish()
        totals = summary.frame()
        _write_summary(summary_sheet, report, totals)
        if per_client:
            names = _client_sheet_names(totals, taken=lines.names)
            sheets.append(_LineSheets(workbook, archive, report, counter))
            for chunk in report.client_chunks():
                sheets[1].write_by_client(cols.labelled(chunk), names)
            sheets[1].finish()
        workbook.properties.modified = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        streamed = set().union(*(part.streamed for part in sheets))
        _PackageWriter(workbook, archive, streamed).save()
    except BaseException:
        _abandon(workbook, archive, sheets)
        raise
    counter.finish()


def _abandon(workbook, archive, sheets: list) -> None:
    """A writing stopped midway: end what is open now (the sheet being streamed, openpyxl's
    sheets, the archive), else each fails noisily ("Exception ignored") when collected."""
    streamed = set()
    for part in sheets:
        streamed |= part.streamed
        with contextlib.suppress(Exception):
            part.finish()
    for sheet in workbook.worksheets:
        with contextlib.suppress(Exception):
            if id(sheet) not in streamed and not sheet.closed:
                sheet.close()
    with contextlib.suppress(Exception):
        archive.close()


def _lines_sheet_name(part: int) -> str:
    return "Lines" if part == 0 else f"Lines ({part + 1})"


def _titles(sheet, styles: Styles, report, subject: str) -> None:
    # The frozen pane lives in the sheet's head: streamed sheets need it before any row.
    sheet.freeze_panes = f"A{TITLE_ROWS + 2}"
    sheet.append([styles.cell(f"{subject} — {report.partner_name}", bold=True)])
    sheet.append(["Period", styles.cell(report.period.label)])
    sheet.append(["Generated at", generated_label(report.generated_at)])
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


def _write_summary(sheet, report, summary: pd.DataFrame) -> None:
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
        sheet.append([NO_LINES])
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


class _Forward:
    """A file written from start to end only: zipfile then follows each entry's data with its
    sizes instead of going back to its header, and what is written can be read at once."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data) -> int:
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


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


class _LineSheets:
    """Sheets of lines, each streamed into the archive: a sheet full at SHEET_CAPACITY lines
    goes on in the next one."""

    def __init__(self, workbook, archive, report, counter: _Counter):
        self.workbook, self.archive, self.report, self.counter = workbook, archive, report, counter
        self.widths = line_widths(report.measure)
        self.sheet: _StreamedSheet | None = None
        self.key = None
        self.names: list[str] = []
        self.streamed: set[int] = set()

    def write(self, chunk: pd.DataFrame, name_of: Callable[[int], str]) -> None:
        """CHUNK's lines into the sheet(s) named NAME_OF(part) (part 0, 1, …)."""
        start = 0
        while start < len(chunk):
            if self.sheet is None or self.sheet.full:
                part = 0 if self.sheet is None else self.sheet.part + 1
                self._open(name_of(part), part)
            start += self.sheet.append(chunk.iloc[start : start + self.sheet.room], self.counter)

    def write_by_client(self, chunk: pd.DataFrame, names: dict) -> None:
        """CHUNK's lines, each client and currency (consecutive) into its own sheet(s)."""
        keys = list(zip(chunk["client_id"].tolist(), cols.texts(chunk["currency"]), strict=True))
        starts = [0] + [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]] + [len(keys)]
        for begin, end in zip(starts, starts[1:], strict=False):
            if keys[begin] != self.key:
                self._close()
                self.key = keys[begin]
            self.write(chunk.iloc[begin:end], lambda part, key=self.key: names[(*key, part)])

    def start(self, name: str) -> None:
        """The first sheet opened before any line (it says so if none comes)."""
        self._open(name, 0)

    def finish(self) -> None:
        self._close()

    def _open(self, name: str, part: int) -> None:
        self._close()
        sheet = self.workbook.create_sheet(name)
        self.names.append(name)
        self.streamed.add(id(sheet))
        self.sheet = _StreamedSheet(sheet, self.archive, self.report, self.widths, part)

    def _close(self) -> None:
        if self.sheet is not None:
            self.sheet.close()
            self.sheet = None


class _StreamedSheet:
    """One sheet of lines, written into its archive entry as rows come."""

    def __init__(self, sheet, archive, report, widths: list[float], part: int):
        self.sheet, self.part, self.rows = sheet, part, 0
        sheet._id = len(sheet.parent._sheets)  # its place: the path openpyxl will list
        styles = Styles(sheet)
        for index, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = f"A{TITLE_ROWS + 2}"
        self.entry = archive.open(sheet.path[1:], "w")
        self.writer = _SheetWriter(sheet, self.entry)
        self.writer.write_top()
        self.entry.write(b"<sheetData>")
        self.cells = _RowCells(styles)
        self.entry.write(_title_rows(styles, report, "Billing lines").encode())

    @property
    def room(self) -> int:
        return SHEET_CAPACITY - self.rows

    @property
    def full(self) -> bool:
        return self.rows >= SHEET_CAPACITY

    def append(self, chunk: pd.DataFrame, counter: _Counter) -> int:
        for start in range(0, len(chunk), ROWS_AT_ONCE):
            part = chunk.iloc[start : start + ROWS_AT_ONCE]
            self.entry.write(self.cells.xml(part, TITLE_ROWS + 2 + self.rows).encode())
            self.rows += len(part)
            counter.add(len(part))
        return len(chunk)

    def close(self) -> None:
        last = TITLE_ROWS + 1 + self.rows
        if not self.rows:
            self.entry.write(_text_row(TITLE_ROWS + 2, [NO_LINES]).encode())
        self.entry.write(b"</sheetData>")
        header = TITLE_ROWS + 1
        self.sheet.auto_filter.ref = (
            f"A{header}:{get_column_letter(len(LINE_COLUMNS))}{max(last, header)}"
        )
        self.writer.write_tail()
        self.writer.close()
        self.entry.close()


class _SheetWriter(WorksheetWriter):
    """openpyxl's sheet writer, writing into an archive entry (not a temporary file): the
    sheet's top (widths, frozen header) and tail (filter, margins) as openpyxl makes them."""

    def get_stream(self):
        self.out.write(f'<worksheet xmlns="{SHEET_MAIN_NS}">'.encode())
        try:
            while True:
                element = yield
                if element is not None and element is not True:
                    self.out.write(tostring(element))
        except GeneratorExit:
            self.out.write(b"</worksheet>")


class _PackageWriter(ExcelWriter):
    """openpyxl's writer of the workbook's parts, for sheets already in the archive: it only
    lists them."""

    def __init__(self, workbook, archive, streamed: set[int]):
        super().__init__(workbook, archive)
        self.streamed = streamed

    def write_worksheet(self, ws):
        if id(ws) not in self.streamed:
            return super().write_worksheet(ws)
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts, ws._drawing.images = ws._charts, ws._images
        ws._rels = RelationshipList()
        self.manifest.append(ws)
        return None


# --- the rows' XML --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _text_cell(reference: str, text: str, style: str | None) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{reference}"{styled} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _text_row(row: int, texts: list, style: str | None = None) -> str:
    cells = "".join(
        _text_cell(f"{get_column_letter(column)}{row}", text, style)
        for column, text in enumerate(texts, 1)
        if text
    )
    return f'<row r="{row}">{cells}</row>'


def _title_rows(styles: Styles, report, subject: str) -> str:
    bold = styles.style_id(bold=True)
    return "".join(
        [
            f'<row r="1">{_text_cell("A1", f"{subject} — {report.partner_name}", bold)}</row>',
            _text_row(2, ["Period", report.period.label]),
            _text_row(3, ["Generated at", generated_label(report.generated_at)]),
            '<row r="4"/>',
            _text_row(
                5,
                [column.title for column in LINE_COLUMNS],
                styles.style_id(bold=True, fill=True),
            ),
        ]
    )


class _RowCells:
    """The XML of a chunk's rows, a column at a time: each value is typed and formatted as
    its column says (dates as day numbers, money and rates as exact numbers), with the
    workbook's shared style for its format (money in the row's currency)."""

    def __init__(self, styles: Styles):
        self.styles = styles
        self.letters = [get_column_letter(index) for index in range(1, len(LINE_COLUMNS) + 1)]
        self.date = styles.style_id(DATE_FORMAT)
        self.rate = styles.style_id(RATE_FORMAT)
        self.quoted = styles.style_id(quote_prefix=True)
        self.money: dict[str, str] = {}

    def xml(self, chunk: pd.DataFrame, first_row: int) -> str:
        numbers = [str(row) for row in range(first_row, first_row + len(chunk))]
        shown = chunk["shown"].to_numpy()
        columns = [
            self._cells(chunk, column, letter, numbers, shown)
            for column, letter in zip(LINE_COLUMNS, self.letters, strict=True)
        ]
        return "".join(
            f'<row r="{number}">{"".join(cells)}</row>'
            for number, cells in zip(numbers, zip(*columns, strict=True), strict=True)
        )

    def _cells(self, chunk, column, letter: str, numbers: list[str], shown) -> list[str]:
        series = chunk[column.source]
        hidden = ~shown if column.client_business else None
        if column.kind is Kind.TEXT:
            return self._texts(series, letter, numbers, hidden)
        if column.kind is Kind.DATE:
            values = list(map(str, cols.excel_serials(series)))
            styles = [self.date] * len(values)
        else:
            scale = 100 if column.kind is Kind.MONEY else 10_000
            values = list(map(str, (series.to_numpy(np.int64) / scale).tolist()))
            if column.kind is Kind.MONEY:
                styles = self._money_styles(chunk["currency"])
            else:
                styles = [self.rate] * len(values)
        cells = [
            f'<c r="{letter}{number}" s="{style}" t="n"><v>{value}</v></c>'
            for number, style, value in zip(numbers, styles, values, strict=True)
        ]
        return _blank(cells, hidden)

    def _money_styles(self, currencies: pd.Series) -> list[str]:
        codes = currencies.astype("category")
        ids = []
        for currency in codes.cat.categories:
            if currency not in self.money:
                self.money[currency] = self.styles.style_id(money_format(str(currency)))
            ids.append(self.money[currency])
        return np.asarray(ids, dtype=object)[codes.cat.codes.to_numpy()].tolist()

    def _texts(self, series: pd.Series, letter: str, numbers: list[str], hidden) -> list[str]:
        """Once per distinct text where the column is categorical: the cell's XML without its
        reference, then the reference put in front."""
        if isinstance(series.dtype, pd.CategoricalDtype):
            bodies = np.asarray(
                [self._text_body(str(text)) for text in series.cat.categories] + [""],
                dtype=object,
            )[series.cat.codes.to_numpy()].tolist()  # code -1 (missing): the last, empty
        else:
            bodies = [self._text_body(str(text)) for text in series.tolist()]
        cells = [
            f'<c r="{letter}{number}"{body}' if body else ""
            for number, body in zip(numbers, bodies, strict=True)
        ]
        return _blank(cells, hidden)

    def _text_body(self, text: str) -> str:
        """A text cell's XML after its reference; empty for no text. Text a spreadsheet would
        read as a formula (or as an error value) is typed as text with the quote prefix."""
        if not text:
            return ""
        style = f' s="{self.quoted}"' if starts_formula(text) or text in ERROR_CODES else ""
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _blank(cells: list[str], hidden) -> list[str]:
    """No cell where the line shows only its cashback (the client's business)."""
    if hidden is None or not hidden.any():
        return cells
    return ["" if gone else cell for cell, gone in zip(cells, hidden.tolist(), strict=True)]


def line_widths(measure: dict) -> list[float]:
    """Each column of the lines sized to its content (MEASURE_SQL): the longest text, the
    largest amount, the header; the same for every sheet of lines."""
    longest = {
        "invoice_number": measure["invoice_number"],
        "client_name": measure["client_name"],
        "product": measure["product"],
        "family": _longest(cols.family_labels(measure["families"])),
        "vat_rule": _longest(cols.vat_rule_labels(measure["vat_rules"])),
        "currency": _longest(measure["currencies"]),
        "payer": _longest(cols.payer_labels(measure["payers"])),
    }
    widths = []
    for column in LINE_COLUMNS:
        width = len(column.title) + 2
        if measure["lines"]:
            if column.kind is Kind.TEXT:
                width = max(width, longest[column.source] + 2)
            elif column.kind is Kind.MONEY:
                largest = int(measure.get(column.source, 0) or 0) / 100
                width = max(width, _display_width(largest, Kind.MONEY))
            elif column.kind is Kind.DATE:
                width = max(width, 12)
            else:
                width = max(width, 9)
        widths.append(min(width, MAX_WIDTH))
    return widths


def _longest(texts: Iterable[str]) -> int:
    return max(map(len, texts), default=0)


def _client_sheet_names(summary: pd.DataFrame, taken: list[str]) -> dict:
    """Each client's sheet(s), one per currency, named after the client, in the Summary's
    order: (client, currency, part) -> name."""
    keys, bases = [], []
    for client_id, client_name, currency, lines in summary[
        ["client_id", "client_name", "currency", "lines"]
    ].itertuples(index=False):
        for part in range(max(1, -(-int(lines) // SHEET_CAPACITY))):
            keys.append((client_id, str(currency), part))
            bases.append(client_name if part == 0 else f"{client_name} ({part + 1})")
    return dict(zip(keys, sheet_names(bases, taken=taken), strict=True))


def generated_label(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
