"""Input of accounts: logging in (with the second factor), resetting and changing the password,
two-factor authentication and API tokens. Each parser reads a Form into typed values; the
problems stay in the form's errors (check it before using the result)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.access import ApiArea, ApiLevel, scope
from portal.accounts import rules
from portal.accounts.services import TokenRequest
from portal.forms import Form, has_control_characters
from portal.web import safe_next

PASSWORDS_DIFFER = "The two passwords are not the same."
NEW_PASSWORDS_DIFFER = "The two new passwords are not the same."
LEVELS = frozenset(level.value for level in ApiLevel)
# The token form's fields, where a service names them otherwise (the password and code fields
# of the security page's other forms have the plain names).
TOKEN_FIELDS = {"password": "token_password", "code": "token_code", "name": "token_name"}


def next_path(raw: object, home: str) -> str:
    """Where to go after logging in: a path on this site, else HOME. Browsers drop tabs and
    line breaks from URLs (`/\t/evil.example` becomes `//evil.example`), so any control
    character means home; so does anything that is not text (a file upload)."""
    if not isinstance(raw, str) or has_control_characters(raw):
        return home
    return safe_next(raw, home)


@dataclass(frozen=True)
class Login:
    email: str
    password: str
    next: str


def login_from(form: Form, home: str) -> Login:
    return Login(
        email=form.text("email", required=True, max_length=320, label="Your email address"),
        password=form.password("password"),
        next=next_path(form.value("next"), home),
    )


@dataclass(frozen=True)
class SecondFactor:
    code: str
    next: str


def second_factor_from(form: Form, home: str) -> SecondFactor:
    """The code is checked by the service (a TOTP or a backup code, spaces allowed)."""
    return SecondFactor(code=form.raw_text("code"), next=next_path(form.value("next"), home))


def new_password_from(form: Form) -> str:
    """The password reset form: the new password, typed twice."""
    password = form.password("password")
    if password != form.raw_text("password_again"):
        form.add("password_again", PASSWORDS_DIFFER)
    return password


@dataclass(frozen=True)
class PasswordChange:
    current: str
    new: str


def password_change_from(form: Form) -> PasswordChange:
    current = form.password("current_password")
    new = form.password("new_password")
    if new != form.raw_text("new_password_again"):
        form.add("new_password_again", NEW_PASSWORDS_DIFFER)
    return PasswordChange(current, new)


@dataclass(frozen=True)
class Confirmation:
    """A password, and a second-factor code, that confirm a sensitive change; the service
    checks them (a wrong one is its field error)."""

    password: str
    code: str = ""


def confirmation_from(form: Form, *, with_code: bool = False) -> Confirmation:
    return Confirmation(form.raw_text("password"), form.raw_text("code") if with_code else "")


@dataclass(frozen=True)
class NewToken:
    request: TokenRequest
    confirmation: Confirmation


def new_token_from(form: Form, *, with_code: bool) -> NewToken:
    """The API token form; WITH_CODE when the person must also give a second-factor code.
    Its fields are prefixed (TOKEN_FIELDS), the page holding other password forms."""
    name = form.name("token_name", max_length=rules.API_TOKEN_NAME_MAX, label="The token's name")
    organisation_id = form.integer("organisation") or 0
    expiry = form.choice("expires", rules.API_TOKEN_EXPIRIES, label="when the token expires")
    scopes = set()
    for area in ApiArea:
        level = form.choice(f"scope_{area}", ("", *ApiLevel), label="an access level")
        if level in LEVELS:  # not "" (no access), nor a level the list does not offer
            scopes.add(scope(area, ApiLevel(level)))
    request = TokenRequest(
        name=name,
        organisation_id=organisation_id,
        expires_in_days=rules.API_TOKEN_EXPIRIES.get(expiry),
        scopes=frozenset(scopes),
    )
    password = form.raw_text("token_password")
    code = form.raw_text("token_code") if with_code else ""
    return NewToken(request, Confirmation(password, code))
