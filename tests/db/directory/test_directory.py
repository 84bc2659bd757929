"""The directory against the real database: listings saved with their evidence, the ranking
the database applies equals the pure rule's, accent-folded full-text search, filters, a
partner that stops being active disappears at once, and the directory's version moves
whenever what a visitor sees moves."""

import asyncio
from datetime import UTC, date, datetime, timedelta

from portal.access import Role
from portal.core.enums import PartnerStatus
from portal.directory import queries, rules, services
from portal.directory.forms import ListingInput
from portal.directory.rules import Search
from portal.directory.tables import DirectoryListing
from portal.organisations.tables import Organisation
from portal.partners.rules import Verdict, registration_criterion
from tests.factories.directory import in_programme, listed_partner
from tests.factories.partners import VALID_UID, linked_client, person


async def names(search: Search) -> list[str]:
    return [row["name"] for row in await queries.search(search)]


async def version() -> int:
    return (await queries.state())["version"]


async def test_a_saved_listing_gets_its_slug_and_its_evidence(catalogue):
    offer = await catalogue.offer(CHF="12000.00")
    partner = await listed_partner("Atelier Genève Web Sàrl")
    await linked_client(partner, "Client One", offer)
    await linked_client(partner, "Client Two")
    await services.refresh_evidence(partner)
    listing = await queries.listing_of(partner)
    assert listing["slug"] == "atelier-geneve-web-sarl"
    assert listing["verified"] is True  # a valid Swiss UID
    assert listing["tier"] == "Silver"  # 12,000 a year managed
    assert listing["active_clients"] == 2
    assert listing["rank_score"] == rules.rank_score(rules.Evidence(2, 0, 0))


async def test_an_unverifiable_registration_gets_no_badge():
    partner = await listed_partner("No Number AG", registration_number="")
    assert (await queries.listing_of(partner))["verified"] is False


async def test_a_valid_number_the_programme_never_approved_gets_no_badge():
    """A check digit anyone can compute is not the programme's approval (review item 1)."""
    partner = await listed_partner("Forged AG", approved=False)
    assert (await queries.listing_of(partner))["verified"] is False


async def test_a_changed_number_loses_the_badge_at_once_and_for_good():
    partner = await listed_partner("Changing AG")
    assert (await queries.listing_of(partner))["verified"] is True
    another_valid_uid = "CHE-109.322.551"
    assert registration_criterion("CH", another_valid_uid, "").verdict is Verdict.MET
    await Organisation.update({Organisation.registration_number: another_valid_uid}).where(
        Organisation.id == partner
    )
    assert (await queries.listing_of(partner))["verified"] is False  # at once
    await services.refresh_evidence()
    assert (await queries.listing_of(partner))["verified"] is False  # and at the refresh
    await Organisation.update({Organisation.registration_number: VALID_UID}).where(
        Organisation.id == partner
    )
    await services.refresh_evidence(partner)
    assert (await queries.listing_of(partner))["verified"] is True  # the approved one again


async def test_a_second_partner_of_the_same_name_gets_a_slug_of_its_own():
    first = await listed_partner("Web Studio")
    second = await listed_partner("Web Studio")
    slugs = {(await queries.listing_of(p))["slug"] for p in (first, second)}
    assert slugs == {"web-studio", f"web-studio-{second}"}


async def test_a_partner_named_like_a_directory_page_gets_a_slug_of_its_own():
    """/directory/listing is the partner's own listing page, never a profile."""
    partner = await listed_partner("Listing")
    assert (await queries.listing_of(partner))["slug"] == f"listing-{partner}"


async def test_the_database_ranks_as_the_rule_does(catalogue):
    """Scores from active clients, ties in the week's order: the SQL ORDER BY equals sorting
    with rules.ranking_key."""
    partners = {}
    for index, clients in enumerate([0, 0, 1, 3, 3, 3, 0, 6, 1, 0]):
        partner = await listed_partner(f"Partner {index:02}")
        for number in range(clients):
            await linked_client(partner, f"Client {index}-{number}")
        partners[partner] = clients
    monday = date(2026, 11, 30)
    await services.refresh_evidence(today=monday)
    ranked = [row["id"] for row in await queries.search(Search())]
    seed = rules.week_seed(monday)
    expected = sorted(
        partners,
        key=lambda p: rules.ranking_key(rules.rank_score(rules.Evidence(partners[p])), seed, p),
    )
    assert ranked == expected
    assert partners[ranked[0]] == 6


async def test_ties_rotate_when_the_week_changes():
    partners = [await listed_partner(f"Equal {n}") for n in range(8)]
    orders = []
    for week in range(3):
        await services.refresh_evidence(today=date(2026, 11, 30) + timedelta(weeks=week))
        orders.append([row["id"] for row in await queries.search(Search())])
    assert all(sorted(order) == sorted(partners) for order in orders), (orders, partners)
    assert len({tuple(order) for order in orders}) == 3


async def test_only_active_partners_that_opted_in_are_found():
    await listed_partner("Shown AG")
    await listed_partner("Hidden AG", published=False)
    await listed_partner("Applicant AG", status="applicant")
    await listed_partner("Flagged AG", status="flagged")
    assert await names(Search()) == ["Shown AG"]


async def test_a_partner_flagged_or_ended_disappears_at_once_and_comes_back():
    partner = await listed_partner("Soon Flagged AG")
    before = await version()
    for status, shown in (("flagged", False), ("active", True), ("rejected", False)):
        await Organisation.update({Organisation.partner_status: status}).where(
            Organisation.id == partner
        )
        assert (await names(Search())) == (["Soon Flagged AG"] if shown else [])
        assert await version() > before
        before = await version()
    slug = (await queries.listing_of(partner))["slug"]
    assert await queries.shown_listing(slug) is None


async def test_the_first_save_reads_the_status_from_the_organisation_not_the_request():
    """Review item 2: the request's view of the organisation (loaded when the request came
    in) said active; the organisation was flagged before the listing's first save."""
    from tests.factories.partners import organisation

    partner = await organisation("Racing AG", status="active", registration_number=VALID_UID)
    stale = in_programme(await person(partner, "rep@racing.ch", Role.LEGAL_REPRESENTATIVE))
    assert stale.organisation.partner_status == "active"
    await Organisation.update(
        {Organisation.partner_status: "flagged", Organisation.name: "Racing Renamed AG"}
    ).where(Organisation.id == partner)
    entered = ListingInput(
        True, "We race to build websites for you.", "CH", "", ("de",), ("other",), ""
    )
    await services.save_listing(stale, entered)
    listing = await queries.listing_of(partner)
    assert listing["partner_active"] is False and listing["name"] == "Racing Renamed AG"
    assert await names(Search()) == []


async def test_the_refresh_mends_a_listing_out_of_step_with_its_organisation():
    partner = await listed_partner("Mended AG")
    await DirectoryListing.update(
        {DirectoryListing.partner_active: False, DirectoryListing.name: "Stale name"}
    ).where(DirectoryListing.organisation == partner)
    assert await names(Search()) == []
    await services.refresh_evidence()
    assert await names(Search()) == ["Mended AG"]


async def test_the_database_shows_the_partners_the_rule_shows():
    statuses = [status.value for status in PartnerStatus] + ["", "ACTIVE", "unknown"]
    rows = await DirectoryListing.raw(
        "SELECT status, directory_partner_shown(status) AS shown "
        "FROM unnest({}::varchar[]) AS status",
        statuses,
    )
    assert {row["status"]: row["shown"] for row in rows} == {
        status: rules.partner_shown(status) for status in statuses
    }
    assert [status for status in statuses if rules.partner_shown(status)] == ["active"]


async def test_a_renamed_organisation_is_found_by_its_new_name():
    partner = await listed_partner("Old Name AG")
    await Organisation.update({Organisation.name: "Neuer Name AG"}).where(
        Organisation.id == partner
    )
    assert await names(Search(text="neuer")) == ["Neuer Name AG"]
    assert await names(Search(text="old")) == []


async def test_search_folds_accents_both_ways_and_follows_typing():
    await listed_partner("Atelier Genève", description="Sites web à Genève et à Nyon.")
    await listed_partner("Zuerich Digital", description="Webshops für Zürich, Zug und Luzern.")
    await listed_partner("Bäckerei Software", description="Kassensysteme für Bäckereien.")
    assert await names(Search(text="geneve")) == ["Atelier Genève"]
    assert await names(Search(text="GENÈVE")) == ["Atelier Genève"]
    assert await names(Search(text="Gen")) == ["Atelier Genève"]  # a prefix, while typing
    assert await names(Search(text="zurich")) == ["Zuerich Digital"]
    assert await names(Search(text="baeckerei")) == []  # folding, not transliteration
    assert await names(Search(text="backerei soft")) == ["Bäckerei Software"]
    assert await names(Search(text="nyon web")) == ["Atelier Genève"]  # every word must match
    assert await names(Search(text="nyon zug")) == []


async def test_search_finds_a_word_inside_another_and_hyphenated_words():
    await listed_partner("Mail Team", description="Business email for small companies.")
    await listed_partner("Shop Team", description="Wir bauen Webshops und E-Mail-Lösungen.")
    await listed_partner("Boutique Team", description="Votre e-shop, hébergé en Suisse.")
    assert sorted(await names(Search(text="mail"))) == ["Mail Team", "Shop Team"]
    assert sorted(await names(Search(text="e-mail"))) == ["Mail Team", "Shop Team"]
    assert sorted(await names(Search(text="shop"))) == ["Boutique Team", "Shop Team"]
    assert sorted(await names(Search(text="e-shop"))) == ["Boutique Team", "Shop Team"]
    assert await names(Search(text="losung")) == ["Shop Team"]
    assert await names(Search(text="ail")) == []  # inside a word: four letters at least


async def test_search_finds_a_place_or_a_trade_by_its_other_names():
    await listed_partner("Luzern Web", description="Based in Luzern, we build websites.")
    await listed_partner("Lucerne Web", description="Websites from Lucerne.")
    await listed_partner("Boutique Team", description="Votre e-shop et son hébergement.")
    await listed_partner("Online Team", description="Onlineshops und Hosting.")
    both = ["Lucerne Web", "Luzern Web"]
    for typed in ("Lucerne", "Luzern", "lucerna", "LUZERN"):
        assert sorted(await names(Search(text=typed))) == both
    assert sorted(await names(Search(text="Webshop"))) == ["Boutique Team", "Online Team"]
    assert sorted(await names(Search(text="hosting"))) == ["Boutique Team", "Online Team"]


async def test_a_word_of_the_longest_kind_keeps_its_inner_parts_and_a_longer_one_its_start():
    inner = "x" * (rules.INFIX_WORD_MAX - 4) + "mail"
    longer = "y" * (rules.INFIX_WORD_MAX - 3) + "shop"
    await listed_partner("Inner AG", description=f"{inner} and {longer}")
    assert await names(Search(text="mail")) == ["Inner AG"]
    assert await names(Search(text="shop")) == []
    assert await names(Search(text=longer[:10])) == ["Inner AG"]


async def test_filters_combine():
    await listed_partner(
        "Lausanne Shops", region="CH-VD", languages=("fr", "en"), specialities=("e_shop",)
    )
    await listed_partner(
        "Basel Hosting", region="CH-BS", languages=("de",), specialities=("hosting", "email")
    )
    await listed_partner(
        "Paris Dev",
        country="FR",
        languages=("fr",),
        specialities=("development",),
        registration_number="732829320",
    )
    assert await names(Search(language="fr", country="CH")) == ["Lausanne Shops"]
    assert sorted(await names(Search(language="fr"))) == ["Lausanne Shops", "Paris Dev"]
    assert await names(Search(speciality="email")) == ["Basel Hosting"]
    assert await names(Search(country="CH", region="CH-BS")) == ["Basel Hosting"]
    assert await names(Search(country="FR", speciality="e_shop")) == []
    assert await queries.listed_countries() == ["CH", "FR"]


async def test_pages():
    for number in range(rules.PAGE_SIZE + 3):
        await listed_partner(f"Many {number:02}")
    first = await services.search(Search())
    assert len(first.partners) == rules.PAGE_SIZE and first.has_next
    assert not first.has_previous
    second = await services.search(first.next)
    assert len(second.partners) == 3 and not second.has_next and second.has_previous
    assert not {p["id"] for p in first.partners} & {p["id"] for p in second.partners}
    assert (await services.search(second.next)).partners == []


async def test_the_version_moves_with_a_listing_and_only_then():
    partner = await listed_partner("Versioned AG")
    before = await version()
    await services.refresh_evidence()  # nothing changed
    assert await version() == before
    rep = in_programme(await person(partner, "second@example.ch", Role.ADMINISTRATOR))
    await services.save_listing(
        rep,
        ListingInput(True, "A new description of what we do.", "CH", "", ("de",), ("other",), ""),
    )
    assert await version() > before


async def test_the_weekly_rotation_moves_the_version_once_not_once_per_listing():
    """Review item 3: the version trigger is per statement (it was per row)."""
    for number in range(6):
        await listed_partner(f"Rotating {number}")
    monday = date(2026, 11, 30)
    await services.refresh_evidence(today=monday)
    before = await version()
    await services.refresh_evidence(today=monday + timedelta(weeks=1))  # every tiebreak moves
    assert await version() == before + 1
    await DirectoryListing.raw("UPDATE directory_listing SET name = name")  # nothing changes
    assert await version() == before + 1


async def test_a_stale_directory_is_refreshed_by_one_process_only():
    partner = await listed_partner("Fresh AG")
    await linked_client(partner, "Late Client")  # evidence not refreshed yet
    now = datetime.now(UTC)
    ran = await asyncio.gather(*(services.refresh_if_due(now) for _ in range(4)))
    assert sum(ran) == 1
    assert (await queries.listing_of(partner))["active_clients"] == 1
    assert await services.refresh_if_due(now + timedelta(minutes=1)) is False
    assert await services.refresh_if_due(now + services.REFRESH_EVERY * 2) is True


async def test_the_worker_refreshes_the_evidence_every_ten_minutes():
    from portal.background import all_periodic

    job = next(task for task in all_periodic() if task.name == "directory.refresh_evidence")
    assert job.cron == "*/10 * * * *"
    partner = await listed_partner("Periodic AG")
    await linked_client(partner, "New Client")
    await job.run(None, datetime.now(UTC))
    assert (await queries.listing_of(partner))["active_clients"] == 1


async def received(partner: int, tenders: int, answered: int) -> None:
    """PARTNER received TENDERS tenders and quoted for the first ANSWERED of them."""
    from portal.tenders.tables import Tender

    for number in range(tenders):
        rows = await Tender.raw(
            """INSERT INTO tender (title, description, category, budget_min, budget_max,
                   currency, language, country, deadline, status, author_name, author_email)
               VALUES ('A shop', 'We need a shop.', 'e_shop', 1000, 5000, 'CHF', 'de', 'CH',
                       now() + interval '10 days', 'open', 'Author', 'author@example.ch')
               RETURNING id"""
        )
        tender = rows[0]["id"]
        await Tender.raw(
            "INSERT INTO tender_recipient (tender, partner) VALUES ({}, {})", tender, partner
        )
        if number < answered:
            await Tender.raw(
                """INSERT INTO quote (tender, partner, price, currency, timeline, commitment_at)
                   VALUES ({}, {}, 2000, 'CHF', 'Two weeks', now())""",
                tender,
                partner,
            )


async def test_partners_that_answer_their_tenders_rank_above_those_that_do_not():
    diligent = await listed_partner("Diligent AG")
    silent = await listed_partner("Silent AG")
    newcomer = await listed_partner("Newcomer AG")
    await received(diligent, 4, 4)
    await received(silent, 4, 0)
    await services.refresh_evidence()
    assert [row["id"] for row in await queries.search(Search())] == [diligent, newcomer, silent]
    listing = await queries.listing_of(diligent)
    assert (listing["tenders_received"], listing["tenders_answered"]) == (4, 4)


async def test_a_worker_trusts_the_version_it_read_for_the_ttl_only():
    version = await services.directory_version(60)
    await listed_partner("Bumps The Version AG")
    assert await services.directory_version(60) == version  # within the TTL
    assert await services.directory_version(0) > version  # a TTL of 0 reads every time


async def test_the_python_fold_equals_the_database_fold():
    """A query is folded in Python and compared with documents the database folded: both
    folds must agree on every letter the table maps, and on ordinary words."""
    from portal.directory.tables import DirectoryListing

    samples = [
        rules.FOLD_PAIRS[0][0] + "".join(chr(c) for c in range(0xC0, 0x250)),
        "Genève Zürich Neuchâtel Graubünden Straße Œuvre Æsir Łódź Ørsted Ðorđe",
        "WEB Shop 2026 co2",
    ]
    for sample in samples:
        rows = await DirectoryListing.raw("SELECT directory_fold({}) AS folded", sample)
        assert rows[0]["folded"] == rules.fold(sample)


async def test_two_organisations_of_the_same_name_saving_at_once_both_get_a_slug(monkeypatch):
    """Both may find the slug free before either inserts it: the second insert then hits the
    unique slug and is retried with the next free one (it was a 500)."""
    first = await listed_partner("Twin Sites AG")
    real_slug_taken = queries.slug_taken
    checks = []

    async def checked_before_the_other_inserted(slug: str) -> bool:
        checks.append(slug)
        return False if len(checks) == 1 else await real_slug_taken(slug)

    monkeypatch.setattr(queries, "slug_taken", checked_before_the_other_inserted)
    second = await listed_partner("Twin Sites AG")
    assert (await queries.listing_of(first))["slug"] == "twin-sites-ag"
    assert (await queries.listing_of(second))["slug"] == f"twin-sites-ag-{second}"
