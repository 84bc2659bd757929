"""Reading the application form (the organisation's details and the commitments ticked) and
the staff's programme settings (tier and volume-discount tables).

Two kinds of problem: input that cannot be used at all (control characters, too long, an
unknown commitment) is a field error at once; a number or address that is not valid *yet* is
only an unmet criterion while the applicant types, and a field error when they submit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from portal.billing import rules as billing_rules
from portal.forms import Form, read_amount
from portal.organisations.rules import registration_number_problem, vat_number_problem
from portal.partners.rules import COMMITMENTS, StaffVerdict, website_address


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


# --- the programme's settings (staff) ---------------------------------------------------------

NO_VOLUME_STEP = "Give at least one step, or end the volume discount with “No volume discount”."


def tier_rows(form: Form, currency: str) -> list[billing_rules.Tier]:
    names = form.values(f"{currency}_name")
    rates = form.values(f"{currency}_rate")
    thresholds = form.values(f"{currency}_threshold")
    tiers = []
    for name, rate, threshold in zip(names, rates, thresholds, strict=False):
        if not name.strip():
            continue
        tiers.append(
            billing_rules.Tier(
                form.checked("tiers", name, max_length=billing_rules.TIER_NAME_MAX, is_name=True),
                _percent(form, "tiers", rate),
                _decimal(form, "tiers", threshold),
            )
        )
    return tiers


def _decimal(form: Form, field: str, raw: str) -> Decimal:
    """An amount in a cell of a table: its problem names what was typed."""
    value = read_amount(raw, decimals=2)
    if isinstance(value, str):
        form.add(field, f"“{raw.strip()[:20]}”: {value}")
        return Decimal(0)
    return value


def _percent(form: Form, field: str, raw: str) -> Decimal:
    return (_decimal(form, field, raw) / 100).quantize(Decimal("0.0001"))  # exact: 2 decimals


def _whole(form: Form, field: str, raw) -> int:
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        form.add(field, f"“{raw}” is not a whole number.")
        return 0
    return int(text)


def volume_steps(form: Form) -> list[billing_rules.VolumeStep]:
    steps = []
    for count, rate in zip(form.values("count"), form.values("rate"), strict=False):
        if not str(count).strip():
            continue
        steps.append(
            billing_rules.VolumeStep(_whole(form, "steps", count), _percent(form, "steps", rate))
        )
    return form.whole_set("steps", steps, problem=NO_VOLUME_STEP)


REASON_MAX = 1000
VERDICTS = frozenset(verdict.value for verdict in StaffVerdict)


@dataclass(frozen=True)
class Verdict:
    """The staff's decision on an application, with the reason told to the organisation."""

    decision: StaffVerdict | None
    reason: str


def verdict_from(form: Form) -> Verdict:
    decision = form.choice(
        "decision", {v.value: v for v in StaffVerdict}, label="approve or reject"
    )
    reason = form.text("reason", max_length=REASON_MAX, label="The reason")
    return Verdict(StaffVerdict(decision) if decision in VERDICTS else None, reason)
