"""The due soon count the partner dashboard reads from the counts kept per renewal date
(renewal_day_count) is the count of the filtered list, whatever changes the products: a
renewal run, a suspension, a new date, a partner's link ending, a product removed; and
compacting the kept counts changes no count."""

from datetime import timedelta

from portal.clients.tables import PartnerLink
from portal.products.tables import Product
from portal.renewals import lists, queries
from portal.renewals.lists import Filter, Owner
from tests.factories.renewals import TODAY, partner_with_clients, run


async def kept_and_listed(partner: int, day=TODAY) -> tuple[int, int]:
    policies = await queries.policies()
    owner = Owner(partner, partner=True)
    kept = await Product.raw("SELECT {} AS n", lists.kept_due_soon_query(partner, day))
    listed = await Product.raw(
        "SELECT {} AS n", lists.count_query(owner, Filter.DUE_SOON, day, policies)
    )
    return kept[0]["n"], listed[0]["n"] or 0


async def day_count_rows() -> list[dict]:
    return await Product.raw("SELECT * FROM renewal_day_count ORDER BY partner, renews_on")


async def test_the_kept_count_follows_every_change_of_the_products(db):
    partner, clients, links = await partner_with_clients()
    kept, listed = await kept_and_listed(partner)
    assert kept == listed > 0

    soon = await Product.select(Product.id).where(
        (Product.managed_by == partner) & (Product.renews_on == TODAY + timedelta(days=5))
    )
    await Product.update({Product.status: "suspended"}).where(Product.id == soon[0]["id"])
    await Product.update({Product.renews_on: TODAY + timedelta(days=400)}).where(
        Product.id == soon[1]["id"]
    )
    later = await Product.select(Product.id).where(
        (Product.managed_by == partner) & (Product.renews_on == TODAY + timedelta(days=200))
    )
    await Product.update({Product.renews_on: TODAY + timedelta(days=3)}).where(
        Product.id == later[0]["id"]
    )
    await Product.delete().where(Product.id == later[1]["id"])
    assert await kept_and_listed(partner) == (kept - 1, listed - 1)  # two out, one in

    await PartnerLink.update({PartnerLink.status: "ended"}).where(PartnerLink.id == links[2])
    kept, listed = await kept_and_listed(partner)
    assert kept == listed > 0

    await run(TODAY)  # steps and suspensions by the run, then its compaction
    for day in (TODAY, TODAY + timedelta(days=1), TODAY + timedelta(days=30)):
        kept, listed = await kept_and_listed(partner, day)
        assert kept == listed


async def test_compacting_keeps_one_row_per_partner_and_date_and_the_same_counts(db):
    partner, clients, _ = await partner_with_clients()
    await Product.update({Product.status: "suspended"}).where(Product.organisation == clients[0])
    await Product.update({Product.status: "active"}).where(Product.organisation == clients[0])
    before = await kept_and_listed(partner)
    assert len(await day_count_rows()) > len(
        {(r["partner"], r["renews_on"]) for r in await day_count_rows()}
    )

    await queries.compact_day_counts(TODAY)

    rows = await day_count_rows()
    assert all(r["compacted"] and r["products"] != 0 for r in rows)
    assert len(rows) == len({(r["partner"], r["renews_on"]) for r in rows})
    assert min(r["renews_on"] for r in rows) >= TODAY  # dates gone by are dropped
    assert await kept_and_listed(partner) == before
