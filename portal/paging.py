"""Keyset pagination, shared by every list of the portal.

A page starts after (or before) the sort key of the last (or first) row shown, never at an
offset: the database goes straight to it through the list's index, so the last page of a big
tenant costs what the first does. The sort key ends with a unique column (an id), so rows with
equal names or times keep one order and no row is skipped or shown twice from page to page.

The URL carries where a page starts: `after=TOKEN` (the next page), `before=TOKEN` (the previous
one), `last=1` (the end of the list), nothing for the first page. A token is the sort key of a
row, opaque to the reader; one that does not read back as this list's key means the first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from portal.database import MAX_ID

PARAMETERS = ("after", "before", "last", "page")  # "page": the numbered pages of old links
MAX_TOKEN_LENGTH = 6000
MAX_TEXT_LENGTH = 1000


class Kind(Enum):
    """What a column of a sort key holds, to read it back from a token."""

    TEXT = "text"
    ID = "id"
    TIME = "time"  # timestamptz
    DAY = "day"  # date
    DECIMAL = "decimal"


@dataclass(frozen=True)
class Position:
    """Where the URL asks the page to start."""

    direction: str = "first"  # first | after | before | last
    token: str = ""

    @property
    def backward(self) -> bool:
        """Read in the reverse order (and turned round): the rows before a key, or the end."""
        return self.direction in ("before", "last")


FIRST = Position()
LAST = Position("last")


def position_of(params: Mapping[str, str], prefix: str = "") -> Position:
    """The position asked for by a query string; anything odd means the first page. A page
    with a second list names that list's parameters with PREFIX (`ended_after=...`)."""
    for direction in ("after", "before"):
        token = params.get(prefix + direction) or ""
        if token and len(token) <= MAX_TOKEN_LENGTH:
            return Position(direction, token)
    if params.get(prefix + "last") == "1":
        return LAST
    return FIRST


@dataclass(frozen=True)
class Order:
    """How a list is sorted: SQL expressions (the last one unique, so the order is total), the
    keys of the rows that hold their values, their kinds, and one direction for all."""

    expressions: tuple[str, ...]
    keys: tuple[str, ...]
    kinds: tuple[Kind, ...]
    descending: bool = False

    def token(self, row: Any) -> str:
        pairs = zip(self.keys, self.kinds, strict=True)
        values = [_plain(field_of(row, key), kind) for key, kind in pairs]
        text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def key_of(self, token: str) -> tuple | None:
        """The sort key a token holds; None when it is not one of this list's keys."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            values = json.loads(raw.decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        if not isinstance(values, list) or len(values) != len(self.kinds):
            return None
        key = tuple(_typed(value, kind) for value, kind in zip(values, self.kinds, strict=True))
        return None if any(value is None for value in key) else key

    def window(self, position: Position, size: int) -> Window:
        """The SQL that reads the page at POSITION: a condition, an ORDER BY, a LIMIT."""
        key = self.key_of(position.token) if position.token else None
        if position.direction in ("after", "before") and key is None:
            position = FIRST
        backward = position.backward
        reading_descending = self.descending != backward
        condition, arguments = "", ()
        if key is not None:
            operator = "<" if reading_descending else ">"
            placeholders = ", ".join("{}" for _ in key)
            condition = f"({', '.join(self.expressions)}) {operator} ({placeholders})"
            arguments = key
        direction = " DESC" if reading_descending else ""
        order_by = ", ".join(expression + direction for expression in self.expressions)
        return Window(self, position, size, condition, arguments, order_by, not reading_descending)


@dataclass(frozen=True)
class Window:
    """One page's slice of a list, as SQL. CONDITION (with Piccolo's `{}` placeholders for
    ARGUMENTS) is empty on the first and last pages; ORDER_BY is without the words; LIMIT
    reads one row more than the page, to know whether another page follows."""

    order: Order
    position: Position
    size: int
    condition: str
    arguments: tuple
    order_by: str
    ascending: bool  # for Piccolo's order_by

    @property
    def limit(self) -> int:
        return self.size + 1

    def order_by_keys(self, alias: str) -> str:
        """The same order, on the keys' columns of a subquery named ALIAS that reads the page
        (an outer query then adds each row's extras for the page's rows only)."""
        direction = "" if self.ascending else " DESC"
        return ", ".join(f"{alias}.{key}{direction}" for key in self.order.keys)

    def and_condition(self) -> str:
        return f"AND {self.condition}" if self.condition else ""

    def page(self, rows: Sequence) -> Page:
        """The page made of ROWS as the window's SQL returned them."""
        rows = list(rows)
        more = len(rows) > self.size
        rows = rows[: self.size]
        direction = self.position.direction
        if self.position.backward:
            rows.reverse()
            at_start, at_end = not more, direction == "last"
        else:
            at_start, at_end = direction == "first", not more
        if not rows:
            at_start = at_end = True
        return Page(
            rows=rows,
            at_start=at_start,
            at_end=at_end,
            before=None if at_start else self.order.token(rows[0]),
            after=None if at_end else self.order.token(rows[-1]),
        )


@dataclass(frozen=True)
class Page:
    """The rows shown, and where the previous and next pages start (None at either end)."""

    rows: list
    at_start: bool
    at_end: bool
    before: str | None = None
    after: str | None = None

    @property
    def single(self) -> bool:
        return self.at_start and self.at_end

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)


NO_ROWS = Page([], at_start=True, at_end=True)


async def read_page(window: Window, fetch: Callable[[Window], Any]) -> Page:
    """The page FETCH reads through WINDOW. A page asked for after the end (its rows removed
    since) shows the end instead, and one before the start shows the start."""
    page = window.page(await fetch(window))
    if page.rows or window.position.direction not in ("after", "before"):
        return page
    turned = FIRST if window.position.direction == "before" else LAST
    retry = window.order.window(turned, window.size)
    return retry.page(await fetch(retry))


def field_of(row: Any, key: str) -> Any:
    """A value of a row, whether the row is a query's mapping or a typed record."""
    return row[key] if isinstance(row, Mapping) else getattr(row, key)


def _plain(value: Any, kind: Kind) -> Any:
    if kind is Kind.TIME or kind is Kind.DAY:
        return value.isoformat()
    if kind is Kind.DECIMAL:
        return str(value)
    return value


def _typed(value: Any, kind: Kind) -> Any:
    """VALUE read back as KIND; None when it cannot be one."""
    if kind is Kind.ID:
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_ID
        return value if ok else None
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH or "\x00" in value:
        return None
    try:
        value.encode()  # a lone surrogate is no text PostgreSQL could compare
        if kind is Kind.TIME:
            moment = datetime.fromisoformat(value)
            return moment if moment.tzinfo is not None else None
        if kind is Kind.DAY:
            return date.fromisoformat(value)
        if kind is Kind.DECIMAL:
            number = Decimal(value)
            return number if number.is_finite() else None
    except (ValueError, InvalidOperation, UnicodeEncodeError):
        return None
    return value


def without_position(params: Mapping[str, str]) -> dict[str, str]:
    """The query's other parameters (the filters), for the pager's links."""
    return {key: value for key, value in params.items() if key not in PARAMETERS and value}
