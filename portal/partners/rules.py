"""Eligibility to the partner programme (SPEC §2): five criteria, each ticked or not with
its reason. Pure: the website check and the managed volume are measured elsewhere and handed
in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

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
    if vat_number and _valid_eu_vat(vat_number):
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


def _valid_eu_vat(number: str) -> bool:
    from stdnum.eu import vat

    return vat.is_valid(number)


def valid_eu_vat_number(number: str) -> bool:
    """For VAT: an EU company with a valid intra-community number is reverse-charged."""
    return bool(number.strip()) and _valid_eu_vat(number)


# --- 2. an active website --------------------------------------------------------------------


@dataclass(frozen=True)
class WebsiteCheck:
    url: str
    answered: bool
    detail: str
    checked_at: datetime


def website_criterion(website: str, check: WebsiteCheck | None) -> Criterion:
    title = "An active website"
    if not website:
        return Criterion("website", title, Verdict.NOT_MET, "Enter your website's address.")
    if check is None or check.url != website:
        return Criterion("website", title, Verdict.NOT_MET, "Checking whether it answers…")
    if check.answered:
        return Criterion("website", title, Verdict.MET, f"{website} answered ({check.detail}).")
    return Criterion(
        "website", title, Verdict.NOT_MET, f"{website} did not answer ({check.detail})."
    )


# --- 3. managed volume -----------------------------------------------------------------------


def volume_criterion(currency: str, managed: Decimal) -> Criterion:
    threshold = VOLUME_THRESHOLDS[currency]
    title = f"Managed volume of at least {currency} {threshold:,.2f} a year"
    if managed >= threshold:
        return Criterion(
            "volume", title, Verdict.MET, f"You manage {currency} {managed:,.2f} a year."
        )
    return Criterion(
        "volume",
        title,
        Verdict.NOT_MET,
        f"You manage {currency} {managed:,.2f} a year; "
        f"{currency} {threshold - managed:,.2f} more is needed.",
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
