"""The managed volume as maintained data: one row per active link that manages products, kept
current by triggers on the tables it is computed from, so a partner's volume is an aggregate of
its links (thousands of rows), not of its clients' products (a hundred thousand)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T23:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "managed_link: the managed volume per link, maintained by triggers"

SQL = """
CREATE TABLE managed_link (
    link integer PRIMARY KEY REFERENCES partner_link (id) ON DELETE CASCADE,
    partner integer NOT NULL,
    client integer NOT NULL,
    volume numeric(14, 2) NOT NULL,  -- annualised public prices, in the partner's currency
    products integer NOT NULL,
    next_renewal date NOT NULL
);
CREATE INDEX managed_link_partner_volume ON managed_link (partner, volume DESC)
    INCLUDE (client, products);
CREATE INDEX managed_link_partner_renewal ON managed_link (partner, next_renewal);
CREATE INDEX managed_link_client ON managed_link (client);
CREATE INDEX partner_link_client_active ON partner_link (client) WHERE status = 'active';
CREATE INDEX partner_link_partner_waiting ON partner_link (partner)
    WHERE status IN ('awaiting_client', 'awaiting_partner');
CREATE INDEX product_organisation_renewal ON product (organisation, renews_on)
    WHERE status = 'active';

-- Recompute the rows of the links of these clients. Refreshes of one client are serialised
-- (an advisory lock per client, or one for all in a bulk change), so a refresh always starts
-- after the change it races with has committed and sees it.
CREATE FUNCTION refresh_managed_links(clients integer[]) RETURNS void
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
    DELETE FROM managed_link
    WHERE client = ANY(clients)
       OR link IN (SELECT id FROM partner_link WHERE client = ANY(clients));
    INSERT INTO managed_link (link, partner, client, volume, products, next_renewal)
    SELECT l.id, l.partner, l.client,
           sum(CASE WHEN cp.period = 'yearly' THEN cp.amount ELSE cp.amount * 12 END),
           count(*), min(p.renews_on)
    FROM partner_link l
    JOIN organisation o ON o.id = l.partner
    JOIN product p ON p.organisation = l.client AND p.status = 'active'
    JOIN catalogue_price cp
        ON cp.item = p.item AND cp.currency = o.currency AND cp.period = p.period
    WHERE l.client = ANY(clients) AND l.status = 'active'
      -- the link manages the product (docs/rules.md, Delegation): full, all the client's products; restricted,
      -- its categories and the products named one by one
      AND (l.access = 'full' OR p.family = ANY(l.families)
           OR EXISTS (SELECT 1 FROM delegated_product d
                      WHERE d.link = l.id AND d.product = p.id))
    GROUP BY l.id;
END $$;

CREATE FUNCTION managed_links_after_product_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(SELECT DISTINCT organisation FROM new_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_links_after_product_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(
        SELECT n.organisation FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.organisation, n.item, n.family, n.period, n.status, n.renews_on)
              IS DISTINCT FROM (o.organisation, o.item, o.family, o.period, o.status, o.renews_on)
        UNION
        SELECT o.organisation FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.organisation IS DISTINCT FROM o.organisation));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_links_after_product_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(SELECT DISTINCT organisation FROM old_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER managed_links_product_insert AFTER INSERT ON product
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_product_insert();
CREATE TRIGGER managed_links_product_update AFTER UPDATE ON product
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_product_update();
CREATE TRIGGER managed_links_product_delete AFTER DELETE ON product
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_product_delete();

CREATE FUNCTION managed_links_after_link_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(SELECT DISTINCT client FROM new_rows
                                        WHERE status = 'active'));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_links_after_link_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(
        SELECT n.client FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.status, n.access, n.families, n.partner, n.client)
              IS DISTINCT FROM (o.status, o.access, o.families, o.partner, o.client)
        UNION
        SELECT o.client FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.client IS DISTINCT FROM o.client));
    RETURN NULL;
END $$;
CREATE TRIGGER managed_links_link_insert AFTER INSERT ON partner_link
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_link_insert();
CREATE TRIGGER managed_links_link_update AFTER UPDATE ON partner_link
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_link_update();
-- A deleted link takes its row with it (ON DELETE CASCADE).

CREATE FUNCTION managed_links_after_delegation_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(SELECT DISTINCT client FROM new_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_links_after_delegation_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(SELECT client FROM new_rows
                                        UNION SELECT client FROM old_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_links_after_delegation_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(SELECT DISTINCT client FROM old_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER managed_links_delegation_insert AFTER INSERT ON delegated_product
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_delegation_insert();
CREATE TRIGGER managed_links_delegation_update AFTER UPDATE ON delegated_product
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_delegation_update();
CREATE TRIGGER managed_links_delegation_delete AFTER DELETE ON delegated_product
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_delegation_delete();

-- A price change touches every link that manages that item: rare, so recompute them all.
CREATE FUNCTION managed_links_after_price_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_links(ARRAY(SELECT DISTINCT client FROM partner_link
                                        WHERE status = 'active'));
    RETURN NULL;
END $$;
CREATE TRIGGER managed_links_price_change AFTER INSERT OR UPDATE OR DELETE ON catalogue_price
    FOR EACH STATEMENT EXECUTE FUNCTION managed_links_after_price_change();

SELECT refresh_managed_links(ARRAY(SELECT DISTINCT client FROM partner_link
                                   WHERE status = 'active'));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
