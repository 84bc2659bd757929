"""The columns of the Lines sheet and of the CSV (docs/rules.md, Billing reports), and the
conversion of a frame's columns into plain Python lists, one vectorised step per column."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from portal.exports.rules import payer_label
from portal.products.rules import FAMILIES

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
VAT_RULES = {
    "swiss_vat": "Swiss VAT",
    "eu_reverse_charge": "EU reverse charge",
    "eu_destination_vat": "EU destination VAT",
    "export_no_vat": "Export, no VAT",
}


class Kind(Enum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    RATE = "rate"
    COUNT = "count"


@dataclass(frozen=True)
class Column:
    title: str
    source: str
    kind: Kind
    client_business: bool = False  # blank on a line shown only as cashback


LINE_COLUMNS = (
    Column("Date", "issued_on", Kind.DATE),
    Column("Invoice", "invoice_number", Kind.TEXT, True),
    Column("Client", "client_name", Kind.TEXT),
    Column("Product", "product", Kind.TEXT),
    Column("Product type", "family", Kind.TEXT),
    Column("Service from", "service_from", Kind.DATE),
    Column("Service to", "service_to", Kind.DATE),
    Column("Public price", "public_price", Kind.MONEY, True),
    Column("Volume discount", "volume_rate", Kind.RATE, True),
    Column("Partner rate", "partner_rate", Kind.RATE),
    Column("Amount charged", "amount", Kind.MONEY, True),
    Column("Partner discount", "discount", Kind.MONEY, True),
    Column("Cashback", "cashback", Kind.MONEY),
    Column("VAT rule", "vat_rule", Kind.TEXT, True),
    Column("VAT", "vat", Kind.MONEY, True),
    Column("Currency", "currency", Kind.TEXT),
    Column("Paid by", "payer", Kind.TEXT),
)


def family_labels(families) -> list[str]:
    return [FAMILIES.get(family, family) for family in families]


def vat_rule_labels(rules) -> list[str]:
    return [VAT_RULES.get(rule, rule) for rule in rules]


def payer_labels(partner_paid) -> list[str]:
    return [payer_label(bool(paid)) for paid in partner_paid]


def labelled(lines: pd.DataFrame) -> pd.DataFrame:
    """Readable product types, VAT rules and payers (on categories: once per distinct value)."""
    lines = lines.copy(deep=False)  # copy-on-write: the columns are shared, not copied
    lines["family"] = _relabel(lines["family"], FAMILIES)
    lines["vat_rule"] = _relabel(lines["vat_rule"], VAT_RULES)
    lines["payer"] = pd.Categorical.from_codes(
        lines["partner_paid"].to_numpy().astype(np.int8),
        categories=[payer_label(False), payer_label(True)],
    )
    return lines


def _relabel(column: pd.Series, labels: dict[str, str]) -> pd.Series:
    column = column.astype("category")
    renamed = [labels.get(str(value), str(value)) for value in column.cat.categories]
    if len(set(renamed)) != len(renamed):
        return column.astype(str).map(lambda value: labels.get(value, value))
    return column.cat.rename_categories(renamed)


def excel_serials(column: pd.Series) -> list[int]:
    """Dates as Excel day numbers (1900 system): a date-formatted number, no date objects."""
    days = column.to_numpy("datetime64[D]")
    return (days - EXCEL_EPOCH).astype(np.int64).tolist()


def iso_dates(column: pd.Series) -> list[str]:
    return np.datetime_as_string(column.to_numpy("datetime64[D]"), unit="D").tolist()


def as_numbers(column: pd.Series, kind: Kind) -> list[float]:
    """Cents → units. Exact in the file: int / 100 is the double nearest the decimal amount,
    and both openpyxl and Excel write it back as the shortest text that reads back to it —
    '123.45' — for every amount below 10^13 (15 significant digits)."""
    scale = 100 if kind is Kind.MONEY else 10_000
    return (column.to_numpy(np.int64) / scale).tolist()


def texts(column: pd.Series) -> list[str]:
    return column.astype(str).tolist() if column.dtype != object else column.tolist()


def blank_where_hidden(values: list, shown: list[bool]) -> list:
    return [value if visible else None for value, visible in zip(values, shown, strict=True)]
