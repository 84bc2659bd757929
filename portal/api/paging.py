"""Cursor paging of the API's lists (docs/rules.md, The API): a list is read in one fixed
order that ends with a unique key, and a page's `next_cursor` is the sort key of its last row,
opaque to the reader. The next page starts strictly after it: rows added or removed meanwhile
never make a page repeat or skip one of the rows it had."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Annotated

from litestar.params import QueryParameter

from portal.database import MAX_ID
from portal.errors import FormErrors
from portal.paging import FIRST, Page, Position, field_of

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 2000
BAD_CURSOR = "This cursor is not one this list gave: start from the first page."

Cursor = Annotated[
    str | None,
    QueryParameter(
        description="Where the page starts: the `next_cursor` of the page before; none for "
        "the first page.",
        max_length=MAX_CURSOR,
    ),
]
Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description="How many items a page holds, at most.")
]


def encode(*key: object) -> str:
    values = [value.isoformat() if isinstance(value, date) else value for value in key]
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str | None, *kinds: type) -> tuple | None:
    """The sort key a cursor holds (KINDS: str, int or date, one per column); None for the
    first page. A cursor this list could not have given is a field error (422)."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw.decode())
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        return tuple(_typed(value, kind) for value, kind in zip(values, kinds, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise FormErrors({"cursor": BAD_CURSOR}) from None


def _typed(value: object, kind: type) -> object:
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_ID:
            raise ValueError
        return value
    if not isinstance(value, str) or len(value) > 1000 or "\x00" in value:
        raise ValueError
    value.encode()  # a lone surrogate is no text PostgreSQL could compare
    return date.fromisoformat(value) if kind is date else value


def next_cursor(rows: list, has_next: bool, *keys: str) -> str | None:
    if not has_next or not rows:
        return None
    return encode(*(field_of(rows[-1], key) for key in keys))


def position(cursor: str | None, *kinds: type) -> Position:
    """Where a page of a portal list (portal/paging.py) starts: after the cursor's key, checked
    as `decode` checks it; the first page without a cursor."""
    key = decode(cursor, *kinds)
    return FIRST if key is None else Position("after", encode(*key))


def page_cursor(page: Page, *keys: str) -> str | None:
    """The `next_cursor` of a page of a portal list."""
    return next_cursor(page.rows, not page.at_end, *keys)
