"""The programme's services against the real database: applying (commitments stored once per
terms version, with time and person), where an application leads, the yearly review that
flags and clears partners, staff decisions, and the website check completing an application."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from portal.access import Role
from portal.audit.tables import AuditEvent
from portal.errors import Conflict, FormErrors, NotFound
from portal.jobs.rules import MAIL_PRIORITY
from portal.mail.tables import OutboxMail
from portal.organisations.tables import Organisation
from portal.partners import queries, services, website
from portal.partners.forms import Entered
from portal.partners.rules import COMMITMENTS, TERMS_VERSION, StaffVerdict
from portal.partners.rules import WebsiteCheck as CheckResult
from portal.partners.tables import CommitmentAcceptance, StaffDecision, WebsiteCheck
from tests.factories.mail import delivered_by_the_worker, queued_mails_to
from tests.factories.partners import (
    SETTINGS,
    VALID_UID,
    linked_client,
    organisation,
    person,
    status_of,
)

ALL = frozenset(COMMITMENTS)


def entered(
    registration: str = VALID_UID,
    website_url: str = "https://muster-web.example",
    commitments=ALL,
    vat: str = "",
) -> Entered:
    return Entered(registration, vat, website_url, None, frozenset(commitments))


async def answered_check(organisation_id: int, url: str, *, answered=True, age=timedelta(0)):
    await queries.insert_website_check(
        organisation_id, CheckResult(url, answered, "HTTP 200", datetime.now(UTC) - age)
    )


async def audit_actions(organisation_id: int) -> list[str]:
    rows = (
        await AuditEvent.select(AuditEvent.action)
        .where(AuditEvent.organisation == organisation_id)
        .order_by(AuditEvent.id)
    )
    return [row["action"] for row in rows]


async def mails_to(email: str) -> list[dict]:
    return await OutboxMail.select().where(OutboxMail.recipient == email).order_by(OutboxMail.id)


async def a_partner_ready_to_apply(catalogue, name="Muster Web AG", price="2000.00"):
    """An organisation whose website answered and that manages PRICE a year."""
    organisation_id = await organisation(name)
    current = await person(organisation_id, f"legal@{name.split()[0].lower()}.ch")
    await answered_check(organisation_id, "https://muster-web.example")
    offer = await catalogue.offer(CHF=price)
    await linked_client(organisation_id, f"Client of {name}", offer)
    return organisation_id, current


# --- commitments -------------------------------------------------------------------------------


async def test_each_commitment_is_stored_once_per_terms_version_with_time_and_person(
    db, catalogue, monkeypatch
):
    organisation_id, current = await a_partner_ready_to_apply(catalogue)
    before = datetime.now(UTC)
    await services.apply(SETTINGS, current, entered(commitments={"supports_clients"}))
    await services.apply(SETTINGS, current, entered())  # the first stays, three are added
    rows = await CommitmentAcceptance.select().where(
        CommitmentAcceptance.organisation == organisation_id
    )
    assert sorted(row["commitment"] for row in rows) == sorted(COMMITMENTS)
    assert {row["terms_version"] for row in rows} == {TERMS_VERSION}
    assert {row["accepted_by"] for row in rows} == {current.user_id}
    assert all(before <= row["accepted_at"] <= datetime.now(UTC) for row in rows)
    first = next(row for row in rows if row["commitment"] == "supports_clients")
    assert first["accepted_at"] < min(
        row["accepted_at"] for row in rows if row["commitment"] != "supports_clients"
    )

    monkeypatch.setattr(services, "TERMS_VERSION", "2027-01")  # new terms: accepted anew
    await services.apply(SETTINGS, current, entered())
    versions = await CommitmentAcceptance.select(CommitmentAcceptance.terms_version).where(
        CommitmentAcceptance.organisation == organisation_id
    )
    assert sorted(row["terms_version"] for row in versions) == ["2026-01"] * 4 + ["2027-01"] * 4


async def test_the_database_keeps_one_acceptance_per_commitment_and_version(db, database_url):
    organisation_id = await organisation("Muster Web AG")
    connection = await asyncpg.connect(database_url)
    try:
        insert = (
            "INSERT INTO commitment_acceptance (organisation, commitment, terms_version, "
            "accepted_at) VALUES ($1, 'reseller_terms', $2, now())"
        )
        await connection.execute(insert, organisation_id, TERMS_VERSION)
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(insert, organisation_id, TERMS_VERSION)
    finally:
        await connection.close()


# --- where an application leads ----------------------------------------------------------------


async def test_all_criteria_met_make_an_active_partner_audited_and_mailed(db, catalogue):
    organisation_id, current = await a_partner_ready_to_apply(catalogue)
    checklist = await services.apply(SETTINGS, current, entered())
    assert checklist.status == "active"
    assert await status_of(organisation_id) == "active"
    assert await audit_actions(organisation_id) == ["programme.applied", "programme.status_changed"]
    stored = await Organisation.select().where(Organisation.id == organisation_id).first()
    assert stored["registration_number"] == VALID_UID
    assert stored["website"] == "https://muster-web.example"
    (welcome,) = await mails_to(current.email)
    assert welcome["subject"] == "Welcome to the partner programme"


async def test_one_franc_short_of_the_volume_makes_an_applicant_who_sees_what_is_missing(
    db, catalogue
):
    organisation_id, current = await a_partner_ready_to_apply(catalogue, price="1999.99")
    checklist = await services.apply(SETTINGS, current, entered())
    assert await status_of(organisation_id) == "applicant"
    assert [c.key for c in checklist.criteria if not c.met] == ["volume"]
    assert "0.01 more" in checklist.criterion("volume").reason
    assert await mails_to(current.email) == []


async def test_a_register_the_portal_cannot_check_goes_to_a_person(db, catalogue):
    organisation_id = await organisation("Acme Inc", country="US")
    current = await person(organisation_id, "legal@acme.example")
    await answered_check(organisation_id, "https://muster-web.example")
    await linked_client(organisation_id, "Client", await catalogue.offer(CHF="2400.00"))
    await services.apply(SETTINGS, current, entered(registration="12-3456789"))
    assert await status_of(organisation_id) == "review"


async def test_after_a_rejection_even_a_complete_application_is_reviewed(db, catalogue):
    organisation_id, current = await a_partner_ready_to_apply(catalogue)
    await Organisation.update({Organisation.partner_status: "rejected"}).where(
        Organisation.id == organisation_id
    )
    await queries.insert_staff_decision(
        organisation_id, "rejected", "Unknown company", None, datetime.now(UTC)
    )
    await services.apply(SETTINGS, current, entered())
    assert await status_of(organisation_id) == "review"


async def test_an_old_website_check_does_not_count(db, catalogue):
    organisation_id = await organisation("Muster Web AG")
    current = await person(organisation_id, "legal@muster.ch")
    await answered_check(organisation_id, "https://muster-web.example", age=timedelta(days=2))
    await linked_client(organisation_id, "Client", await catalogue.offer(CHF="2000.00"))
    checklist = await services.apply(SETTINGS, current, entered())
    assert checklist.criterion("website").pending
    assert await status_of(organisation_id) == "applicant"


async def test_only_a_legal_representative_applies(db):
    organisation_id = await organisation("Muster Web AG")
    administrator = await person(organisation_id, "admin@muster.ch", Role.ADMINISTRATOR)
    from portal.errors import Forbidden

    with pytest.raises(Forbidden):
        await services.apply(SETTINGS, administrator, entered())
    assert await CommitmentAcceptance.count() == 0


async def test_an_affiliate_cannot_apply_and_a_partner_cannot_become_an_affiliate(db, database_url):
    affiliate_id = await organisation("Affi GmbH", is_affiliate=True)
    current = await person(affiliate_id, "legal@affi.ch")
    with pytest.raises(FormErrors) as refused:
        await services.apply(SETTINGS, current, entered())
    assert "affiliate" in refused.value.errors
    assert await status_of(affiliate_id) == "none"
    assert await CommitmentAcceptance.count() == 0  # nothing of the refused application stays

    partner_id = await organisation("Partner AG", status="active")
    with pytest.raises(asyncpg.CheckViolationError):
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute(
                "UPDATE organisation SET is_affiliate = true WHERE id = $1", partner_id
            )
        finally:
            await connection.close()


# --- the website check ------------------------------------------------------------------------


async def test_a_website_that_answers_completes_an_applicant_by_itself(
    db, catalogue, local_site, private_checks
):
    organisation_id = await organisation("Muster Web AG")
    current = await person(organisation_id, "legal@muster.ch")
    await linked_client(organisation_id, "Client", await catalogue.offer(CHF="2000.00"))
    checklist = await services.apply(SETTINGS, current, entered(website_url=local_site.url))
    assert checklist.status == "applicant" and checklist.pending  # the check runs meanwhile
    assert website.running(organisation_id, local_site.url)
    await website.settle()
    check = await queries.latest_website_check(organisation_id, local_site.url)
    assert check.answered and check.detail == "HTTP 200"
    assert await status_of(organisation_id) == "active"
    actions = await audit_actions(organisation_id)
    assert actions[-1] == "programme.status_changed"
    (welcome,) = await queued_mails_to(current.email)  # queued with the change, for the worker
    assert "active partner" in welcome["body"] and welcome["priority"] == MAIL_PRIORITY


@pytest.mark.parametrize(
    ("path", "answered", "detail"),
    [
        ("/", True, "HTTP 200"),
        ("/missing", True, "HTTP 404"),  # a page that is missing still comes from a live site
        ("/moved", True, "HTTP 200"),  # redirects are followed
        ("/broken", False, "HTTP 500"),
        ("/loop", False, "too many redirects"),
    ],
)
async def test_what_counts_as_answering(db, local_site, private_checks, path, answered, detail):
    organisation_id = await organisation("Muster Web AG")
    result = await website.check_and_store(organisation_id, local_site.at(path))
    assert (result.answered, result.detail) == (answered, detail)
    stored = await WebsiteCheck.select().where(WebsiteCheck.organisation == organisation_id)
    assert [(row["url"], row["answered"]) for row in stored] == [(local_site.at(path), answered)]
    assert datetime.now(UTC) - stored[0]["checked_at"] < timedelta(seconds=30)


async def test_nothing_listening_does_not_answer(db, closed_port, private_checks):
    result = await website.probe(f"http://127.0.0.1:{closed_port}/")
    assert not result.answered
    assert result.detail == "the connection failed"


async def test_a_slow_site_times_out(db, local_site, private_checks, monkeypatch):
    monkeypatch.setattr(website, "TIMEOUT", 0.3)
    result = await website.probe(local_site.at("/slow"))
    assert not result.answered and result.detail.startswith("no answer within")


async def test_the_server_refuses_to_fetch_private_addresses(db, local_site, monkeypatch):
    monkeypatch.delenv("PORTAL_ALLOW_PRIVATE_WEBSITE_CHECKS", raising=False)
    for url in (local_site.url, "http://localhost:9/", "http://[::1]:9/", "http://10.1.2.3/"):
        result = await website.probe(url)
        assert (result.answered, result.detail) == (False, "refused: not a public address"), url
    monkeypatch.setenv("PORTAL_ALLOW_PRIVATE_WEBSITE_CHECKS", "1")
    assert (await website.probe("http://169.254.169.254/")).detail == (
        "refused: not a public address"  # cloud metadata: never, whatever the setting
    )


async def test_one_check_at_a_time_per_address(db, local_site, private_checks):
    organisation_id = await organisation("Muster Web AG")
    assert website.start_check(organisation_id, local_site.at("/slow"))
    assert website.start_check(organisation_id, local_site.at("/slow"))  # joins the running one
    await website.settle()
    assert await WebsiteCheck.count().where(WebsiteCheck.organisation == organisation_id) == 1


# --- the yearly review ------------------------------------------------------------------------


async def test_the_yearly_review_flags_partners_below_the_threshold_and_clears_recovered_ones(
    db, catalogue, mail_settings, smtp
):
    below = await organisation("Below AG", status="active")
    await person(below, "legal@below.ch")
    await linked_client(below, "Small client", await catalogue.offer(CHF="1999.99"))
    enough = await organisation("Enough AG", status="active")
    await linked_client(enough, "Big client", await catalogue.offer(CHF="2000.00"))
    recovered = await organisation("Recovered SARL", country="FR", currency="EUR", status="flagged")
    await person(recovered, "legal@recovered.fr")
    await linked_client(
        recovered, "Client FR", await catalogue.offer(EUR="1800.00"), currency="EUR"
    )
    still_low = await organisation("Still low SARL", country="FR", currency="EUR", status="flagged")
    await linked_client(still_low, "Tiny FR", await catalogue.offer(EUR="1799.99"), currency="EUR")
    applicant = await organisation("Applicant AG", status="applicant")

    now = datetime(2027, 1, 31, tzinfo=UTC)
    changes = await services.review_partners(SETTINGS, now)

    assert {(c.name, c.before, c.after) for c in changes} == {
        ("Below AG", "active", "flagged"),
        ("Recovered SARL", "flagged", "active"),
    }
    assert [await status_of(i) for i in (below, enough, recovered, still_low, applicant)] == [
        "flagged",
        "active",
        "active",
        "flagged",
        "applicant",
    ]
    decisions = await StaffDecision.select().order_by(StaffDecision.id)
    assert [(d["organisation"], d["decision"], d["decided_by"]) for d in decisions] == [
        (below, "flagged", None),
        (recovered, "cleared", None),
    ]
    assert decisions[0]["decided_at"] == now
    assert "CHF\xa01’999.99" in decisions[0]["reason"]
    assert await audit_actions(below) == ["programme.status_changed"]
    (flag_mail,) = await mails_to("legal@below.ch")
    assert "below" in flag_mail["subject"] and "CHF\xa01’999.99" in flag_mail["body"]
    (cleared_mail,) = await mails_to("legal@recovered.fr")
    assert "good standing" in cleared_mail["subject"]
    # queued in each partner's transaction; the worker delivers them
    flag_body = await delivered_by_the_worker(mail_settings, smtp, "legal@below.ch", MAIL_PRIORITY)
    assert "CHF\xa01’999.99" in flag_body
    assert "good standing" in smtp.to("legal@recovered.fr")[0]["Subject"]

    assert await services.review_partners(SETTINGS, now) == []  # a second run changes nothing


async def test_products_that_stopped_do_not_count_at_the_review(db, catalogue):
    partner = await organisation("Partner AG", status="active")
    client = await linked_client(partner, "Client", await catalogue.offer(CHF="5000.00"))
    from portal.products.tables import Product

    await Product.update({Product.status: "cancelled"}).where(Product.organisation == client)
    await services.review_partners(SETTINGS, datetime.now(UTC))
    assert await status_of(partner) == "flagged"


# --- staff decisions --------------------------------------------------------------------------


async def test_staff_approve_an_application_under_review(db):
    applicant = await organisation("Acme Inc", country="US", status="review")
    await person(applicant, "legal@acme.example")
    staff = await person(None, "staff@host.example", is_staff=True)
    status = await services.decide(SETTINGS, staff, applicant, StaffVerdict.APPROVED, "")
    assert status == "active" and await status_of(applicant) == "active"
    (decision,) = await StaffDecision.select()
    assert (decision["decision"], decision["decided_by"]) == ("approved", staff.user_id)
    event = await AuditEvent.select().where(AuditEvent.organisation == applicant).first()
    assert event["actor_name"] == "Staff (programme staff)"
    assert json.loads(event["after"])["status"] == "active"
    assert (await mails_to("legal@acme.example"))[0]["subject"] == (
        "Welcome to the partner programme"
    )


async def test_staff_reject_with_a_reason_that_the_organisation_reads(db):
    flagged = await organisation("Flagged AG", status="flagged")
    await person(flagged, "legal@flagged.ch")
    staff = await person(None, "staff@host.example", is_staff=True)
    with pytest.raises(FormErrors):
        await services.decide(SETTINGS, staff, flagged, StaffVerdict.REJECTED, "")
    await services.decide(SETTINGS, staff, flagged, StaffVerdict.REJECTED, "Volume too low")
    assert await status_of(flagged) == "rejected"
    assert "Volume too low" in (await mails_to("legal@flagged.ch"))[0]["body"]


async def test_staff_decide_only_what_waits_and_never_make_an_affiliate_a_partner(db):
    staff = await person(None, "staff@host.example", is_staff=True)
    active = await organisation("Active AG", status="active")
    with pytest.raises(Conflict):
        await services.decide(SETTINGS, staff, active, StaffVerdict.APPROVED, "")
    outsider = await organisation("Outsider AG")
    with pytest.raises(NotFound):
        await services.decide(SETTINGS, staff, outsider, StaffVerdict.APPROVED, "")
    with pytest.raises(NotFound):
        await services.decide(SETTINGS, staff, 987654, StaffVerdict.APPROVED, "")
    affiliate = await organisation("Affi GmbH", is_affiliate=True, status="review")
    with pytest.raises(Conflict):
        await services.decide(SETTINGS, staff, affiliate, StaffVerdict.APPROVED, "")
    assert await StaffDecision.count() == 0


async def test_someone_not_staff_finds_no_staff_area(db):
    applicant = await organisation("Acme Inc", country="US", status="review")
    legal = await person(applicant, "legal@acme.example")
    with pytest.raises(NotFound):
        await services.decide(SETTINGS, legal, applicant, StaffVerdict.APPROVED, "")
    with pytest.raises(NotFound):
        await services.staff_overview(legal)
    assert await status_of(applicant) == "review"


# --- the registration the programme approved ----------------------------------------------------


async def approved_numbers(organisation_id: int) -> tuple[str, str] | None:
    rows = await Organisation.raw(
        "SELECT registration_number, vat_number FROM approved_registration WHERE organisation = {}",
        organisation_id,
    )
    return (rows[0]["registration_number"], rows[0]["vat_number"]) if rows else None


async def test_joining_the_programme_approves_the_numbers_as_they_stand(db, catalogue):
    organisation_id, current = await a_partner_ready_to_apply(catalogue)
    await services.apply(SETTINGS, current, entered(vat="CHE-116.281.710 MWST"))
    assert await approved_numbers(organisation_id) == (VALID_UID, "CHE-116.281.710 MWST")


async def test_an_application_that_falls_short_approves_nothing(db, catalogue):
    organisation_id, current = await a_partner_ready_to_apply(catalogue, price="1999.99")
    await services.apply(SETTINGS, current, entered())
    assert await approved_numbers(organisation_id) is None


async def test_staff_approval_approves_the_numbers_the_staff_saw(db):
    applicant = await organisation(
        "Acme Inc", country="US", status="review", registration_number="12-3456789"
    )
    staff = await person(None, "staff@host.example", is_staff=True)
    await services.decide(SETTINGS, staff, applicant, StaffVerdict.APPROVED, "")
    assert await approved_numbers(applicant) == ("12-3456789", "")


async def test_clearing_a_flag_at_the_yearly_review_approves_no_new_number(db, catalogue):
    """A flagged partner that typed a new number and then reached the volume again is active
    again, but the programme never approved that number."""
    organisation_id, current = await a_partner_ready_to_apply(catalogue)
    await services.apply(SETTINGS, current, entered())
    typed_since = {
        Organisation.partner_status: "flagged",
        Organisation.registration_number: "CHE-109.322.551",
    }
    await Organisation.update(typed_since).where(Organisation.id == organisation_id)
    await services.review_partners(SETTINGS, datetime.now(UTC))
    assert await status_of(organisation_id) == "active"
    assert await approved_numbers(organisation_id) == (VALID_UID, "")
