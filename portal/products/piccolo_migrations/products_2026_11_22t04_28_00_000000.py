"""Catalogue constraints, and the catalogue itself: families, offers and public prices."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T04:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalogue data and constraints"

OFFERS = [
    # code, family, name, CHF monthly, CHF yearly, EUR monthly, EUR yearly
    ("domain-ch", "domain", "Domain name .ch", None, "13.00", None, "12.00"),
    ("domain-com", "domain", "Domain name .com", None, "15.00", None, "14.00"),
    ("web-starter", "web_hosting", "Web Hosting Starter", "5.75", "69.00", "5.50", "66.00"),
    ("web-pro", "web_hosting", "Web Hosting Pro", "9.92", "119.04", "9.20", "110.40"),
    ("mail-5", "mail_service", "Mail Service (5 addresses)", "3.00", "36.00", "2.75", "33.00"),
    ("ksuite-standard", "ksuite", "kSuite Standard (per user)", "5.40", "54.00", "5.00",
     "50.00"),
    ("kdrive-solo", "kdrive", "kDrive Solo 2 TB", "4.99", "49.90", "4.99", "49.90"),
    ("cloud-2", "cloud_server", "Cloud Server 2 vCPU", "27.00", "324.00", "25.00", "300.00"),
    ("vps-lite", "vps", "VPS Lite", "9.00", "108.00", "8.50", "102.00"),
    ("public-cloud", "public_cloud", "Public Cloud (monthly credit)", "50.00", "600.00",
     "45.00", "540.00"),
    ("backup-1tb", "backup", "Swiss Backup 1 TB", "10.00", "120.00", "9.50", "114.00"),
]


def catalogue_sql() -> str:
    statements = []
    for code, family, name, chf_m, chf_y, eur_m, eur_y in OFFERS:
        statements.append(
            f"INSERT INTO catalogue_item (code, family, name) VALUES ('{code}', '{family}', "
            f"'{name}');"
        )
        for currency, period, amount in (("CHF", "monthly", chf_m), ("CHF", "yearly", chf_y),
                                         ("EUR", "monthly", eur_m), ("EUR", "yearly", eur_y)):
            if amount is not None:
                statements.append(
                    "INSERT INTO catalogue_price (item, currency, period, amount) "
                    f"SELECT id, '{currency}', '{period}', {amount} FROM catalogue_item "
                    f"WHERE code = '{code}';"
                )
    return "\n".join(statements)


SQL = """
CREATE UNIQUE INDEX catalogue_price_once ON catalogue_price (item, currency, period);
ALTER TABLE catalogue_price ADD CONSTRAINT catalogue_price_currency CHECK (currency IN ('CHF', 'EUR'));
ALTER TABLE catalogue_price ADD CONSTRAINT catalogue_price_period CHECK (period IN ('monthly', 'yearly'));
ALTER TABLE catalogue_price ADD CONSTRAINT catalogue_price_positive CHECK (amount >= 0);
ALTER TABLE product ADD CONSTRAINT product_period CHECK (period IN ('monthly', 'yearly'));
ALTER TABLE product ADD CONSTRAINT product_status CHECK (status IN ('active', 'suspended', 'cancelled'));
CREATE INDEX product_organisation_family ON product (organisation, family, id);
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="products", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL + catalogue_sql())

    manager.add_raw(run)
    return manager
