"""Endpoint secrets are kept encrypted with a key derived from the portal's secret key: a copy
of the database alone signs nothing. (Changing PORTAL_SECRET_KEY makes them unreadable: each
endpoint's secret is then rotated, which shows a new one.)"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"portal webhook secrets:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret_key: str, secret: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def unseal(secret_key: str, sealed: str) -> str | None:
    """The secret, or None when it was sealed under another secret key."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None
