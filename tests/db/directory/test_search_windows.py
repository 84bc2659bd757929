"""The search's GIN index and ranking windows against the real database: the facets column
equals the pure rule's, a full refresh puts each listing in the window of its place, a save
puts a listing in the window of its place among the others, and a search reads the windows
in order, across page boundaries both ways, with and without words and filters."""

from portal.directory import queries, rules, services
from portal.directory.rules import Search
from portal.directory.tables import DirectoryListing
from tests.factories.directory import listed_partner


async def facets_and_windows() -> dict[int, tuple[list[str], int]]:
    rows = await DirectoryListing.raw(
        "SELECT organisation, facets, rank_window, languages, specialities, country, region "
        "FROM directory_listing"
    )
    return {row["organisation"]: row for row in rows}


async def test_the_facets_column_is_the_rule():
    await listed_partner(
        "Facets SA", region="CH-VD", languages=("fr", "en"), specialities=("e_shop", "email")
    )
    await listed_partner("Facets SARL", country="FR", languages=("fr",))
    for row in (await facets_and_windows()).values():
        assert row["facets"] == rules.listing_facets(
            row["languages"], row["specialities"], row["country"], row["region"]
        )


async def place_windows(monkeypatch, sizes=(2, 3)):
    monkeypatch.setattr(rules, "WINDOW_SIZES", sizes)


async def test_a_full_refresh_puts_each_listing_in_the_window_of_its_place(monkeypatch):
    await place_windows(monkeypatch)
    partners = [await listed_partner(f"Window {number}") for number in range(7)]
    await services.refresh_evidence()
    rows = await queries.search(Search())
    assert [row["id"] for row in rows] and {row["id"] for row in rows} == set(partners)
    windows = await facets_and_windows()
    last = rules.LAST_WINDOW
    assert [windows[row["id"]]["rank_window"] for row in rows] == [1, 1, 2, 2, 2, last, last]


async def test_a_save_takes_the_window_of_its_place_among_the_others(monkeypatch):
    await place_windows(monkeypatch)
    for number in range(6):
        await listed_partner(f"Before {number}")
    await services.refresh_evidence()
    newcomer = await listed_partner("Newcomer AG")
    listing = await queries.listing_of(newcomer)
    expected = rules.rank_window(
        await queries.listings_ahead(listing["rank_score"], await _tiebreak(newcomer), newcomer) + 1
    )
    assert (await facets_and_windows())[newcomer]["rank_window"] == expected


async def _tiebreak(organisation_id: int) -> int:
    rows = await DirectoryListing.raw(
        "SELECT rank_tiebreak FROM directory_listing WHERE organisation = {}", organisation_id
    )
    return rows[0]["rank_tiebreak"]


async def test_a_search_reads_the_windows_in_order_across_pages(monkeypatch):
    """The windows are forced so that the ranking key alone would order the listings
    otherwise: the window comes first, in every kind of search and on every page."""
    total = rules.PAGE_SIZE + 5
    partners = [
        await listed_partner(
            f"Ordered {number:02}", description="We build web shops for small companies."
        )
        for number in range(total)
    ]
    # Reverse the key's order with the windows: the last third by key goes first.
    rows = await DirectoryListing.raw(
        "SELECT organisation FROM directory_listing "
        "ORDER BY rank_score DESC, rank_tiebreak, organisation"
    )
    by_key = [row["organisation"] for row in rows]
    assert sorted(by_key) == sorted(partners)
    thirds = {1: by_key[-8:], 2: by_key[9:-8], rules.LAST_WINDOW: by_key[:9]}
    for window, ids in thirds.items():
        await DirectoryListing.raw(
            "UPDATE directory_listing SET rank_window = {} WHERE organisation = ANY({}::int[])",
            window,
            ids,
        )
    expected = thirds[1] + thirds[2] + thirds[rules.LAST_WINDOW]
    searches = (Search(), Search(text="shops"), Search(language="de"), Search("web", "CH"))
    for search in searches:
        first = await services.search(search)
        second = await services.search(first.next)
        assert [row["id"] for row in first.partners + second.partners] == expected, search
        assert first.has_next and not second.has_next and second.has_previous
        back = await services.search(second.previous)
        assert back.partners == first.partners and not back.has_previous and back.has_next


async def test_every_ranking_window_has_its_search_index():
    rows = await DirectoryListing.raw(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'directory_listing'"
    )
    definitions = {row["indexname"]: row["indexdef"] for row in rows}
    for window in range(1, rules.LAST_WINDOW + 1):
        definition = definitions[f"directory_listing_find_{window}"]
        assert f"rank_window = {window})" in definition and "gin" in definition
    assert f"directory_listing_find_{rules.LAST_WINDOW + 1}" not in definitions


async def test_a_word_longer_than_the_index_keeps_is_found_by_its_beginning():
    long_word = "Donaudampfschifffahrtsgesellschaft"  # 34 letters; the index keeps 24
    await listed_partner("Long Words AG", description=f"We built the {long_word} website.")
    for typed in (long_word, long_word[:10], long_word[: rules.PREFIX_MAX]):
        assert [row["name"] for row in await queries.search(Search(text=typed))] == [
            "Long Words AG"
        ]
