"""Renewals: the products' managing partner refreshed by a join on the clients of a statement.

`refresh_managed_by` found the products with `organisation = ANY(clients)`, which a plan can run
as a scan comparing every product with every client of the array (an array of parameters is not
hashed): one statement linking 100,000 clients (a partner's import, the demo's load) did not
finish in a quarter of an hour. Joining on the clients as a set costs the same per client
however many there are. The managing partner is the same as `managing_partner` computes
(docs/rules.md, Delegation), read for each product by an index lookup of its client's links.

The trigger after an update of links found the changed links by joining the old rows to the
new ones, which grew faster than the statement; now a link whose columns changed is one that
appears once, not twice, among the old and new rows grouped by their columns: the clients it had
and has are refreshed, as before."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "refresh_managed_by joins on the clients, linear in their number"

SQL = """
CREATE OR REPLACE FUNCTION refresh_managed_by(clients integer[]) RETURNS void LANGUAGE sql AS $$
    UPDATE product p SET managed_by = x.partner
    FROM (SELECT q.id, m.partner
          FROM (SELECT DISTINCT c FROM unnest(clients) AS c WHERE c IS NOT NULL) AS t(client)
          JOIN product q ON q.organisation = t.client
          LEFT JOIN LATERAL (
              SELECT l.partner FROM partner_link l
              WHERE l.client = q.organisation AND l.status = 'active'
                AND (l.access = 'full' OR q.family = ANY(l.families)
                     OR EXISTS (SELECT 1 FROM delegated_product d
                                WHERE d.link = l.id AND d.product = q.id))
              ORDER BY l.id LIMIT 1) m ON true) x
    WHERE p.id = x.id AND p.managed_by IS DISTINCT FROM x.partner
$$;

CREATE OR REPLACE FUNCTION managed_by_after_link_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_by(ARRAY(
        SELECT DISTINCT client FROM (
            SELECT client FROM (
                SELECT id, status, access, families, partner, client FROM new_rows
                UNION ALL
                SELECT id, status, access, families, partner, client FROM old_rows) AS v
            GROUP BY id, status, access, families, partner, client
            HAVING count(*) = 1) AS changed
        WHERE client IS NOT NULL));
    RETURN NULL;
END $$;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="renewals", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
