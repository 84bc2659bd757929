"""Errors of the API as RFC 9457 problem details (`application/problem+json`): a type, a
title, the status, a detail a person can read, and for invalid input the field errors."""

from __future__ import annotations

import logging

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from portal import database
from portal.errors import FormErrors, PortalError, TooManyAttempts
from portal.retries import mark_conflict

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPES = "https://partner-portal.docs/problems/"  # a name space, documented in the README
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
    503: "Unavailable",
}
NOT_FOUND = "There is nothing here, or it is not yours to see."
NO_TOKEN = "Send an API token: `Authorization: Bearer <token>`."
BAD_TOKEN = "This token is not valid: unknown, revoked or expired."
OWNER_LEFT = "This token's owner no longer belongs to its organisation."
TOO_MANY = "This token made all the requests it may make this minute. Wait for the next minute."
BUSY = "Someone changed the same thing at the same moment. Nothing was saved; try again."
UNAVAILABLE = "The portal cannot reach its database just now. Nothing was lost; try again."
NOT_JSON = "This address takes a JSON body (Content-Type: application/json)."


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem: `type` names the kind of problem, `errors` the fields at fault."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: dict[str, str] = {}


def problem_type(status: int) -> str:
    return PROBLEM_TYPES + TITLES.get(status, "error").lower().replace(" ", "-")


def problem_response(
    status: int, detail: str, *, errors: dict[str, str] | None = None, headers=None
) -> Response:
    body = Problem(problem_type(status), TITLES.get(status, "Error"), status, detail, errors or {})
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    return Response(
        msgspec.json.encode(body), status_code=status, media_type=PROBLEM_JSON, headers=all_headers
    )


class TooManyRequests(HTTPException):
    status_code = 429

    def __init__(self, retry_after: int):
        super().__init__(detail=TOO_MANY, headers={"Retry-After": str(retry_after)})


def api_error(request: Request, exc: Exception) -> Response:
    """The API's exception handler: every error as a problem. A database conflict is run
    again once (portal/retries.py), as for the pages."""
    if database.is_conflict(exc):
        mark_conflict(request.scope)
        return problem_response(503, BUSY, headers={"Retry-After": "1"})
    if database.is_unavailable(exc):
        return problem_response(503, UNAVAILABLE, headers={"Retry-After": "5"})
    if isinstance(exc, FormErrors):
        return problem_response(422, "Some fields are not valid.", errors=exc.errors)
    if isinstance(exc, TooManyAttempts):
        return problem_response(429, exc.detail, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, PortalError):
        detail = NOT_FOUND if exc.status_code == 404 else exc.detail
        return problem_response(exc.status_code, detail or TITLES.get(exc.status_code, ""))
    if isinstance(exc, ValidationException):
        return problem_response(400, "The request could not be read.", errors=_fields(exc))
    if isinstance(exc, NotAuthorizedException):
        headers = {"WWW-Authenticate": 'Bearer realm="api"', **(exc.headers or {})}
        return problem_response(401, exc.detail, headers=headers)
    if isinstance(exc, HTTPException):
        detail = NOT_FOUND if exc.status_code == 404 else exc.detail
        return problem_response(exc.status_code, detail, headers=exc.headers)
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "We could not complete this request. Nothing was lost.")


def _fields(exc: ValidationException) -> dict[str, str]:
    """Litestar's validation errors ([{"key": ..., "message": ...}]) as field → message."""
    errors = {}
    for item in exc.extra or []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            errors.setdefault(key, str(item.get("message", "is not valid"))[:300])
    return errors


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI description of the problems an operation may answer."""
    return {
        status: ResponseSpec(
            Problem, description=TITLES[status], media_type=PROBLEM_JSON, generate_examples=False
        )
        for status in statuses
    }


# What every operation behind a token may answer, besides its own problems.
TOKEN_PROBLEMS = (400, 401, 403, 429, 503)
