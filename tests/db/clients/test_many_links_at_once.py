"""One statement that links, changes or delegates for many clients at once (a partner's import)
leaves the products' managing partner and the managed volume exactly as the same changes made
one client at a time do, and as they are computed from scratch."""

from datetime import UTC, datetime, timedelta

from piccolo.querystring import QueryString

from portal.piccolo_conf import DB
from tests.factories.renewals import DATE, organisation

CLIENTS = 2_000  # in each group: the group linked at once, the group linked one by one
CODES = ["web-pro", "domain-ch", "mail-5"]


async def run(sql: str, *args) -> list[dict]:
    return await DB.run_querystring(QueryString(sql, *args))


async def clients_with_products(prefix: str) -> list[int]:
    rows = await run(
        "INSERT INTO organisation (name, country, currency, partner_status) "
        "SELECT {} || n, 'CH', 'CHF', 'none' FROM generate_series(1, {}) AS n RETURNING id",
        prefix,
        CLIENTS,
    )
    clients = sorted(r["id"] for r in rows)
    await run(
        "INSERT INTO product (organisation, item, family, name, period, status, started_on, "
        "renews_on) SELECT c, i.id, i.family, i.code || '-' || c, 'yearly', 'active', "
        "{}::date - 365 + (n % 7)::int, {}::date + (n % 7)::int "
        "FROM unnest({}::int[]) WITH ORDINALITY AS t(c, n) "
        "CROSS JOIN catalogue_item i WHERE i.code = ANY({})",
        DATE,
        DATE,
        clients,
        CODES,
    )
    return clients


def links_of(clients: list[int], first: int, second: int) -> list[tuple]:
    """Every client's link to the first partner: full, restricted to hosting, or restricted
    to the products named one by one; a fifth of them also restricted to domains with the
    second partner (then the older link manages what both cover)."""
    links = []
    for n, client in enumerate(clients):
        shape = n % 3
        access = "full" if shape == 0 else "restricted"
        families = ["web_hosting"] if shape == 1 else []
        links.append((first, client, access, families, "client" if shape == 0 else None))
        if n % 5 == 0:
            links.append((second, client, "restricted", ["domain"], None))
    return links


LINK_SQL = (
    "INSERT INTO partner_link (partner, client, status, initiated_by, requested_access, access, "
    "families, billing_mode, expires_at) SELECT l.partner, l.client, 'active', 'partner', "
    "l.access, l.access, string_to_array(l.families, ','), l.billing, {} "
    "FROM unnest({}::int[], {}::int[], {}::text[], {}::text[], {}::text[]) "
    "AS l(partner, client, access, families, billing)"
)


async def insert_links(links: list[tuple]) -> None:
    partners, clients, access, families, billing = zip(*links, strict=True)
    await run(
        LINK_SQL,
        datetime.now(UTC) + timedelta(days=1),
        list(partners),
        list(clients),
        list(access),
        [",".join(f) for f in families],
        list(billing),
    )


DELEGATE_SQL = (
    "INSERT INTO delegated_product (link, product, client) "
    "SELECT l.id, p.id, l.client FROM partner_link l "
    "JOIN product p ON p.organisation = l.client AND p.family = 'mail_service' "
    "WHERE l.partner = {} AND l.access = 'restricted' AND cardinality(l.families) = 0 "
    "AND l.client = ANY({})"
)
WIDEN_SQL = (
    "UPDATE partner_link SET families = families || ARRAY['mail_service']::varchar[] "
    "WHERE partner = {} AND families = ARRAY['web_hosting']::varchar[] AND client = ANY({})"
)
STOP_SQL = (
    "UPDATE partner_link SET status = 'stopped', ended_at = now() "
    "WHERE partner = {} AND client = ANY({})"
)


async def state(clients: list[int]) -> list[tuple]:
    """Per client, in order: its products' managing partners and its managed volume rows."""
    products = await run(
        "SELECT organisation, array_agg(managed_by ORDER BY name) AS managed "
        "FROM product WHERE organisation = ANY({}) GROUP BY organisation",
        clients,
    )
    volume = await run(
        "SELECT client, array_agg(ARRAY[partner::numeric, volume, products] ORDER BY partner) "
        "AS rows, min(next_renewal) AS next_renewal FROM managed_link "
        "WHERE client = ANY({}) GROUP BY client",
        clients,
    )
    managed = {r["organisation"]: r["managed"] for r in products}
    rows = {r["client"]: (r["rows"], r["next_renewal"]) for r in volume}
    return [(managed.get(c), rows.get(c)) for c in clients]


async def assert_as_computed_from_scratch() -> None:
    wrong = await run(
        "SELECT count(*) AS n FROM product "
        "WHERE managed_by IS DISTINCT FROM managing_partner(organisation, family, id)"
    )
    assert wrong[0]["n"] == 0
    kept = await run(
        "SELECT link, partner, client, volume, products, next_renewal FROM managed_link "
        "ORDER BY link"
    )
    computed = await run(
        "SELECT l.id AS link, l.partner, l.client, "
        "sum(CASE WHEN cp.period = 'yearly' THEN cp.amount ELSE cp.amount * 12 END) AS volume, "
        "count(*) AS products, min(p.renews_on) AS next_renewal "
        "FROM partner_link l JOIN organisation o ON o.id = l.partner "
        "JOIN product p ON p.organisation = l.client AND p.status = 'active' "
        "JOIN catalogue_price cp ON cp.item = p.item AND cp.currency = o.currency "
        "AND cp.period = p.period WHERE l.status = 'active' AND (l.access = 'full' "
        "OR p.family = ANY(l.families) OR EXISTS (SELECT 1 FROM delegated_product d "
        "WHERE d.link = l.id AND d.product = p.id)) GROUP BY l.id ORDER BY l.id"
    )
    assert kept == computed


async def test_one_statement_for_many_clients_does_what_one_per_client_does(db):
    first = await organisation("First Partner AG", partner=True)
    second = await organisation("Second Partner AG", partner=True)
    at_once = await clients_with_products("At once ")
    one_by_one = await clients_with_products("One by one ")

    await insert_links(links_of(at_once, first, second))
    for link in links_of(one_by_one, first, second):
        await insert_links([link])
    await assert_as_computed_from_scratch()
    assert await state(at_once) == await state(one_by_one)
    managed = [m for products, _ in await state(at_once) for m in products]
    assert managed.count(first) and managed.count(second) and managed.count(None)

    for sql in (DELEGATE_SQL, WIDEN_SQL):
        await run(sql, first, at_once)
        for client in one_by_one:
            await run(sql, first, [client])
        await assert_as_computed_from_scratch()
        assert await state(at_once) == await state(one_by_one)

    await run(STOP_SQL, first, at_once)
    for client in one_by_one:
        await run(STOP_SQL, first, [client])
    await assert_as_computed_from_scratch()
    assert await state(at_once) == await state(one_by_one)
