"""Pure rules of the files the portal sends (CSV downloads, billing reports). No I/O."""

from __future__ import annotations

import re
from urllib.parse import quote

# A cell starting with one of these is a formula to a spreadsheet (OWASP's CSV injection)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def content_disposition(filename: str, display_name: str | None = None) -> str:
    """RFC 6266: an ASCII fallback and the UTF-8 name (RFC 5987 percent-encoding)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    encoded = quote(display_name or filename, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
