"""Reading the application form: the organisation's details and the commitments ticked.

Two kinds of problem: input that cannot be used at all (control characters, too long, an
unknown commitment) is a field error at once; a number or address that is not valid *yet* is
only an unmet criterion while the applicant types, and a field error when they submit."""

from __future__ import annotations

from dataclasses import dataclass

from portal.forms import Form
from portal.organisations.rules import registration_number_problem, vat_number_problem
from portal.partners.rules import COMMITMENTS, website_address


@dataclass(frozen=True)
class Entered:
    registration_number: str
    vat_number: str
    website: str
    website_problem: str | None
    commitments: frozenset[str]


def application_from(
    data, country: str, *, allow_private: bool = False
) -> tuple[Entered, dict[str, str], dict[str, str]]:
    """DATA is the submitted form (a multi-dict: `commitments` repeats). Returns what was
    entered, the errors that make it unusable, and the problems to fix before submitting."""
    form = Form(data)
    registration = form.text("registration_number", max_length=60)
    vat = form.text("vat_number", max_length=40)
    typed_website = form.text("website", max_length=300)
    website, website_problem = website_address(typed_website, allow_private=allow_private)
    ticked = set(form.values("commitments", COMMITMENTS, label="commitments"))
    problems = {
        name: problem
        for name, problem in (
            ("registration_number", registration_number_problem(country, registration)),
            ("vat_number", vat_number_problem(country, vat)),
            ("website", website_problem),
        )
        if problem and name not in form.errors
    }
    if "website" in form.errors:  # unusable as typed: neither stored nor checked
        website, website_problem = typed_website, form.errors["website"]
    entered = Entered(
        registration_number=registration,
        vat_number=vat,
        website=website,
        website_problem=website_problem,
        commitments=frozenset(ticked & COMMITMENTS.keys()),
    )
    return entered, form.errors, problems


def form_values(entered: Entered) -> dict:
    """What the form shows again."""
    return {
        "registration_number": entered.registration_number,
        "vat_number": entered.vat_number,
        "website": entered.website,
        "commitments": sorted(entered.commitments),
    }
