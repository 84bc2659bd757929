"""The renewals lists as the pages and the dashboard read them: the counts agree with the
filtered lists, a collaborator's list holds only the clients given to them, and a page of the
list ends where the next one starts, in both directions, under every filter."""

from portal.clients.tables import ClientAssignment
from portal.products.tables import Product
from portal.renewals import lists, queries
from portal.renewals.lists import Filter, Owner, Position
from tests.factories.organisations import insert_person
from tests.factories.renewals import LIST_OFFSETS, TODAY, partner_with_clients


async def every_page(owner: Owner, chosen: Filter, size: int = 7) -> list[int]:
    policies = await queries.policies()
    seen, position = [], Position()
    while True:
        page = await lists.renewals_page(owner, chosen, "", TODAY, policies, position, size)
        seen += [row["id"] for row in page.rows]
        if page.next_token is None:
            return seen
        position = Position(after=lists.key_of(page.next_token))


async def test_counts_agree_with_the_filtered_lists(db):
    partner, _, _ = await partner_with_clients()
    owner = Owner(partner, partner=True)
    policies = await queries.policies()

    counts = await lists.counts(owner, TODAY, policies)

    for chosen in (Filter.DUE_SOON, Filter.GRACE, Filter.SUSPENDED):
        assert counts[chosen] == len(await every_page(owner, chosen)) > 0
    assert counts[Filter.SUSPENDED] > 3  # by the dates, and the one suspended for its invoice


async def test_pages_cover_each_filter_once_in_date_order_both_ways(db):
    partner, _, _ = await partner_with_clients()
    owner = Owner(partner, partner=True)
    policies = await queries.policies()
    for chosen in Filter:
        forward = await every_page(owner, chosen)
        assert len(forward) == len(set(forward))
        rows = {r["id"]: r for r in await Product.select().where(Product.id.is_in(forward))}
        keys = [(rows[i]["renews_on"], i) for i in forward]
        assert keys == sorted(keys)
        last = lists.key_of(lists.token(rows[forward[-1]] | {"id": forward[-1]}))
        backward, position = [], Position(before=(last[0], last[1] + 1))
        while True:
            page = await lists.renewals_page(owner, chosen, "", TODAY, policies, position, 5)
            backward = [row["id"] for row in page.rows] + backward
            if page.previous_token is None:
                break
            position = Position(before=lists.key_of(page.previous_token))
        assert backward == forward


async def test_a_collaborator_sees_only_the_clients_given_to_them(db):
    partner, clients, links = await partner_with_clients()
    person = await insert_person("colleague@partner.test", partner, "user")
    await ClientAssignment.insert(ClientAssignment(link=links[1], account=person))
    seen = await queries.clients_seen(partner, person, frozenset())
    owner = Owner(partner, partner=True, only_clients=tuple(seen))

    listed = await every_page(owner, Filter.ALL)

    owners = {r["organisation"] for r in await Product.select().where(Product.id.is_in(listed))}
    assert seen == [clients[1]] and owners == {clients[1]}
    assert len(listed) == 2 * len(LIST_OFFSETS)
