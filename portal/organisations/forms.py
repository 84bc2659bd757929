"""Input of organisations: the details of a new or edited organisation, and the sign-up form
(a person with their first organisation)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.access import ROLE_LABELS, Role
from portal.core import reference
from portal.forms import CONTROL_CHARACTERS_PROBLEM, Form
from portal.organisations import rules
from portal.organisations.rules import OrganisationDetails
from portal.organisations.services import InvitationRequest, team_name_problem


def details_context(form: dict) -> dict:
    return {
        "form": form,
        "countries": reference.countries(),
        "kinds": reference.KINDS,
        "currencies": reference.CURRENCIES,
    }


def details_from(form: Form, *, with_fixed: bool, country: str = "") -> OrganisationDetails:
    name = form.name("name", label="The organisation's name")
    form.add("name", rules.name_problem(name))
    if with_fixed:
        kind = form.choice("kind", reference.KINDS, label="a kind")
        country = form.choice("country", reference.countries(), label="a country")
        currency = form.choice("currency", reference.CURRENCIES, label="CHF or EUR")
    else:
        kind = currency = ""
    registration = form.text("registration_number", max_length=60)
    vat = form.text("vat_number", max_length=40)
    website, website_problem = rules.normalise_website(form.text("website", max_length=300))
    form.add("registration_number", rules.registration_number_problem(country, registration))
    form.add("vat_number", rules.vat_number_problem(country, vat))
    form.add("website", website_problem)
    return OrganisationDetails(name, kind, country, currency, registration, vat, website)


@dataclass(frozen=True)
class SignUp:
    full_name: str
    email: str
    password: str
    organisation: OrganisationDetails
    referred_by: int | None


def sign_up_from(form: Form) -> SignUp:
    """The sign-up form; FORM holds the field errors (check it before using the result)."""
    full_name = form.name("full_name", label="Your name")
    email = form.email()
    password = form.password("password")
    details = OrganisationDetails(
        name=form.name("organisation_name", label="The organisation's name"),
        kind=form.choice("kind", reference.KINDS, label="a kind"),
        country=form.choice("country", reference.countries(), label="a country"),
        currency=form.choice("currency", reference.CURRENCIES, label="CHF or EUR"),
    )
    form.add("organisation_name", rules.name_problem(details.name))
    form.add("terms", None if form.checkbox("terms") else "Accept the terms of use.")
    return SignUp(full_name, email, password, details, referral(form.value("ref")))


def referral(raw) -> int | None:
    """The affiliate's organisation id from a referral link (?ref=…), if it looks like one."""
    text = str(raw or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def sign_up_context(form: dict) -> dict:
    return {
        "form": form,
        "countries": reference.countries(),
        "kinds": reference.KINDS,
        "currencies": reference.CURRENCIES,
    }


def invitation_from(form: Form) -> InvitationRequest:
    """A member's invitation: the address, the role and rights, a personal message."""
    role = form.choice("role", ROLE_LABELS, label="a role")
    message = form.text("message", max_length=1000, multiline=True)
    if rules.has_control_characters(message, allow_line_breaks=True):
        form.add("message", CONTROL_CHARACTERS_PROBLEM)
    return InvitationRequest(
        email=form.email(),
        role=Role(role) if role in ROLE_LABELS else Role.USER,
        billing_rights=form.checkbox("billing_rights"),
        message=message,
    )


def member_rights_from(form: Form) -> tuple[Role, bool]:
    """A member's new role and whether they may see billing."""
    role = form.choice("role", ROLE_LABELS, label="a role")
    return Role(role) if role in ROLE_LABELS else Role.USER, form.checkbox("billing_rights")


@dataclass(frozen=True)
class InvitedSignUp:
    """An invited person's account: the address is the invitation's."""

    full_name: str
    password: str


def invited_sign_up_from(form: Form) -> InvitedSignUp:
    return InvitedSignUp(form.name("full_name", label="Your name"), form.password("password"))


def team_name_from(form: Form) -> str:
    """A new team's name, or a team's new name."""
    name = form.name("name", required=False, max_length=100)
    form.add("name", team_name_problem(name))
    return name
