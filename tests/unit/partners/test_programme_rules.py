"""The programme's pure rules: where an application leads, the yearly review, staff
decisions, the website check's safety and freshness, the form, and who may apply."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.access import Action, Actor, Decision, OrganisationResource, Role, StaffResource, decide
from portal.core.enums import IN_PROGRAMME, PartnerStatus
from portal.partners.forms import application_from
from portal.partners.rules import (
    COMMITMENTS,
    VOLUME_THRESHOLDS,
    Application,
    StaffVerdict,
    Verdict,
    WebsiteCheck,
    answers,
    check_is_fresh,
    checklist,
    may_become_affiliate,
    outcome,
    refused_address,
    status_after_application,
    status_after_staff_decision,
    status_after_yearly_review,
    website_address,
    website_criterion,
)

S = PartnerStatus
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


# --- where an application leads ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict", "rejected_before", "after"),
    [
        (S.NONE, Verdict.MET, False, S.ACTIVE),  # automatic when all hold
        (S.NONE, Verdict.REVIEW, False, S.REVIEW),  # a person settles the doubt
        (S.NONE, Verdict.NOT_MET, False, S.APPLICANT),  # sees what is missing
        (S.APPLICANT, Verdict.MET, False, S.ACTIVE),
        (S.APPLICANT, Verdict.NOT_MET, False, S.APPLICANT),
        (S.REVIEW, Verdict.NOT_MET, False, S.APPLICANT),
        (S.REVIEW, Verdict.REVIEW, False, S.REVIEW),
        (S.REJECTED, Verdict.MET, True, S.REVIEW),  # once rejected, a person looks again
        (S.APPLICANT, Verdict.MET, True, S.REVIEW),
        (S.REJECTED, Verdict.NOT_MET, True, S.APPLICANT),
        (S.ACTIVE, Verdict.NOT_MET, False, S.ACTIVE),  # a partner stays one
        (S.ACTIVE, Verdict.MET, False, S.ACTIVE),
        (S.FLAGGED, Verdict.NOT_MET, False, S.FLAGGED),
        (S.FLAGGED, Verdict.MET, False, S.ACTIVE),  # meets everything again
    ],
)
def test_where_an_application_leads(status, verdict, rejected_before, after):
    assert status_after_application(status, verdict, rejected_before=rejected_before) is after


@given(st.sampled_from(S), st.sampled_from(Verdict), st.booleans())
def test_an_application_never_activates_with_something_missing(status, verdict, rejected):
    after = status_after_application(status, verdict, rejected_before=rejected)
    if after is S.ACTIVE and status not in {S.ACTIVE, S.FLAGGED}:
        assert verdict is Verdict.MET and not rejected
    if status in {S.ACTIVE, S.FLAGGED}:  # a partner stays one whatever it submits
        assert after in {S.ACTIVE, S.FLAGGED}
    assert after is not S.NONE and after is not S.REJECTED


# --- the yearly review -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "currency", "managed", "after"),
    [
        (S.ACTIVE, "CHF", D("1999.99"), S.FLAGGED),
        (S.ACTIVE, "CHF", D("2000.00"), S.ACTIVE),
        (S.ACTIVE, "EUR", D("1799.99"), S.FLAGGED),
        (S.ACTIVE, "EUR", D("1800.00"), S.ACTIVE),
        (S.FLAGGED, "CHF", D("2000.00"), S.ACTIVE),
        (S.FLAGGED, "CHF", D("1999.99"), S.FLAGGED),
        (S.FLAGGED, "EUR", D("1800.00"), S.ACTIVE),
        (S.APPLICANT, "CHF", D("0"), S.APPLICANT),  # only partners are reviewed
        (S.REVIEW, "CHF", D("99999"), S.REVIEW),
        (S.NONE, "EUR", D("0"), S.NONE),
    ],
)
def test_the_yearly_review(status, currency, managed, after):
    assert status_after_yearly_review(status, currency, managed) is after


@given(
    st.sampled_from([S.ACTIVE, S.FLAGGED]),
    st.sampled_from(sorted(VOLUME_THRESHOLDS)),
    st.decimals(min_value=0, max_value=100_000, places=2),
)
def test_after_the_review_a_partner_is_flagged_exactly_when_below_the_threshold(
    status, currency, managed
):
    after = status_after_yearly_review(status, currency, managed)
    assert (after is S.FLAGGED) == (managed < VOLUME_THRESHOLDS[currency])
    assert status_after_yearly_review(after, currency, managed) is after  # a second run: same


# --- staff decisions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict", "after"),
    [
        (S.REVIEW, StaffVerdict.APPROVED, S.ACTIVE),
        (S.REVIEW, StaffVerdict.REJECTED, S.REJECTED),
        (S.FLAGGED, StaffVerdict.APPROVED, S.ACTIVE),
        (S.FLAGGED, StaffVerdict.REJECTED, S.REJECTED),
    ],
)
def test_staff_decisions(status, verdict, after):
    assert status_after_staff_decision(status, verdict) is after


@pytest.mark.parametrize("status", [S.NONE, S.APPLICANT, S.ACTIVE, S.REJECTED])
def test_staff_decide_only_what_waits_for_them(status):
    with pytest.raises(ValueError):
        status_after_staff_decision(status, StaffVerdict.APPROVED)


def test_partner_and_affiliate_exclude_each_other_both_ways():
    assert not may_become_affiliate(S.ACTIVE) and not may_become_affiliate(S.FLAGGED)
    assert may_become_affiliate(S.NONE) and may_become_affiliate(S.REJECTED)


def test_who_takes_part_in_the_programme():
    assert {S.APPLICANT, S.REVIEW, S.ACTIVE, S.FLAGGED} == IN_PROGRAMME
    assert all(status.label for status in S)


# --- the whole checklist ---------------------------------------------------------------------


def application(**changes) -> Application:
    values = dict(
        country="CH",
        currency="CHF",
        registration_number="CHE-116.281.710",
        vat_number="",
        website="https://muster.example",
        website_check=WebsiteCheck("https://muster.example", True, "HTTP 200", NOW),
        managed=D("2000.00"),
        commitments=frozenset(COMMITMENTS),
        is_affiliate=False,
    )
    return Application(**{**values, **changes})


def test_a_complete_application_meets_all_five_criteria_in_order():
    criteria = checklist(application())
    assert [c.key for c in criteria] == [
        "registration",
        "website",
        "volume",
        "commitments",
        "affiliate",
    ]
    assert outcome(criteria) is Verdict.MET


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({"registration_number": "CHE-116.281.711"}, "registration"),
        ({"website_check": None}, "website"),
        ({"managed": D("1999.99")}, "volume"),
        ({"commitments": frozenset(list(COMMITMENTS)[:3])}, "commitments"),
        ({"is_affiliate": True}, "affiliate"),
        ({"website_problem": "Enter a web address such as https://example.ch."}, "website"),
    ],
)
def test_each_criterion_fails_on_its_own(change, failing):
    criteria = checklist(application(**change))
    assert [c.key for c in criteria if not c.met] == [failing]
    assert outcome(criteria) is Verdict.NOT_MET


def test_an_unknown_register_alone_leads_to_a_review():
    criteria = checklist(application(country="US", registration_number="12-3456789"))
    assert outcome(criteria) is Verdict.REVIEW


def test_a_website_is_pending_until_a_result_for_that_address_exists():
    assert website_criterion("https://a.example", None).pending
    other = WebsiteCheck("https://b.example", True, "HTTP 200", NOW)
    assert website_criterion("https://a.example", other).pending
    done = WebsiteCheck("https://a.example", False, "HTTP 500", NOW)
    assert not website_criterion("https://a.example", done).pending
    assert "did not answer (HTTP 500)" in website_criterion("https://a.example", done).reason
    assert not website_criterion("", None).pending
    assert not website_criterion("x", None, "Enter a web address").pending


# --- the website check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answered"), [(200, True), (404, True), (499, True), (500, False), (503, False)]
)
def test_any_answer_below_500_is_a_live_site(status, answered):
    assert answers(status) is answered


def test_a_success_counts_for_a_day_a_failure_for_a_minute():
    ok = WebsiteCheck("https://a.example", True, "HTTP 200", NOW)
    failed = WebsiteCheck("https://a.example", False, "HTTP 500", NOW)
    assert check_is_fresh(ok, NOW + timedelta(hours=23))
    assert not check_is_fresh(ok, NOW + timedelta(days=1))
    assert check_is_fresh(failed, NOW + timedelta(seconds=59))
    assert not check_is_fresh(failed, NOW + timedelta(minutes=1))


PUBLIC = ["8.8.8.8", "195.176.255.1", "2001:4860:4860::8888"]
PRIVATE = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "fd00::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
]
NEVER = ["169.254.169.254", "fe80::1", "0.0.0.0", "::", "224.0.0.1", "ff02::1"]
ODD = ["100.64.0.1", "192.0.2.1", "198.18.0.1", "240.0.0.1", "255.255.255.255"]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_fetched(address):
    assert not refused_address(address)
    assert not refused_address(address, allow_private=True)


@pytest.mark.parametrize("address", PRIVATE)
def test_loopback_and_private_addresses_only_with_the_test_setting(address):
    assert refused_address(address)
    assert not refused_address(address, allow_private=True)


@pytest.mark.parametrize("address", NEVER + ODD)
def test_link_local_multicast_unspecified_and_reserved_never(address):
    assert refused_address(address)
    assert refused_address(address, allow_private=True) is (address in NEVER or address in ODD)


@pytest.mark.parametrize(
    ("typed", "stored", "ok", "ok_with_private"),
    [
        ("muster.example", "https://muster.example", True, True),
        ("http://muster.example/shop", "http://muster.example/shop", True, True),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123", False, True),
        ("http://[::1]:8123/", "http://[::1]:8123/", False, True),
        ("http://localhost:8123", "http://localhost:8123", False, True),
        ("javascript:alert(1)", None, False, False),
        ("ftp://muster.example", "ftp://muster.example", False, False),
        ("https://user@127.0.0.1/", "https://user@127.0.0.1/", False, False),
        ("https://[::1", "https://[::1", False, False),
        ("http://127.0.0.1:99999/", "http://127.0.0.1:99999/", False, False),
        ("", "", True, True),
    ],
)
def test_website_addresses(typed, stored, ok, ok_with_private):
    for allow_private, expected in ((False, ok), (True, ok_with_private)):
        website, problem = website_address(typed, allow_private=allow_private)
        assert (problem is None) is expected, (typed, allow_private, problem)
        if stored is not None:
            assert website == stored


# --- the form ----------------------------------------------------------------------------------


class Data(dict):
    """A multi-dict like the one Litestar hands over."""

    def getall(self, name, default=None):
        value = self.get(name)
        return default if value is None else (value if isinstance(value, list) else [value])


def test_a_number_not_valid_yet_is_a_problem_to_fix_not_an_unusable_input():
    entered, errors, problems = application_from(
        Data(
            registration_number=" CHE-116.281.71 ",
            website="muster.example",
            commitments=["supports_clients", "reseller_terms"],
        ),
        "CH",
    )
    assert errors == {}
    assert set(problems) == {"registration_number"}
    assert entered.registration_number == "CHE-116.281.71"
    assert entered.website == "https://muster.example" and entered.website_problem is None
    assert entered.commitments == {"supports_clients", "reseller_terms"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"registration_number": "CHE\x00"}, "registration_number"),
        ({"vat_number": "DE\x07"}, "vat_number"),
        ({"website": "https://a.example/\x00"}, "website"),
        ({"website": "https://a.example/" + "a" * 300}, "website"),
        ({"registration_number": "1" * 61}, "registration_number"),
        ({"commitments": ["supports_clients", "free_lunch"]}, "commitments"),
    ],
)
def test_unusable_input_is_an_error_at_once(data, field):
    entered, errors, problems = application_from(Data(data), "CH")
    assert set(errors) == {field}
    assert field not in problems
    assert entered.commitments <= COMMITMENTS.keys()
    if field == "website":
        assert entered.website_problem  # neither stored nor checked


def test_an_eu_vat_number_is_checked_like_the_organisation_settings_do():
    _, errors, problems = application_from(Data(vat_number="DE136695977"), "DE")
    assert errors == {} and set(problems) == {"vat_number"}
    _, errors, problems = application_from(Data(vat_number="DE136695976"), "DE")
    assert errors == {} and problems == {}


# --- who may apply -----------------------------------------------------------------------------

HOME = OrganisationResource(1)


@pytest.mark.parametrize(
    ("role", "view", "apply"),
    [
        (Role.LEGAL_REPRESENTATIVE, Decision.ALLOWED, Decision.ALLOWED),
        (Role.ADMINISTRATOR, Decision.ALLOWED, Decision.FORBIDDEN),
        (Role.USER, Decision.FORBIDDEN, Decision.FORBIDDEN),
        (None, Decision.HIDDEN, Decision.HIDDEN),  # a team guest
    ],
)
def test_only_legal_representatives_apply_in_their_own_organisation(role, view, apply):
    actor = Actor(10, 1, role, billing_rights=True, team_ids=frozenset({3}))
    assert decide(actor, Action.VIEW_PROGRAMME, HOME) is view
    assert decide(actor, Action.APPLY_TO_PROGRAMME, HOME) is apply
    assert decide(actor, Action.APPLY_TO_PROGRAMME, OrganisationResource(2)) is Decision.HIDDEN


@pytest.mark.parametrize(
    ("organisation_id", "role", "billing", "in_programme"),
    list(itertools.product((None, 1), (None, *Role), (False, True), (False, True))),
)
def test_the_staff_area_is_for_staff_only_and_hidden_from_everyone_else(
    organisation_id, role, billing, in_programme
):
    someone = Actor(10, organisation_id, role, billing, in_programme=in_programme)
    staff = Actor(10, organisation_id, role, billing, in_programme=in_programme, is_staff=True)
    assert decide(someone, Action.STAFF_REVIEW, StaffResource()) is Decision.HIDDEN
    assert decide(staff, Action.STAFF_REVIEW, StaffResource()) is Decision.ALLOWED
    # staff rights reach the staff area, not other organisations or other actions
    assert decide(staff, Action.VIEW_ORGANISATION, StaffResource()) is Decision.HIDDEN
    assert decide(staff, Action.STAFF_REVIEW, OrganisationResource(2)) is Decision.HIDDEN


# --- IPv6 forms that carry an IPv4 address, and the form's word for a private address ---------

CARRYING_PRIVATE = [
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "::10.0.0.1",  # IPv4-compatible
    "::127.0.0.1",
    "::169.254.169.254",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:192.168.1.1",
]
CARRYING_PUBLIC = ["64:ff9b::808:808", "2002:808:808::1", "::8.8.8.8", "::ffff:8.8.8.8"]
PRIVATE_IPV6 = ["fec0::1", "feff::1", "64:ff9b:1::a00:1", "64:ff9b:1::808:808"]
TEREDO = ["2001:0:4136:e378:8000:63bf:f5ff:fffe", "2001::1", "2001:0:808:808::1"]


@pytest.mark.parametrize("address", CARRYING_PRIVATE + PRIVATE_IPV6 + TEREDO)
def test_ipv6_forms_of_private_addresses_are_refused(address):
    assert refused_address(address)


@pytest.mark.parametrize("address", CARRYING_PUBLIC)
def test_an_ipv6_form_of_a_public_ipv4_address_is_judged_by_it(address):
    """A NAT64 resolver (DNS64) answers 64:ff9b::… for an IPv4-only site: that site is public."""
    assert not refused_address(address)


@pytest.mark.parametrize("address", ["64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", *TEREDO])
def test_link_local_and_teredo_stay_refused_even_with_the_test_setting(address):
    assert refused_address(address, allow_private=True)


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "::ffff:10.0.0.1", "fec0::1"])
def test_the_test_setting_lets_their_private_forms_through(address):
    assert not refused_address(address, allow_private=True)


@pytest.mark.parametrize(
    "typed",
    [
        "http://10.0.0.1",
        "http://192.168.1.1/shop",
        "127.0.0.1:8000",
        "http://[::1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:a00:1::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[fec0::1]/",
        "http://169.254.169.254/latest/meta-data",
        "localhost",
        "http://localhost:8000",
        "intranet.local",
        "https://shop.internal",
        "router.home.arpa",
        "https://app.localhost/",
        "https://files.lan",
        "https://INTRANET.LOCAL.",
    ],
)
def test_the_form_says_private_and_local_addresses_are_not_checked(typed):
    from portal.partners.rules import PRIVATE_ADDRESS_PROBLEM

    _stored, problem = website_address(typed)
    assert problem == PRIVATE_ADDRESS_PROBLEM
    assert "Private and local addresses are not checked" in problem


@pytest.mark.parametrize("typed", ["http://8.8.8.8", "https://[2001:4860:4860::8888]/", "nope"])
def test_a_public_ip_or_a_word_is_still_not_a_web_address(typed):
    from portal.organisations.rules import WEBSITE_PROBLEM

    assert website_address(typed)[1] == WEBSITE_PROBLEM


@pytest.mark.parametrize("typed", ["muster.ch", "https://local-bakery.ch", "https://lan.example"])
def test_ordinary_names_that_merely_look_local_are_checked(typed):
    assert website_address(typed)[1] is None
