"""The portal's own errors, raised by services and access checks and answered by web.py."""

from __future__ import annotations

from collections.abc import Mapping


class PortalError(Exception):
    status_code = 400

    def __init__(self, detail: str = ""):
        super().__init__(detail)
        self.detail = detail


class NotFound(PortalError):
    """Missing, or another tenant's: both answer the same 404."""

    status_code = 404


class Forbidden(PortalError):
    status_code = 403


class Conflict(PortalError):
    status_code = 409


class TooManyAttempts(PortalError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


class FormErrors(PortalError):
    """Input that fails validation: field name → message, shown beside the field (422)."""

    status_code = 422

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


class DatabaseUnavailable(Exception):
    """No connection to the database could be made (it is down, restarting, or too slow)."""


class LoginRequired(Exception):
    """The page needs a logged-in user; answered with a redirect to the login page."""
