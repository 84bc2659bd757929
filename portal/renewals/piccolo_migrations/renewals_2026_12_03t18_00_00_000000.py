"""Renewals: the partner dashboard's "due soon" count as kept data. A partner managing 100,000
products has tens of thousands due within 30 days, and counting them from an index costs
milliseconds per request; renewal_day_count holds how many active products each partner
manages per renewal date, so the count sums at most 31 rows per day of the window.

Triggers on product write changes as deltas (+n, -n), never update a shared row: the run's
transactions of different clients of one partner never wait on each other for it. The
renewal run compacts the deltas (renewals.queries.compact_day_counts)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "renewal_day_count: active managed products per partner and renewal date"

SQL = """
CREATE TABLE renewal_day_count (
    partner integer NOT NULL,
    renews_on date NOT NULL,
    products integer NOT NULL,
    compacted boolean NOT NULL DEFAULT false
);
CREATE INDEX renewal_day_count_partner ON renewal_day_count (partner, renews_on)
    INCLUDE (products);
CREATE INDEX renewal_day_count_fresh ON renewal_day_count (partner, renews_on)
    WHERE NOT compacted;
CREATE INDEX renewal_day_count_day ON renewal_day_count (renews_on);

-- What a product counts for: active, managed by a partner.
CREATE FUNCTION renewal_day_count_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO renewal_day_count (partner, renews_on, products)
    SELECT managed_by, renews_on, count(*) FROM new_rows
    WHERE managed_by IS NOT NULL AND status = 'active'
    GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE FUNCTION renewal_day_count_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- a row whose partner, date and activity did not change adds +1 and -1 to one day
    INSERT INTO renewal_day_count (partner, renews_on, products)
    SELECT partner, renews_on, sum(n) FROM (
        SELECT managed_by, renews_on, 1 FROM new_rows
        WHERE managed_by IS NOT NULL AND status = 'active'
        UNION ALL
        SELECT managed_by, renews_on, -1 FROM old_rows
        WHERE managed_by IS NOT NULL AND status = 'active') AS d(partner, renews_on, n)
    GROUP BY 1, 2 HAVING sum(n) <> 0;
    RETURN NULL;
END $$;
CREATE FUNCTION renewal_day_count_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO renewal_day_count (partner, renews_on, products)
    SELECT managed_by, renews_on, -count(*) FROM old_rows
    WHERE managed_by IS NOT NULL AND status = 'active'
    GROUP BY 1, 2;
    RETURN NULL;
END $$;
CREATE TRIGGER renewal_day_count_insert AFTER INSERT ON product
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_day_count_after_insert();
CREATE TRIGGER renewal_day_count_update AFTER UPDATE ON product
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_day_count_after_update();
CREATE TRIGGER renewal_day_count_delete AFTER DELETE ON product
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION renewal_day_count_after_delete();

INSERT INTO renewal_day_count (partner, renews_on, products, compacted)
SELECT managed_by, renews_on, count(*), true FROM product
WHERE managed_by IS NOT NULL AND status = 'active'
GROUP BY 1, 2;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="renewals", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
