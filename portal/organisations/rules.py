"""Pure rules of organisations: their details, and who may hold which role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from portal.access import Role
from portal.forms import CONTROL_CHARACTERS_PROBLEM, has_control_characters


@dataclass(frozen=True)
class OrganisationDetails:
    name: str
    kind: str
    country: str
    currency: str
    registration_number: str = ""
    vat_number: str = ""
    website: str = ""


def name_problem(name: str) -> str | None:
    if len(name.strip()) < 2:
        return "Enter the organisation's name (at least 2 characters)."
    if len(name) > 200:
        return "Use at most 200 characters."
    if has_control_characters(name):
        return CONTROL_CHARACTERS_PROBLEM
    return None


WEBSITE_PROBLEM = "Enter a web address such as https://example.ch."
WEBSITE_MAX = 300  # organisation.website, directory_listing.website
# A host name label: letters (any script), digits and inner hyphens.
HOST_LABEL = re.compile(r"(?!-)[^\W_](?:[^\W_]|-){0,62}(?<!-)")


def normalise_website(website: str) -> tuple[str, str | None]:
    """The website as stored (https:// added when no scheme was typed), or a problem."""
    website = website.strip()
    if not website:
        return "", None
    if "://" not in website:
        website = "https://" + website
    if len(website) > WEBSITE_MAX:
        return website, f"Use at most {WEBSITE_MAX} characters, https:// included."
    if has_control_characters(website) or any(c.isspace() for c in website):
        return website, WEBSITE_PROBLEM
    try:
        parts = urlsplit(website)
        host, _port = parts.hostname or "", parts.port  # port: a non-number raises
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return website, WEBSITE_PROBLEM
    if parts.scheme not in {"http", "https"} or parts.username or not _is_domain(host):
        return website, WEBSITE_PROBLEM
    return website, None


def _is_domain(host: str) -> bool:
    labels = host.split(".")
    return (
        len(labels) >= 2
        and all(HOST_LABEL.fullmatch(label) for label in labels)
        and (labels[-1].isalpha() or labels[-1].startswith("xn--"))
        and len(labels[-1]) >= 2
    )


def registration_number_problem(country: str, number: str) -> str | None:
    """Check digits where the portal knows the country's register (issue: eligibility
    widens this); elsewhere any reasonable text is kept for review."""
    number = number.strip()
    if not number:
        return None
    if has_control_characters(number):
        return CONTROL_CHARACTERS_PROBLEM
    if country == "CH":
        from stdnum.ch import uid

        if not uid.is_valid(number):
            return "Enter a valid Swiss UID, such as CHE-123.456.789 (its check digit is wrong)."
    elif country == "FR":
        from stdnum.fr import siren, siret

        if not (siren.is_valid(number) or siret.is_valid(number)):
            return "Enter a valid SIREN (9 digits) or SIRET (14 digits)."
    elif len(number) > 60:
        return "Use at most 60 characters."
    return None


def vat_number_problem(country: str, number: str) -> str | None:
    number = number.strip()
    if not number:
        return None
    if has_control_characters(number):
        return CONTROL_CHARACTERS_PROBLEM
    if country in {"CH", "LI"}:
        from stdnum.ch import vat

        return None if vat.is_valid(number) else "Enter a valid Swiss VAT number (CHE-…MWST)."
    from stdnum.eu import vat

    if country.lower() in vat.MEMBER_STATES or country == "GR":
        if not vat.is_valid(number):
            return "Enter a valid EU VAT number, with its country prefix (e.g. FR40303265045)."
    elif len(number) > 40:
        return "Use at most 40 characters."
    return None


# --- roles ---------------------------------------------------------------------------------


def last_legal_representative_problem(
    role_before: Role, role_after: Role | None, legal_representatives: int
) -> str | None:
    """An organisation always keeps at least one legal representative (None = removed)."""
    demoted = role_before is Role.LEGAL_REPRESENTATIVE and role_after is not role_before
    if demoted and legal_representatives <= 1:
        return (
            "This is the organisation's last legal representative. Name another legal "
            "representative first."
        )
    return None


def touches_legal_representation(role_before: Role | None, role_after: Role | None) -> bool:
    """Giving or taking the legal representative role needs a legal representative."""
    return Role.LEGAL_REPRESENTATIVE in {role_before, role_after}
