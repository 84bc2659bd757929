"""The directory's pure rules: reading a search, ranking from evidence, the weekly rotation
of ties, and the validators of a public page."""

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.core.reference import countries
from portal.directory.rules import (
    LAST_WINDOW,
    MAX_SCORE,
    PREFIX_MAX,
    SYNONYM_GROUPS,
    SYNONYMS,
    WINDOW_SIZES,
    Evidence,
    Search,
    answer_points,
    client_points,
    etag,
    etag_matches,
    lexeme,
    listing_facets,
    parse_search,
    rank_score,
    rank_window,
    rank_windows,
    ranking_key,
    search_facets,
    search_words,
    shown_in_directory,
    slug_is_usable,
    slug_of,
    tiebreak,
    tsquery_text,
    week_seed,
)

COUNTRIES = countries()


# --- reading a search ------------------------------------------------------------------------


def parse(**params):
    return parse_search(params, COUNTRIES)


def test_known_filters_are_kept():
    parsed = parse(q="web shop", country="CH", region="CH-VD", language="fr", speciality="e_shop")
    assert parsed.errors == {}
    assert parsed.search == Search("web shop", "CH", "CH-VD", "fr", "e_shop")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("country", "XX"),
        ("country", "ch"),
        ("region", "CH-XX"),
        ("region", "Genève"),
        ("language", "klingon"),
        ("speciality", "plumbing"),
        ("speciality", "' OR 1=1 --"),
    ],
)
def test_an_unknown_filter_value_is_dropped_and_explained(name, value):
    parsed = parse(**{name: value})
    assert getattr(parsed.search, name) == ""
    assert "no such" in parsed.errors[name]


def test_a_canton_names_its_country_and_must_agree_with_the_chosen_one():
    assert parse(region="CH-GE").search.country == "CH"
    parsed = parse(country="FR", region="CH-GE")
    assert parsed.search.region == "" and parsed.search.country == "FR"
    assert "not in France" in parsed.errors["region"]


@pytest.mark.parametrize(
    "raw",
    ["abc", "1.2.3", "1.2.3.4.5", "0.1.2.3", "5.1.2.3", "1.-1.2.3", "².1.2.3", "1.1.1.99999999999",
     "1.1.1.2147483648", "1..2.3", " "],
)  # fmt: skip
def test_odd_places_mean_the_first_page(raw):
    for name in ("after", "before"):
        parsed = parse(**{name: raw})
        assert parsed.search.at_start
        assert raw.strip() == "" or "page" in parsed.errors


def test_a_place_is_read_back_as_the_pager_writes_it():
    parsed = parse(q="web", after="2.9.123.45")
    assert parsed.search.after == (2, 9, 123, 45) and not parsed.errors
    assert parsed.search.query_string() == "q=web&after=2.9.123.45"
    assert parse(before="1.0.7.8").search.before == (1, 0, 7, 8)
    both = parse(after="1.2.3.4", before="1.0.7.8").search
    assert both.after == (1, 2, 3, 4) and both.before is None
    assert parse(page="3").search.at_start  # the numbered pages of old links: the first


def test_a_long_or_controlled_search_is_explained():
    assert "at most" in parse(q="x" * 101).errors["q"]
    assert parse(q="a\x00b").errors["q"].startswith("Remove")


@given(st.text(max_size=200))
def test_search_words_carry_no_query_syntax(text):
    for word in search_words(text):
        assert word and all(c.isalnum() or c == "-" for c in word)
        assert not word.startswith("-") and not word.endswith("-")
    query = tsquery_text(search_words(text))
    assert not set(query) & set("!:'\"\\<>-*")
    for term in query.split(" & "):  # a word, or the portal's own synonyms in parentheses
        alternatives = term.removeprefix("(").removesuffix(")").split(" | ")
        assert len(alternatives) == 1 or alternatives == list(SYNONYMS[alternatives[0]])
        assert all(word.isalnum() for word in alternatives if word)


def test_every_word_is_a_prefix_and_all_must_match():
    assert tsquery_text(("Atelier", "gen")) == "atelier & gen"
    assert tsquery_text(("GENÈVE", "Straße")) == "(geneve | geneva | genf | ginevra) & strasse"
    assert tsquery_text(("x" * 30,)) == "x" * PREFIX_MAX
    assert tsquery_text(()) == ""
    assert search_words("l'atelier & <script>") == ("l", "atelier", "script")


def test_a_hyphenated_word_is_one_word_joined():
    assert search_words("E-Mail -web- e--shop") == ("E-Mail", "web", "e", "shop")
    assert tsquery_text(("E-Mail", "Zell-am-See")) == "(email | courriel) & zellamsee"


def test_a_word_with_synonyms_finds_any_of_them_and_only_when_typed_whole():
    assert tsquery_text(("Lucerne",)) == "(luzern | lucerne | lucerna)"
    assert tsquery_text(("Luzern",)) == tsquery_text(("lucerne",))
    assert tsquery_text(("Web-Shop",)) == "(webshop | eshop | onlineshop)"
    assert tsquery_text(("Lucer",)) == "lucer"  # still typing


def test_synonyms_are_written_as_the_index_holds_words():
    for group in SYNONYM_GROUPS:
        assert len(set(group)) == len(group) > 1
        for word in group:
            assert word == lexeme(word) and word.isalpha() and len(word) <= PREFIX_MAX
            assert SYNONYMS[word] == group  # one group per word


def test_the_canonical_query_string_is_ordered_and_leaves_out_what_is_empty():
    search = Search("  web   shop ", "", "CH-GE", "fr", "")
    assert search.query_string() == "q=web+shop&region=CH-GE&language=fr"
    assert search.moved(after=(1, 9, 5, 7)).url("/directory") == (
        "/directory?q=web+shop&region=CH-GE&language=fr&after=1.9.5.7"
    )
    assert Search().url("/directory") == "/directory"
    assert parse(language="fr", q="web").search.query_string() == (
        parse(q="web", language="fr", country="").search.query_string()
    )


# --- ranking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clients", "points"),
    [(0, 0), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (10, 3), (11, 4), (20, 4), (21, 5), (900, 5)],
)
def test_client_points_by_band(clients, points):
    assert client_points(clients) == points


@pytest.mark.parametrize(
    ("received", "answered", "points"),
    [
        (0, 0, 2),  # a newcomer: neutral
        (2, 0, 2),  # too few tenders for a rate
        (3, 0, 0),
        (4, 1, 1),
        (4, 2, 3),
        (4, 3, 4),
        (10, 10, 4),
        (10, 2, 0),
    ],
)
def test_answer_points_by_rate(received, answered, points):
    assert answer_points(Evidence(0, received, answered)) == points


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 5))
def test_more_evidence_never_ranks_lower(clients, received, answered, more):
    answered = min(answered, received)
    base = Evidence(clients, received, answered)
    assert 0 <= rank_score(base) <= MAX_SCORE
    assert rank_score(Evidence(clients + more, received, answered)) >= rank_score(base)
    if received >= 3:
        better = Evidence(clients, received, min(received, answered + more))
        assert rank_score(better) >= rank_score(base)


def test_the_name_plays_no_part_in_the_ranking():
    """Only evidence and the id's weekly hash order partners: 'AAA' gains nothing."""
    import inspect

    assert "name" not in inspect.signature(ranking_key).parameters
    assert "name" not in Evidence.__dataclass_fields__


def test_a_higher_score_always_comes_first_whatever_the_week():
    for seed in (202601, 202602, 202652):
        assert ranking_key(5, seed, 99) < ranking_key(4, seed, 1)


# --- ties rotate, week by week ---------------------------------------------------------------


def test_the_week_seed_changes_on_monday_and_holds_all_week():
    monday = date(2026, 11, 30)
    assert week_seed(monday) == 202649
    assert {week_seed(monday + timedelta(days=d)) for d in range(7)} == {202649}
    assert week_seed(monday - timedelta(days=1)) == 202648
    assert week_seed(date(2027, 1, 1)) == 202653  # ISO year of the week, not the calendar's


def test_ties_keep_their_order_within_a_week_and_change_between_weeks():
    tied = list(range(1, 21))
    order = {
        seed: sorted(tied, key=lambda i: ranking_key(3, seed, i)) for seed in range(202601, 202611)
    }
    assert sorted(tied, key=lambda i: ranking_key(3, 202601, i)) == order[202601]
    assert len({tuple(o) for o in order.values()}) == 10


def test_every_tied_partner_leads_about_equally_often():
    tied = list(range(1000, 1010))
    leaders = Counter(
        min(tied, key=lambda i: ranking_key(2, seed, i)) for seed in range(200001, 205001)
    )
    assert set(leaders) == set(tied)
    assert max(leaders.values()) < 2 * min(leaders.values())  # 5000 weeks: ~500 each


def test_the_tiebreak_fits_a_postgresql_integer():
    assert all(0 <= tiebreak(seed, i) < 2**31 for seed in (1, 202649) for i in range(1000))


# --- the rest --------------------------------------------------------------------------------


def test_only_active_partners_that_opted_in_are_shown():
    assert shown_in_directory(True, "active")
    for status in ("none", "applicant", "review", "flagged", "rejected"):
        assert not shown_in_directory(True, status)
    assert not shown_in_directory(False, "active")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Atelier Genève Web Sàrl", "atelier-geneve-web-sarl"),
        ("Straße & Söhne GmbH", "strasse-sohne-gmbh"),
        ("***", "partner"),
        ("日本ウェブ", "partner"),
    ],
)
def test_slugs(name, slug):
    assert slug_of(name) == slug


@pytest.mark.parametrize(
    ("slug", "usable"),
    [("listing", False), ("2026", False), ("listing-12", True), ("web-2026", True)],
)
def test_a_slug_never_takes_another_address_of_the_directory(slug, usable):
    assert slug_is_usable(slug) is usable


def test_etags_are_strong_and_change_with_version_variant_and_query():
    tag = etag(7, "index", "q=web")
    assert tag.startswith('"') and not tag.startswith("W/")
    assert (
        len({tag, etag(8, "index", "q=web"), etag(7, "results", "q=web"), etag(7, "index", "")})
        == 4
    )
    assert etag(7, "index", "q=web", "build-2") != etag(7, "index", "q=web", "build-1")
    assert etag_matches(f'"other", {tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches(None, tag) and not etag_matches(f"W/{tag}", tag)


def test_ranking_windows_follow_the_places():
    first, second, *_ = WINDOW_SIZES
    assert [rank_window(place) for place in (1, first, first + 1)] == [1, 1, 2]
    assert rank_window(first + second) == 2
    assert rank_window(first + second + 1) == 3
    assert rank_window(sum(WINDOW_SIZES)) == LAST_WINDOW - 1
    assert rank_window(sum(WINDOW_SIZES) + 1) == LAST_WINDOW == len(WINDOW_SIZES) + 1


def test_windows_are_given_in_the_ranking_order():
    keys = {listing: ranking_key(listing % 10, 202649, listing) for listing in range(7000)}
    windows = rank_windows(keys)
    ordered = sorted(keys, key=keys.__getitem__)
    assert [windows[listing] for listing in ordered] == sorted(windows.values())
    assert Counter(windows.values()) == {1: 200, 2: 2000, 3: 4800}


def test_facets_of_a_listing_and_of_a_search():
    assert listing_facets(["fr", "en"], ["e_shop"], "CH", "CH-VD") == [
        "l:fr", "l:en", "s:e_shop", "c:CH", "r:CH-VD",
    ]  # fmt: skip
    assert listing_facets([], [], "FR", "") == ["c:FR"]
    search = Search(text="web", country="CH", region="CH-ZH", language="de", speciality="hosting")
    assert search_facets(search) == ["l:de", "s:hosting", "r:CH-ZH"]
    assert search_facets(Search(country="FR", language="fr")) == ["l:fr", "c:FR"]
    assert search_facets(Search(text="web")) == []
    found = listing_facets(["de", "fr"], ["hosting", "email"], "CH", "CH-ZH")
    assert set(search_facets(search)) <= set(found)
