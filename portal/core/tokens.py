"""Secret tokens of cookies and emailed links, and what the database keeps of them."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token: a leaked table gives no usable cookie or link."""
    return hashlib.sha256(token.encode()).hexdigest()
