"""pandas shaping of a report: the VAT of each line and the Summary's group-bys.

Amounts stay integer cents in int64 columns from the database to the file: exact (no float
ever adds them), vectorised, and 8 bytes a value where a Decimal object column would cost
~100 bytes and a Python call per value at a million lines. Writers turn cents into numbers
only when writing a cell."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from portal.exports.rules import printable

RATE_SCALE = 10_000  # rates come with 4 decimals
READ_ROWS = 50_000  # CSV rows parsed at a time
VAT_ROWS = 50_000  # lines whose VAT is shared out at a time


def frame_from_csv(
    path: str,
    rows: int,
    dtypes: dict[str, str],
    dates: list[str],
    chunk_rows: int = READ_ROWS,
    **options,
) -> pd.DataFrame:
    """A CSV of ROWS rows as a DataFrame, parsed CHUNK_ROWS at a time into columns allocated
    once. Parsed whole, pandas holds the file's chunks and their concatenation at once (at a
    million lines, twice the frame); this way the peak is the frame plus one chunk, however
    many lines. Text columns become categories as they are read."""
    columns = {
        name: _TextColumn(rows) if dtype == "category" else np.empty(rows, dtype)
        for name, dtype in dtypes.items()
    } | {name: np.empty(rows, "datetime64[us]") for name in dates}
    # texts read as texts: a chunk's categories alone would be inferred ('007' read as 7)
    read_as = {name: "object" if dtype == "category" else dtype for name, dtype in dtypes.items()}
    done = 0
    chunks = pd.read_csv(path, dtype=read_as, parse_dates=dates, chunksize=chunk_rows, **options)
    for chunk in chunks:
        end = done + len(chunk)
        if end > rows:
            raise ValueError(f"{path} has more than the {rows} rows announced")
        for name, column in columns.items():
            values = chunk[name]
            if isinstance(column, _TextColumn):
                column.put(done, values)
            else:
                column[done:end] = values.to_numpy(column.dtype)
        done = end
    if done != rows:
        raise ValueError(f"{path} has {done} rows, not the {rows} announced")
    header = pd.read_csv(path, nrows=0).columns
    # copy=False: the arrays become the frame's columns as they are (no copy, no consolidation)
    return pd.DataFrame({name: _finished(columns[name]) for name in header}, copy=False)


def read_chunks(
    path: str, dtypes: dict[str, str], dates: list[str], chunk_rows: int = READ_ROWS, **options
) -> Iterator[pd.DataFrame]:
    """The CSV's rows, CHUNK_ROWS at a time, typed as DTYPES (texts as categories)."""
    read_as = {name: "object" if dtype == "category" else dtype for name, dtype in dtypes.items()}
    texts = [name for name, dtype in dtypes.items() if dtype == "category"]
    chunks = pd.read_csv(path, dtype=read_as, parse_dates=dates, chunksize=chunk_rows, **options)
    for chunk in chunks:
        for name in texts:
            chunk[name] = chunk[name].astype("category")
        yield chunk


def whole_invoices(chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The same lines, each chunk ending with an invoice's last line: the lines of the last
    invoice of a chunk may go on in the next one (the query keeps an invoice's lines
    together), so they wait for it."""
    waiting: pd.DataFrame | None = None
    for chunk in chunks:
        if waiting is not None and len(waiting):
            chunk = _joined(waiting, chunk)
        invoices = chunk["invoice_id"].to_numpy()
        if len(invoices) == 0:
            continue
        different = invoices[::-1] != invoices[-1]
        start = len(invoices) - int(np.argmax(different)) if different.any() else 0
        if start:
            yield chunk.iloc[:start].reset_index(drop=True)
        waiting = chunk.iloc[start:]
    if waiting is not None and len(waiting):
        yield waiting.reset_index(drop=True)


def _joined(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    texts = [name for name in second.columns if isinstance(second[name].dtype, pd.CategoricalDtype)]
    joined = pd.concat([first, second], ignore_index=True)
    for name in texts:
        joined[name] = joined[name].astype("category")
    return joined


def _finished(column):
    if isinstance(column, _TextColumn):
        return column.categorical()
    if column.dtype == object:  # kept as objects: pandas would convert texts to its str type
        return pd.Series(column, dtype=object, copy=False)
    return column


class _TextColumn:
    """A categorical column filled chunk by chunk: each chunk's categories are mapped onto the
    labels seen so far."""

    def __init__(self, rows: int):
        self.codes = np.empty(rows, np.int32)
        self.labels: dict[str, int] = {}

    def put(self, start: int, values: pd.Series) -> None:
        values = values.astype("category")
        known = np.array(
            [self.labels.setdefault(label, len(self.labels)) for label in values.cat.categories],
            dtype=np.int32,
        )
        self.codes[start : start + len(values)] = known[values.cat.codes.to_numpy()]

    def categorical(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.codes, categories=list(self.labels))


def line_vat(lines: pd.DataFrame, slice_rows: int = VAT_ROWS) -> pd.Series:
    """VAT is computed once per invoice (docs/rules.md, Money); each line gets its share, rounded
    half-up, and the invoice's last line takes the rounding difference, so that lines always sum to
    the invoice's VAT to the cent. The lines of an invoice are consecutive (the query orders them
    so): the work goes about SLICE_ROWS lines of whole invoices at a time, so that its temporaries
    stay the same size however long the report."""
    amounts = lines["amount"].to_numpy(np.int64)
    rates = lines["vat_rate"].to_numpy(np.int64)
    invoice_vat = lines["invoice_vat"].to_numpy(np.int64)
    invoices = lines["invoice_id"].to_numpy()
    vat = np.empty(len(lines), np.int64)
    for part in _whole_invoices(invoices, slice_rows):
        vat[part] = _shares(amounts[part], rates[part], invoice_vat[part], invoices[part])
    return pd.Series(vat, index=lines.index)


def _whole_invoices(invoices: np.ndarray, size: int) -> Iterator[slice]:
    start, total = 0, len(invoices)
    while start < total:
        end = min(start + size, total)
        while end < total and invoices[end] == invoices[end - 1]:
            end += 1
        yield slice(start, end)
        start = end


def _shares(amounts, rates, invoice_vat, invoices) -> np.ndarray:
    raw = amounts * rates
    share = np.sign(raw) * ((np.abs(raw) * 2 + RATE_SCALE) // (2 * RATE_SCALE))
    firsts = np.flatnonzero(np.r_[True, invoices[1:] != invoices[:-1]])
    lasts = np.r_[firsts[1:] - 1, len(invoices) - 1]
    share[lasts] += invoice_vat[lasts] - np.add.reduceat(share, firsts)
    return share


def prepare(lines: pd.DataFrame) -> pd.DataFrame:
    """Add the line VAT and clean names once per distinct value (categories): text that XML
    cannot carry is dropped."""
    lines = lines.copy(deep=False)  # copy-on-write: the columns are shared, not copied
    lines["vat"] = line_vat(lines)
    for column in ("client_name", "product", "family"):
        if isinstance(lines[column].dtype, pd.CategoricalDtype):
            lines[column] = lines[column].cat.rename_categories(
                _unique_names([printable(str(name)) for name in lines[column].cat.categories])
            )
    return lines


def _unique_names(names: list[str]) -> list[str]:
    """Category labels must stay distinct after cleaning (two names differing only by a
    control character)."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        result.append(name if count == 0 else f"{name} ({count + 1})")
    return result


SUMMED = ["public_price", "amount", "discount", "cashback", "vat"]
SUMMARY_KEYS = ["client_id", "client_name", "currency"]
SUMMARY_ROWS = 50_000


class Summary:
    """The Summary built as the lines go by, chunk after chunk: each chunk's sums per client
    and currency, summed at the end (a few rows per client, whatever the number of lines)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, lines: pd.DataFrame) -> None:
        if lines.empty:
            return
        self.parts.append(_sums(lines))
        if len(self.parts) >= 64:  # the parts so far, summed into one
            self.parts = [pd.concat(self.parts).groupby(level=SUMMARY_KEYS, sort=False).sum()]

    def frame(self) -> pd.DataFrame:
        return _summary_of(self.parts)


def summarise(lines: pd.DataFrame, slice_rows: int = SUMMARY_ROWS) -> pd.DataFrame:
    """One row per client and currency: lines, sums in cents, and who paid. Summed a slice of
    lines at a time, then the slices' sums summed: a group-by over a million lines at once
    would hold copies of every summed column."""
    parts = [
        _sums(lines.iloc[start : start + slice_rows]) for start in range(0, len(lines), slice_rows)
    ]
    return _summary_of(parts)


SUMMARY_COLUMNS = ["client_id", "client_name", "currency", "lines", *SUMMED, "total", "paid_by"]


def _summary_of(parts: list[pd.DataFrame]) -> pd.DataFrame:
    columns = SUMMARY_COLUMNS
    if not parts:
        return pd.DataFrame(columns=columns)
    summary = pd.concat(parts).groupby(level=SUMMARY_KEYS, observed=True, sort=False).sum()
    summary["paid_by"] = np.select(
        [summary["partner_paid"] == summary["lines"], summary["partner_paid"] > 0],
        ["Partner", "Client and partner"],
        "Client",
    )
    summary["total"] = summary["amount"] + summary["vat"]
    summary = summary.reset_index()
    summary["client_name"] = summary["client_name"].astype(str)
    summary = summary.sort_values(["client_name", "client_id", "currency"], key=_casefold)
    return summary[columns].reset_index(drop=True)


def _sums(lines: pd.DataFrame) -> pd.DataFrame:
    grouped = lines.groupby(SUMMARY_KEYS, observed=True, sort=False)
    sums = grouped[[*SUMMED, "partner_paid"]].sum()  # partner_paid: how many lines
    sums["lines"] = grouped.size()
    return sums


def _casefold(column: pd.Series) -> pd.Series:
    return column.str.casefold() if pd.api.types.is_string_dtype(column) else column


def totals_by_currency(summary: pd.DataFrame) -> pd.DataFrame:
    """The totals row(s) of the Summary: one per currency."""
    if summary.empty:
        return pd.DataFrame(columns=["currency", "lines", *SUMMED, "total"])
    totals = summary.groupby("currency", observed=True)[["lines", *SUMMED, "total"]].sum()
    return totals.reset_index().sort_values("currency").reset_index(drop=True)
