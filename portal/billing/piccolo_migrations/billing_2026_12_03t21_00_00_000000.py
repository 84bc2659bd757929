"""Billing: the managed volume's rows refreshed by a join on the clients of a statement.

`refresh_managed_links` deleted with `client = ANY(clients) OR link IN (...)`, a scan of every
row comparing it with every client of the array, and read the links the same way: one statement
linking 100,000 clients did not finish in a quarter of an hour. Now each step joins on the
clients as a set, through the indexes by client: the cost per client no longer grows with their
number. What is computed is unchanged.

The triggers after an update of products or links found the changed rows by joining the old rows
to the new ones, which grew faster than the statement; now a row whose columns changed is one
that appears once, not twice, among the old and new rows grouped by their columns: the clients
it had and has are refreshed, as before."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "refresh_managed_links joins on the clients, linear in their number"

SQL = """
-- Refreshes of one client are serialised (an advisory lock per client, or one for all in a bulk
-- change), so a refresh always starts after the change it races with has committed and sees it.
CREATE OR REPLACE FUNCTION refresh_managed_links(clients integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    clients := ARRAY(SELECT DISTINCT c FROM unnest(clients) AS c WHERE c IS NOT NULL ORDER BY 1);
    IF cardinality(clients) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(clients) > 200 THEN
        PERFORM pg_advisory_xact_lock(7301, 0);
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7301, 0);
        PERFORM pg_advisory_xact_lock(7302, c) FROM unnest(clients) AS c;
    END IF;
    DELETE FROM managed_link m USING unnest(clients) AS t(client) WHERE m.client = t.client;
    -- a link that moved to one of these clients, its row still under the client it had
    DELETE FROM managed_link m USING unnest(clients) AS t(client), partner_link l
    WHERE l.client = t.client AND m.link = l.id;
    INSERT INTO managed_link (link, partner, client, volume, products, next_renewal)
    SELECT l.id, l.partner, l.client,
           sum(CASE WHEN cp.period = 'yearly' THEN cp.amount ELSE cp.amount * 12 END),
           count(*), min(p.renews_on)
    FROM unnest(clients) AS t(client)
    JOIN partner_link l ON l.client = t.client AND l.status = 'active'
    JOIN organisation o ON o.id = l.partner
    JOIN product p ON p.organisation = l.client AND p.status = 'active'
    JOIN catalogue_price cp
        ON cp.item = p.item AND cp.currency = o.currency AND cp.period = p.period
    -- the link manages the product (docs/rules.md, Delegation): full, all the client's
    -- products; restricted, its categories and the products named one by one
    WHERE l.access = 'full' OR p.family = ANY(l.families)
          OR EXISTS (SELECT 1 FROM delegated_product d
                     WHERE d.link = l.id AND d.product = p.id)
    GROUP BY l.id;
END $$;

CREATE OR REPLACE FUNCTION managed_links_after_product_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(
        SELECT organisation FROM (
            SELECT id, organisation, item, family, period, status, renews_on FROM new_rows
            UNION ALL
            SELECT id, organisation, item, family, period, status, renews_on FROM old_rows) AS v
        GROUP BY id, organisation, item, family, period, status, renews_on
        HAVING count(*) = 1));
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION managed_links_after_link_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(
        SELECT client FROM (
            SELECT id, status, access, families, partner, client FROM new_rows
            UNION ALL
            SELECT id, status, access, families, partner, client FROM old_rows) AS v
        GROUP BY id, status, access, families, partner, client
        HAVING count(*) = 1));
    RETURN NULL;
END $$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
