"""Renewals: the families' renewal policy (programme data), and the triggers that keep each
product's renewal columns current whoever changes the product or its delegation — a new
renewal date starts the reminders again, a link or a delegated product names the partner that
manages it — with the indexes of the renewal run and of the renewals pages."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T14:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "renewal policy, triggers and indexes"

# grace days, suspension days, automatic renewal on by default ("*": any other family)
POLICY = {
    "domain": {"grace_days": 5, "suspension_days": 25, "automatic_by_default": True},
    "web_hosting": {"grace_days": 15, "suspension_days": 30, "automatic_by_default": False},
    "mail_service": {"grace_days": 15, "suspension_days": 30, "automatic_by_default": False},
    "*": {"grace_days": 15, "suspension_days": 30, "automatic_by_default": False},
}

SQL = """
ALTER TABLE product DROP CONSTRAINT product_status;
ALTER TABLE product ADD CONSTRAINT product_status
    CHECK (status IN ('active', 'suspended', 'expired', 'cancelled'));
ALTER TABLE product ADD CONSTRAINT product_renewal_step CHECK (renewal_step BETWEEN 0 AND 7);
ALTER TABLE renewal ADD CONSTRAINT renewal_way CHECK (way IN ('automatic', 'warranty', 'manual'));

-- The first day the renewal run looks at a product: its first reminder (renewals.rules).
CREATE FUNCTION renewal_first_check(renews_on date, period text) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT renews_on - CASE WHEN period = 'monthly' THEN 7 ELSE 30 END
$$;

CREATE FUNCTION renewal_automatic_by_default(family text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((coalesce(payload -> family, payload -> '*')
                     ->> 'automatic_by_default')::boolean, false)
    FROM programme_setting WHERE kind = 'renewal_policy'
    ORDER BY created_at DESC, id DESC LIMIT 1
$$;

-- The partner whose active link covers the product (docs/rules.md, Delegation: full, all the
-- client's products; restricted, its categories and the products named one by one). Two
-- partners never manage one product.
CREATE FUNCTION managing_partner(client integer, family text, product integer) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT l.partner FROM partner_link l
    WHERE l.client = $1 AND l.status = 'active'
      AND (l.access = 'full' OR $2 = ANY(l.families)
           OR EXISTS (SELECT 1 FROM delegated_product d WHERE d.link = l.id AND d.product = $3))
    ORDER BY l.id LIMIT 1
$$;

CREATE FUNCTION product_renewal_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.automatic_renewal IS NULL THEN
        NEW.automatic_renewal := renewal_automatic_by_default(NEW.family);
    END IF;
    IF NEW.next_renewal_check IS NULL AND NEW.status IN ('active', 'suspended') THEN
        NEW.next_renewal_check := renewal_first_check(NEW.renews_on, NEW.period);
    END IF;
    NEW.managed_by := managing_partner(NEW.organisation, NEW.family, NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER product_renewal_insert BEFORE INSERT ON product
    FOR EACH ROW EXECUTE FUNCTION product_renewal_on_insert();

-- A new renewal date (a renewal, by any path) starts the steps again.
CREATE FUNCTION product_renewal_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.renews_on IS DISTINCT FROM OLD.renews_on THEN
        NEW.renewal_step := 0;
        NEW.next_renewal_check := CASE WHEN NEW.status IN ('active', 'suspended')
            THEN renewal_first_check(NEW.renews_on, NEW.period) END;
    END IF;
    IF (NEW.organisation, NEW.family) IS DISTINCT FROM (OLD.organisation, OLD.family) THEN
        NEW.managed_by := managing_partner(NEW.organisation, NEW.family, NEW.id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER product_renewal_update BEFORE UPDATE OF renews_on, organisation, family
    ON product FOR EACH ROW EXECUTE FUNCTION product_renewal_on_update();

-- The products of these clients: which partner manages each, after a change of their links.
-- Runs in the delegation change's transaction, which holds the client's lock already.
CREATE FUNCTION refresh_managed_by(clients integer[]) RETURNS void LANGUAGE sql AS $$
    UPDATE product p SET managed_by = x.partner
    FROM (SELECT q.id, managing_partner(q.organisation, q.family, q.id) AS partner
          FROM product q WHERE q.organisation = ANY(clients)) x
    WHERE p.id = x.id AND p.managed_by IS DISTINCT FROM x.partner
$$;

CREATE FUNCTION managed_by_after_link_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_by(ARRAY(SELECT DISTINCT client FROM new_rows
                                     WHERE status = 'active' AND client IS NOT NULL));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_by_after_link_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_by(ARRAY(
        SELECT n.client FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.status, n.access, n.families, n.partner, n.client)
              IS DISTINCT FROM (o.status, o.access, o.families, o.partner, o.client)
        UNION
        SELECT o.client FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.client IS DISTINCT FROM o.client));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_by_after_link_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_by(ARRAY(SELECT DISTINCT client FROM old_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER managed_by_link_insert AFTER INSERT ON partner_link
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_by_after_link_insert();
CREATE TRIGGER managed_by_link_update AFTER UPDATE ON partner_link
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_by_after_link_update();
CREATE TRIGGER managed_by_link_delete AFTER DELETE ON partner_link
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_by_after_link_delete();

CREATE FUNCTION managed_by_after_delegation_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_by(ARRAY(SELECT DISTINCT client FROM new_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_by_after_delegation_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_by(ARRAY(SELECT client FROM new_rows
                                     UNION SELECT client FROM old_rows));
    RETURN NULL;
END $$;
CREATE FUNCTION managed_by_after_delegation_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_managed_by(ARRAY(SELECT DISTINCT client FROM old_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER managed_by_delegation_insert AFTER INSERT ON delegated_product
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_by_after_delegation_insert();
CREATE TRIGGER managed_by_delegation_update AFTER UPDATE ON delegated_product
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_by_after_delegation_update();
CREATE TRIGGER managed_by_delegation_delete AFTER DELETE ON delegated_product
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION managed_by_after_delegation_delete();

-- The products there are already.
UPDATE product SET
    automatic_renewal = renewal_automatic_by_default(family),
    next_renewal_check = CASE WHEN status IN ('active', 'suspended')
        THEN renewal_first_check(renews_on, period) END,
    managed_by = managing_partner(organisation, family, id);
ALTER TABLE product ALTER COLUMN automatic_renewal SET NOT NULL;

-- The run finds its work by day; the pages read a client's or a partner's products by date.
CREATE INDEX product_renewal_check ON product (next_renewal_check, organisation)
    INCLUDE (renews_on) WHERE next_renewal_check IS NOT NULL;
CREATE INDEX product_client_renewal_check ON product (organisation, next_renewal_check)
    WHERE next_renewal_check IS NOT NULL;
CREATE INDEX product_organisation_renews ON product (organisation, renews_on, id);
CREATE INDEX product_managed_renews ON product (managed_by, renews_on, id)
    WHERE managed_by IS NOT NULL;
-- the suspended ones, a few of many, in date order (the "suspended" filter)
CREATE INDEX product_managed_suspended ON product (managed_by, renews_on, id)
    WHERE status = 'suspended' AND managed_by IS NOT NULL;
CREATE INDEX product_organisation_suspended ON product (organisation, renews_on, id)
    WHERE status = 'suspended';
CREATE UNIQUE INDEX renewal_once ON renewal (product, renewed_from);
CREATE INDEX renewal_invoice_check ON renewal (next_check) WHERE next_check IS NOT NULL;
CREATE INDEX renewal_by_invoice ON renewal (invoice);
CREATE INDEX renewal_notice_waiting ON renewal_notice (recipient, id) WHERE mailed_at IS NULL;
CREATE INDEX renewal_notice_product ON renewal_notice (product);
"""


def policy_sql() -> str:
    return (
        "INSERT INTO programme_setting (kind, payload, note) VALUES ('renewal_policy', "
        f"'{json.dumps(POLICY)}'::jsonb, 'Initial renewal configuration');"
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="renewals", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(policy_sql() + SQL)

    manager.add_raw(run)
    return manager
