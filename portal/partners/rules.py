"""Eligibility to the partner programme (docs/rules.md, The partner programme): five criteria, each
ticked or not with its reason. Pure: the website check and the managed volume are measured elsewhere
and handed in."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit

from portal.billing.rules import valid_eu_vat_number
from portal.core.enums import PARTNERS, PartnerStatus
from portal.formatting import money
from portal.organisations.rules import normalise_website
from portal.outbound import is_local_name, refused_address

TERMS_VERSION = "2026-01"
VOLUME_THRESHOLDS = {"CHF": Decimal("2000.00"), "EUR": Decimal("1800.00")}

COMMITMENTS = {
    "supports_clients": "We support our clients ourselves.",
    "invoices_clients": "We invoice our clients ourselves.",
    "host_products_for_tenders": "For contracts won through tenders we use only the host's "
    "products.",
    "reseller_terms": "We accept the reseller terms.",
}


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    REVIEW = "review"  # a person decides (e.g. a register the portal cannot check)


@dataclass(frozen=True)
class Criterion:
    key: str
    title: str
    verdict: Verdict
    reason: str
    pending: bool = False  # a measurement is under way (the website check): ask again soon

    @property
    def met(self) -> bool:
        return self.verdict is Verdict.MET


# --- 1. a registered company -----------------------------------------------------------------


def _validator(country: str, *names: str) -> list[Callable[[str], bool]]:
    from stdnum import get_cc_module

    found = []
    for name in names:
        module = get_cc_module(country.lower(), name)
        if module is not None:
            found.append(module.is_valid)
    return found


# Company register identifiers python-stdnum knows, by country (besides the VAT number).
REGISTERS = {
    "CH": ("uid",),
    "FR": ("siren", "siret"),
    "DE": ("handelsregisternummer",),
    "AT": ("businessid",),
    "BE": ("businessid",),
    "ES": ("cif",),
    "PT": ("nif",),
    "IT": ("iva",),
    "LU": ("tva",),
    "DK": ("cvr",),
    "SE": ("orgnr",),
    "FI": ("ytunnus",),
    "PL": ("regon",),
}
REGISTER_NAMES = {
    "CH": "Swiss UID",
    "FR": "SIREN or SIRET",
    "DE": "Handelsregisternummer",
    "AT": "Firmenbuchnummer",
    "BE": "enterprise number",
    "ES": "CIF",
    "PT": "NIF",
    "IT": "partita IVA",
    "LU": "TVA number",
    "DK": "CVR number",
    "SE": "organisationsnummer",
    "FI": "Y-tunnus",
    "PL": "REGON",
}


def registration_criterion(country: str, number: str, vat_number: str) -> Criterion:
    title = "A registered company"
    number, vat_number = number.strip(), vat_number.strip()
    if not number and not vat_number:
        return Criterion(
            "registration", title, Verdict.NOT_MET, "Enter your company registration number."
        )
    if number and any(valid(number) for valid in _validator(country, *REGISTERS.get(country, ()))):
        return Criterion(
            "registration", title, Verdict.MET, f"{number} is a valid {REGISTER_NAMES[country]}."
        )
    if valid_eu_vat_number(vat_number):
        return Criterion(
            "registration",
            title,
            Verdict.MET,
            f"The EU VAT number {vat_number} is valid (accepted as equivalent).",
        )
    if country in REGISTERS:
        return Criterion(
            "registration",
            title,
            Verdict.NOT_MET,
            f"This is not a valid {REGISTER_NAMES[country]}: check the number and its check digit.",
        )
    return Criterion(
        "registration",
        title,
        Verdict.REVIEW,
        "We cannot check this country's register automatically; our team will review it.",
    )


# --- 2. an active website --------------------------------------------------------------------


@dataclass(frozen=True)
class WebsiteCheck:
    url: str
    answered: bool
    detail: str
    checked_at: datetime


def website_criterion(
    website: str, check: WebsiteCheck | None, problem: str | None = None
) -> Criterion:
    """PROBLEM: the address cannot be checked as typed (not a web address)."""
    title = "An active website"
    if not website:
        return Criterion("website", title, Verdict.NOT_MET, "Enter your website's address.")
    if problem:
        return Criterion("website", title, Verdict.NOT_MET, problem)
    if check is None or check.url != website:
        return Criterion(
            "website", title, Verdict.NOT_MET, "Checking whether it answers…", pending=True
        )
    if check.answered:
        return Criterion("website", title, Verdict.MET, f"{website} answered ({check.detail}).")
    return Criterion(
        "website", title, Verdict.NOT_MET, f"{website} did not answer ({check.detail})."
    )


# --- 3. managed volume -----------------------------------------------------------------------


def volume_criterion(currency: str, managed: Decimal) -> Criterion:
    threshold = VOLUME_THRESHOLDS[currency]
    title = f"Managed volume of at least {money(threshold, currency)} a year"
    if managed >= threshold:
        return Criterion(
            "volume", title, Verdict.MET, f"You manage {money(managed, currency)} a year."
        )
    return Criterion(
        "volume",
        title,
        Verdict.NOT_MET,
        f"You manage {money(managed, currency)} a year; "
        f"{money(threshold - managed, currency)} more is needed.",
    )


def volume_progress(currency: str, managed: Decimal) -> int:
    """Percent of the threshold reached, 0 to 100, for the progress bar."""
    return min(100, int(managed * 100 / VOLUME_THRESHOLDS[currency]))


# --- 4. commitments, 5. not an affiliate -----------------------------------------------------


def commitments_criterion(accepted: set[str]) -> Criterion:
    missing = [text for key, text in COMMITMENTS.items() if key not in accepted]
    title = "The programme's commitments"
    if not missing:
        return Criterion("commitments", title, Verdict.MET, "All four are accepted.")
    return Criterion("commitments", title, Verdict.NOT_MET, f"{len(missing)} of 4 still to accept.")


def affiliate_criterion(is_affiliate: bool) -> Criterion:
    title = "Not an affiliate"
    if is_affiliate:
        return Criterion(
            "affiliate",
            title,
            Verdict.NOT_MET,
            "An organisation cannot be partner and affiliate at once.",
        )
    return Criterion("affiliate", title, Verdict.MET, "You are not an affiliate.")


def outcome(criteria: list[Criterion]) -> Verdict:
    """MET when all hold; REVIEW when the only doubt is one a person must settle."""
    verdicts = {criterion.verdict for criterion in criteria}
    if verdicts == {Verdict.MET}:
        return Verdict.MET
    if Verdict.NOT_MET in verdicts:
        return Verdict.NOT_MET
    return Verdict.REVIEW


# --- the whole checklist ---------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    """What the five criteria are judged on: the organisation's details (as stored, or as
    being typed), its latest check of that website, its managed volume and its commitments."""

    country: str
    currency: str
    registration_number: str
    vat_number: str
    website: str
    website_check: WebsiteCheck | None
    managed: Decimal
    commitments: frozenset[str]
    is_affiliate: bool
    website_problem: str | None = None


def checklist(application: Application) -> list[Criterion]:
    return [
        registration_criterion(
            application.country, application.registration_number, application.vat_number
        ),
        website_criterion(
            application.website, application.website_check, application.website_problem
        ),
        volume_criterion(application.currency, application.managed),
        commitments_criterion(set(application.commitments)),
        affiliate_criterion(application.is_affiliate),
    ]


# --- statuses --------------------------------------------------------------------------------


def status_after_application(
    status: PartnerStatus, verdict: Verdict, *, rejected_before: bool
) -> PartnerStatus:
    """Where an application leads. All criteria met: active at once — unless staff rejected
    this organisation before, in which case a person looks again. Only a doubt a person
    must settle: review. Anything missing: applicant, who sees what is missing. A partner
    stays one (a flagged partner that meets everything again is active again)."""
    if status in PARTNERS:
        return PartnerStatus.ACTIVE if verdict is Verdict.MET else status
    if verdict is Verdict.NOT_MET:
        return PartnerStatus.APPLICANT
    if verdict is Verdict.REVIEW or rejected_before:
        return PartnerStatus.REVIEW
    return PartnerStatus.ACTIVE


def status_after_yearly_review(
    status: PartnerStatus, currency: str, managed: Decimal
) -> PartnerStatus:
    """Active partners below the volume threshold are flagged; flagged ones that reached it
    again are active again; nobody else changes."""
    reached = managed >= VOLUME_THRESHOLDS[currency]
    if status is PartnerStatus.ACTIVE and not reached:
        return PartnerStatus.FLAGGED
    if status is PartnerStatus.FLAGGED and reached:
        return PartnerStatus.ACTIVE
    return status


class StaffVerdict(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewDecision(StrEnum):
    """What the staff_decision table records: a staff verdict, or the yearly review's flag."""

    APPROVED = "approved"
    REJECTED = "rejected"
    FLAGGED = "flagged"  # below the volume threshold at the yearly review
    CLEARED = "cleared"  # back above it


def status_after_staff_decision(status: PartnerStatus, decision: StaffVerdict) -> PartnerStatus:
    """Staff decide applications under review and flagged partners: approving makes (or
    keeps) the organisation an active partner, rejecting takes it out of the programme."""
    if status not in {PartnerStatus.REVIEW, PartnerStatus.FLAGGED}:
        raise ValueError(f"nothing to decide for an organisation that is {status}")
    if decision is StaffVerdict.APPROVED:
        return PartnerStatus.ACTIVE
    return PartnerStatus.REJECTED


def may_become_affiliate(status: PartnerStatus) -> bool:
    """An organisation cannot be partner and affiliate at once (docs/rules.md, The partner
    programme, criterion 5)."""
    return status not in PARTNERS


# --- the website check: how long a result counts, which addresses are never fetched ----------

ANSWERED_CHECK_COUNTS_FOR = timedelta(days=1)
# A failure is kept briefly: the applicant may be fixing the site right now.
FAILED_CHECK_COUNTS_FOR = timedelta(minutes=1)


def check_is_fresh(check: WebsiteCheck, now: datetime) -> bool:
    lifetime = ANSWERED_CHECK_COUNTS_FOR if check.answered else FAILED_CHECK_COUNTS_FOR
    return now - check.checked_at < lifetime


def answers(status_code: int) -> bool:
    """Any HTTP answer below 500 shows a live server (a 403 or 404 page is still a site)."""
    return status_code < 500


PRIVATE_ADDRESS_PROBLEM = "Private and local addresses are not checked; enter your public website."


def website_address(typed: str, *, allow_private: bool = False) -> tuple[str, str | None]:
    """The website as stored (https:// added when no scheme was typed), or why it cannot be
    checked. A web address has a domain name; with ALLOW_PRIVATE, an IP address or localhost
    is accepted too (a local test server). A private or local address (an IP address of a
    private network, a name such as intranet.local) is not checked, and the problem says so."""
    website, problem = normalise_website(typed)
    try:
        parts = urlsplit(website)
        host, _port = parts.hostname or "", parts.port
    except ValueError:
        return website, problem
    if parts.scheme not in {"http", "https"} or parts.username:
        return website, problem
    if allow_private:
        return website, None if problem and _is_ip_or_localhost(host) else problem
    if is_local_name(host) or (_is_ip_or_localhost(host) and _refused_host(host)):
        return website, PRIVATE_ADDRESS_PROBLEM
    return website, problem


def _refused_host(host: str) -> bool:
    return host == "localhost" or refused_address(host)


def _is_ip_or_localhost(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
