"""Routing (docs/rules.md, Tenders): a tender goes only to active partners that opted in for its
category, and — where they set them — only in their languages and regions; never to its author."""

from datetime import UTC, datetime

import pytest

from portal.tenders.rules import (
    Preferences,
    Route,
    matching_rule_in_words,
    reasons_not_received,
    receives,
    recipients,
    why_received,
)

LAUSANNE_FRENCH_SITE = Route("website_creation", "fr", "CH", "CH-VD", author_organisation_id=99)


def partner(id=1, active=True, categories=("website_creation",), languages=(), regions=()):
    return Preferences(id, active, frozenset(categories), frozenset(languages), frozenset(regions))


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        (partner(), True),  # category only: any language, anywhere
        (partner(categories=("e_shop",)), False),
        (partner(categories=()), False),  # opted in for nothing
        (partner(categories=("e_shop", "website_creation")), True),
        (partner(active=False), False),
        (partner(languages=("fr",)), True),
        (partner(languages=("de", "fr")), True),
        (partner(languages=("de",)), False),
        (partner(regions=("CH",)), True),  # the country covers its cantons
        (partner(regions=("CH-VD",)), True),
        (partner(regions=("CH-GE", "CH-VD")), True),
        (partner(regions=("CH-ZH",)), False),
        (partner(regions=("FR",)), False),
        (partner(languages=("fr",), regions=("CH-ZH",)), False),  # every condition must hold
        (partner(id=99), False),  # the author's own organisation
    ],
)
def test_who_receives_a_tender(preferences, expected):
    assert receives(preferences, LAUSANNE_FRENCH_SITE) is expected
    assert (reasons_not_received(preferences, LAUSANNE_FRENCH_SITE) == []) is expected


def test_a_canton_does_not_cover_a_tender_placed_only_in_its_country():
    without_canton = Route("hosting", "de", "CH", "")
    assert not receives(partner(categories=("hosting",), regions=("CH-ZH",)), without_canton)
    assert receives(partner(categories=("hosting",), regions=("CH",)), without_canton)


def test_recipients_are_exactly_the_matching_partners_in_a_stable_order():
    partners = [
        partner(5, languages=("fr",)),
        partner(2, regions=("CH",)),
        partner(3, categories=("e_shop",)),
        partner(4, active=False),
        partner(1),
        partner(99),
    ]
    assert recipients(partners, LAUSANNE_FRENCH_SITE) == [1, 2, 5]
    assert recipients([], LAUSANNE_FRENCH_SITE) == []


def test_reasons_are_told_in_words():
    reasons = reasons_not_received(
        partner(active=False, categories=("e_shop",), languages=("de",), regions=("FR",)),
        LAUSANNE_FRENCH_SITE,
    )
    assert reasons == [
        "only active partners of the programme receive tenders",
        "you did not opt in for Website creation",
        "it is in French",
        "it is outside your regions",
    ]


def test_the_settings_page_states_the_rule_with_the_partners_own_choices():
    words = " ".join(
        matching_rule_in_words(
            partner(categories=("hosting", "email"), languages=("de",), regions=("CH-ZH", "AT")),
            {"AT": "Austria", "CH": "Switzerland"},
        )
    )
    assert "active partner of the programme (it is)" in words
    assert "Hosting, Email" in words
    assert "German" in words
    assert "Austria, Zurich (canton)" in words
    assert "never comes to you" in words
    nothing = " ".join(matching_rule_in_words(partner(active=False, categories=()), {}))
    assert "(it is not yet)" in nothing and "opted in for none yet" in nothing
    assert "language does not filter" in nothing and "location does not filter" in nothing


def test_a_partner_is_told_why_a_tender_reached_it():
    on = datetime(2027, 3, 4, 10, 0, tzinfo=UTC)
    matching = why_received(partner(languages=("fr",)), LAUSANNE_FRENCH_SITE, on)
    assert matching.startswith("It reached you on 04 Mar 2027 because it matches")
    assert "Website creation, in French" in matching
    changed = why_received(partner(languages=("de",)), LAUSANNE_FRENCH_SITE, on)
    assert "would not today, because it is in French" in changed
