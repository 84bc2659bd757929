"""Applying to the programme and deciding about partners (docs/rules.md, The partner programme): the
live checklist, the application, the background website check that may complete it, staff decisions
and the yearly review. Each status change is written in one transaction under a lock on the
organisation, audited in its log, and mailed to its legal representatives: the mails are queued in
that transaction, so they leave once the change is committed, never for one rolled back."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from portal.access import Action, StaffResource, require
from portal.audit.services import Who, record
from portal.audit.services import who_of as _who
from portal.billing.queries import managed_clients, managed_volume
from portal.core.current import Current
from portal.core.enums import PartnerStatus
from portal.core.urls import page_url
from portal.errors import Conflict, FormErrors, NotFound
from portal.formatting import money
from portal.mail.services import Mail, queue_mail
from portal.partners import queries, rules, website
from portal.partners.forms import Entered
from portal.partners.rules import (
    COMMITMENTS,
    TERMS_VERSION,
    VOLUME_THRESHOLDS,
    Criterion,
    ReviewDecision,
    StaffVerdict,
    Verdict,
    may_become_affiliate,
)
from portal.piccolo_conf import DB
from portal.settings import Settings

log = logging.getLogger(__name__)

AUTOMATIC = Who(None, "Partner Portal")  # changes no person made: a check, the yearly review


def _now() -> datetime:
    return datetime.now(UTC)


def _staff(current: Current) -> Who:
    return Who(current.user_id, f"{current.full_name} (programme staff)")


# --- the checklist -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checklist:
    organisation: dict
    criteria: list[Criterion]
    verdict: Verdict
    managed: Decimal
    clients: list[dict]
    client_count: int
    accepted: dict[str, dict] = field(default_factory=dict)  # commitments stored, with when

    @property
    def currency(self) -> str:
        return self.organisation["currency"]

    @property
    def threshold(self) -> Decimal:
        return VOLUME_THRESHOLDS[self.currency]

    @property
    def progress(self) -> int:
        return rules.volume_progress(self.currency, self.managed)

    @property
    def pending(self) -> bool:
        return any(criterion.pending for criterion in self.criteria)

    @property
    def status(self) -> PartnerStatus:
        return PartnerStatus(self.organisation["partner_status"])

    def criterion(self, key: str) -> Criterion:
        return next(criterion for criterion in self.criteria if criterion.key == key)


def stored_entry(organisation: dict) -> Entered:
    """The application as the organisation's stored details make it."""
    website_value, problem = rules.website_address(
        organisation["website"], allow_private=website.private_addresses_allowed()
    )
    return Entered(
        organisation["registration_number"],
        organisation["vat_number"],
        website_value,
        problem,
        frozenset(),
    )


async def evaluate(
    organisation: dict,
    entered: Entered | None = None,
    *,
    fresh_only: bool = True,
    start_checks: bool = False,
    settings: Settings | None = None,
) -> Checklist:
    """The five criteria for ORGANISATION, judged on what is ENTERED (or else stored). An
    old website check counts only without FRESH_ONLY (staff reading the history); with
    START_CHECKS, an address without a fresh result is checked in the background."""
    organisation_id, currency = organisation["id"], organisation["currency"]
    entered = entered or stored_entry(organisation)
    accepted = await queries.accepted_commitments(organisation_id, TERMS_VERSION)
    check = None
    if entered.website and not entered.website_problem:
        check = await queries.latest_website_check(organisation_id, entered.website)
        if check is not None and fresh_only and not rules.check_is_fresh(check, _now()):
            check = None
        if check is None and start_checks:
            _start_website_check(organisation_id, entered.website, settings)
    managed, client_count, clients = await managed_clients(organisation_id)
    criteria = rules.checklist(
        rules.Application(
            country=organisation["country"],
            currency=currency,
            registration_number=entered.registration_number,
            vat_number=entered.vat_number,
            website=entered.website,
            website_check=check,
            managed=managed,
            commitments=frozenset(accepted) | entered.commitments,
            is_affiliate=organisation["is_affiliate"],
            website_problem=entered.website_problem,
        )
    )
    return Checklist(
        organisation=organisation,
        criteria=criteria,
        verdict=rules.outcome(criteria),
        managed=managed,
        clients=clients,
        client_count=client_count,
        accepted=accepted,
    )


def _start_website_check(organisation_id: int, url: str, settings: Settings | None) -> None:
    async def complete_application(result: rules.WebsiteCheck) -> None:
        if settings is not None and result.answered:
            await reevaluate(settings, organisation_id)

    website.start_check(organisation_id, url, complete_application)


async def checklist_of(
    current: Current, entered: Entered | None, settings: Settings, *, start_checks: bool = True
) -> Checklist:
    """The live checklist: judged on what the applicant types; others see the stored one.
    A refused submission passes START_CHECKS false: it shows the checklist, writing nothing."""
    resource = current.organisation_resource()
    require(current.actor, Action.VIEW_PROGRAMME, resource)
    organisation = await queries.organisation(resource.organisation_id)
    if organisation is None:
        raise NotFound()
    return await evaluate(organisation, entered, start_checks=start_checks, settings=settings)


# --- applying ----------------------------------------------------------------------------------


async def apply(settings: Settings, current: Current, entered: Entered) -> Checklist:
    """Store the details and commitments, judge the application and move the organisation
    to where it leads: active (all met), review (a person must decide) or applicant."""
    resource = current.organisation_resource()
    require(current.actor, Action.APPLY_TO_PROGRAMME, resource)
    now = _now()
    async with DB.transaction():
        organisation = await queries.lock_organisation(resource.organisation_id)
        if organisation is None:
            raise NotFound()
        if organisation["is_affiliate"]:
            raise FormErrors(
                {
                    "affiliate": "An affiliate cannot apply: an organisation cannot be partner "
                    "and affiliate at once."
                }
            )
        await queries.save_details(
            organisation["id"], entered.registration_number, entered.vat_number, entered.website
        )
        new = [
            key
            for key in COMMITMENTS
            if key in entered.commitments
            and await queries.accept_commitment(
                organisation["id"], key, TERMS_VERSION, current.user_id, now
            )
        ]
        organisation = {
            **organisation,
            "registration_number": entered.registration_number,
            "vat_number": entered.vat_number,
            "website": entered.website,
        }
        checklist = await evaluate(organisation, entered)
        before = PartnerStatus(organisation["partner_status"])
        rejected_before = await queries.was_rejected(organisation["id"])
        after = rules.status_after_application(
            before, checklist.verdict, rejected_before=rejected_before
        )
        await record(
            organisation["id"],
            _who(current),
            "programme.applied",
            organisation["name"],
            after={
                "registration_number": entered.registration_number,
                "vat_number": entered.vat_number,
                "website": entered.website,
                "commitments_accepted": new,
                "terms_version": TERMS_VERSION,
                "missing": [c.key for c in checklist.criteria if not c.met],
            },
        )
        await _change_status(organisation, before, after, _who(current))
        if after is PartnerStatus.ACTIVE and checklist.verdict is Verdict.MET:
            await _approve_registration(organisation)
        await _announce(settings, organisation, before, after)
    if checklist.pending:
        _start_website_check(organisation["id"], entered.website, settings)
    return replace(checklist, organisation={**organisation, "partner_status": after})


async def reevaluate(settings: Settings, organisation_id: int) -> PartnerStatus | None:
    """An applicant's stored application judged again (its website answered in the
    meantime): it completes without the applicant having to submit again."""
    async with DB.transaction():
        organisation = await queries.lock_organisation(organisation_id)
        if organisation is None or organisation["partner_status"] != PartnerStatus.APPLICANT:
            return None
        checklist = await evaluate(organisation)
        before = PartnerStatus.APPLICANT
        after = rules.status_after_application(
            before, checklist.verdict, rejected_before=await queries.was_rejected(organisation_id)
        )
        await _change_status(organisation, before, after, AUTOMATIC)
        if after is PartnerStatus.ACTIVE:
            await _approve_registration(organisation)
        await _announce(settings, organisation, before, after)
    return after


async def _change_status(
    organisation: dict, before: PartnerStatus, after: PartnerStatus, who: Who, reason: str = ""
) -> None:
    if before is after:
        return
    await queries.set_status(organisation["id"], after)
    details = {"status": after.value} | ({"reason": reason} if reason else {})
    await record(
        organisation["id"],
        who,
        "programme.status_changed",
        organisation["name"],
        before={"status": before.value},
        after=details,
    )


async def _approve_registration(organisation: dict) -> None:
    """The programme approves the organisation's numbers as they stand: every criterion met,
    or a person of the host deciding. The directory's badge is awarded for these numbers
    only (a number changed later loses it); clearing a flag at the yearly review is about
    volume and approves nothing."""
    await queries.approve_registration(
        organisation["id"], organisation["registration_number"], organisation["vat_number"], _now()
    )


ANNOUNCEMENTS = {
    PartnerStatus.ACTIVE: (
        "Welcome to the partner programme",
        "{name} is now an active partner of the programme. You can invite clients, manage "
        "their products and earn cashback from now on.",
    ),
    PartnerStatus.REVIEW: (
        "Your application is being reviewed",
        "The application of {name} to the partner programme needs a person's decision. "
        "Our team will review it and write to you.",
    ),
    PartnerStatus.FLAGGED: (
        "Your managed volume is below the programme's threshold",
        "At the yearly review, the products {name} manages came to {managed} a year, below "
        "the threshold of {threshold}. Your partnership is flagged; it is cleared once the "
        "volume reaches the threshold again.",
    ),
    PartnerStatus.REJECTED: (
        "Your partner programme status",
        "The programme's team decided that {name} cannot be a partner at this time.{reason}",
    ),
}


async def _announce(
    settings: Settings,
    organisation: dict,
    before: PartnerStatus,
    after: PartnerStatus,
    **values: str,
) -> None:
    """Mail the legal representatives about a status change, in its transaction."""
    if before is after or after not in ANNOUNCEMENTS:
        return
    subject, text = ANNOUNCEMENTS[after]
    if before is PartnerStatus.FLAGGED and after is PartnerStatus.ACTIVE:
        subject, text = (
            "Your partnership is in good standing again",
            "{name} reaches the programme's volume threshold again: the flag is cleared.",
        )
    body = text.format(name=organisation["name"], **{"reason": "", **values})
    body += f"\n\n{page_url(settings, 'partners.programme')}\n"
    for email in await queries.legal_representative_emails(organisation["id"]):
        await queue_mail(Mail(email, subject, body))


# --- staff -------------------------------------------------------------------------------------


async def staff_overview(current: Current) -> dict[str, list[Checklist]]:
    """Applications to review and flagged partners, each with its checklist as stored."""
    require(current.actor, Action.STAFF_REVIEW, StaffResource())
    overview = {}
    for status in (PartnerStatus.REVIEW, PartnerStatus.FLAGGED):
        overview[status.value] = [
            await evaluate(organisation, fresh_only=False)
            for organisation in await queries.organisations_with_status(status)
        ]
    return overview


async def staff_view(current: Current, organisation_id: int) -> tuple[Checklist, list[dict]]:
    require(current.actor, Action.STAFF_REVIEW, StaffResource())
    organisation = await queries.organisation(organisation_id)
    if organisation is None or organisation["partner_status"] == PartnerStatus.NONE:
        raise NotFound()
    checklist = await evaluate(organisation, fresh_only=False)
    return checklist, await queries.staff_decisions(organisation_id)


async def decide(
    settings: Settings,
    current: Current,
    organisation_id: int,
    verdict: StaffVerdict,
    reason: str,
) -> PartnerStatus:
    """Staff approve or reject an application under review, or a flagged partner."""
    require(current.actor, Action.STAFF_REVIEW, StaffResource())
    if verdict is StaffVerdict.REJECTED and not reason:
        raise FormErrors({"reason": "Say why: the organisation reads it."})
    async with DB.transaction():
        organisation = await queries.lock_organisation(organisation_id)
        if organisation is None or organisation["partner_status"] == PartnerStatus.NONE:
            raise NotFound()
        before = PartnerStatus(organisation["partner_status"])
        if before not in {PartnerStatus.REVIEW, PartnerStatus.FLAGGED}:
            raise Conflict(
                f"There is nothing to decide: {organisation['name']} is {before.label.lower()}."
            )
        if verdict is StaffVerdict.APPROVED and organisation["is_affiliate"]:
            raise Conflict("An affiliate cannot be a partner: it must stop being one first.")
        after = rules.status_after_staff_decision(before, verdict)
        await queries.insert_staff_decision(
            organisation_id, verdict.value, reason, current.user_id, _now()
        )
        await _change_status(organisation, before, after, _staff(current), reason)
        if verdict is StaffVerdict.APPROVED:
            await _approve_registration(organisation)
        explained = f"\n\nTheir reason: {reason}" if reason else ""
        await _announce(settings, organisation, before, after, reason=explained)
    return after


# --- the yearly review -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewChange:
    organisation_id: int
    name: str
    before: PartnerStatus
    after: PartnerStatus
    managed: Decimal
    currency: str


async def review_partners(settings: Settings, now: datetime) -> list[ReviewChange]:
    """Flag active partners whose managed volume fell below the threshold; clear the flag of
    those that reached it again. Returns the changes made."""
    changes = []
    for partner in await queries.partners_to_review():
        change = await _review_partner(settings, partner["id"], now)
        if change is not None:
            changes.append(change)
    return changes


async def _review_partner(
    settings: Settings, organisation_id: int, now: datetime
) -> ReviewChange | None:
    async with DB.transaction():
        organisation = await queries.lock_organisation(organisation_id)
        if organisation is None:
            return None
        currency = organisation["currency"]
        managed, _ = await managed_volume(organisation_id)
        before = PartnerStatus(organisation["partner_status"])
        after = rules.status_after_yearly_review(before, currency, managed)
        if before is after:
            return None
        reason = (
            f"Yearly review of {now:%d %b %Y}: managed volume {money(managed, currency)} a year, "
            f"threshold {money(VOLUME_THRESHOLDS[currency], currency)}."
        )
        decision = (
            ReviewDecision.FLAGGED if after is PartnerStatus.FLAGGED else ReviewDecision.CLEARED
        )
        await queries.insert_staff_decision(organisation_id, decision, reason, None, now)
        await _change_status(organisation, before, after, AUTOMATIC, reason)
        await _announce(
            settings,
            organisation,
            before,
            after,
            managed=money(managed, currency),
            threshold=money(VOLUME_THRESHOLDS[currency], currency),
        )
    return ReviewChange(organisation_id, organisation["name"], before, after, managed, currency)


# --- the affiliate programme ---------------------------------------------------------------


async def join_affiliate_programme(current: Current) -> None:
    """Become an affiliate: earn commissions on the customers one refers (docs/rules.md, Money);
    never while a partner of the programme (docs/rules.md, The partner programme, criterion 5)."""
    resource = current.organisation_resource()
    require(current.actor, Action.JOIN_AFFILIATE_PROGRAMME, resource)
    async with DB.transaction():
        organisation = await queries.lock_organisation(resource.organisation_id)
        if organisation["is_affiliate"]:
            raise Conflict("Your organisation is an affiliate already.")
        if not may_become_affiliate(PartnerStatus(organisation["partner_status"])):
            raise Conflict(
                "A partner of the programme cannot be an affiliate: an organisation cannot be "
                "partner and affiliate at once."
            )
        await queries.make_affiliate(resource.organisation_id)
        await record(resource.organisation_id, _who(current), "affiliate.joined")
