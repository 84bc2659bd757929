"""pandas shaping of a report: the VAT of each line and the Summary's group-bys.

Amounts stay integer cents in int64 columns from the database to the file: exact (no float
ever adds them), vectorised, and 8 bytes a value where a Decimal object column would cost
~100 bytes and a Python call per value at a million lines. Writers turn cents into numbers
only when writing a cell."""

from __future__ import annotations

import numpy as np
import pandas as pd

from portal.exports.rules import printable

RATE_SCALE = 10_000  # rates come with 4 decimals


def line_vat(lines: pd.DataFrame) -> pd.Series:
    """VAT is computed once per invoice (SPEC §4); each line gets its share, rounded half-up,
    and the invoice's last line takes the rounding difference, so that lines always sum to
    the invoice's VAT to the cent."""
    if lines.empty:
        return pd.Series([], dtype="int64", index=lines.index)
    raw = lines["amount"].to_numpy(np.int64) * lines["vat_rate"].to_numpy(np.int64)
    share = np.sign(raw) * ((np.abs(raw) * 2 + RATE_SCALE) // (2 * RATE_SCALE))
    share = pd.Series(share, index=lines.index, dtype="int64")
    allocated = share.groupby(lines["invoice_id"].to_numpy()).transform("sum")
    last_line = ~lines["invoice_id"].duplicated(keep="last")
    correction = (lines["invoice_vat"] - allocated).where(last_line, 0)
    return share + correction


def prepare(lines: pd.DataFrame) -> pd.DataFrame:
    """Add the line VAT and clean names once per distinct value (categories): text that XML
    cannot carry is dropped."""
    lines = lines.copy()
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


def summarise(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per client and currency: lines, sums in cents, and who paid."""
    columns = ["client_id", "client_name", "currency", "lines", *SUMMED, "total", "paid_by"]
    if lines.empty:
        return pd.DataFrame(columns=columns)
    keys = ["client_id", "client_name", "currency"]
    grouped = lines.groupby(keys, observed=True, sort=False)
    summary = grouped[SUMMED].sum()
    summary["lines"] = grouped.size()
    partner_paid = grouped["partner_paid"].agg(["any", "all"])
    summary["paid_by"] = np.select(
        [partner_paid["all"], partner_paid["any"]], ["Partner", "Client and partner"], "Client"
    )
    summary["total"] = summary["amount"] + summary["vat"]
    summary = summary.reset_index()
    summary["client_name"] = summary["client_name"].astype(str)
    summary = summary.sort_values(["client_name", "client_id", "currency"], key=_casefold)
    return summary[columns].reset_index(drop=True)


def _casefold(column: pd.Series) -> pd.Series:
    return column.str.casefold() if pd.api.types.is_string_dtype(column) else column


def totals_by_currency(summary: pd.DataFrame) -> pd.DataFrame:
    """The totals row(s) of the Summary: one per currency."""
    if summary.empty:
        return pd.DataFrame(columns=["currency", "lines", *SUMMED, "total"])
    totals = summary.groupby("currency", observed=True)[["lines", *SUMMED, "total"]].sum()
    return totals.reset_index().sort_values("currency").reset_index(drop=True)
