"""Rendered public pages kept in the process, per directory version: a new version (any
listing changed) empties it, so nothing stale is ever served from here."""

from __future__ import annotations

from collections import OrderedDict

MAX_ENTRIES = 2000  # about 30 KB each at most: 60 MB in the worst case, per worker

_version: int | None = None
_pages: OrderedDict[tuple[str, str], str] = OrderedDict()


def get(version: int, variant: str, key: str) -> str | None:
    if version != _version:
        return None
    html = _pages.get((variant, key))
    if html is not None:
        _pages.move_to_end((variant, key))
    return html


def put(version: int, variant: str, key: str, html: str) -> None:
    global _version
    if version != _version:
        if _version is not None and version < _version:
            return  # a slower request rendered an older version: keep the newer pages
        _pages.clear()
        _version = version
    _pages[(variant, key)] = html
    if len(_pages) > MAX_ENTRIES:
        _pages.popitem(last=False)


def clear() -> None:
    global _version
    _pages.clear()
    _version = None
