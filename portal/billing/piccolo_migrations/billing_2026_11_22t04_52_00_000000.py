"""Ledger and invoices: append-only and consistent; the programme's first settings."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-22T04:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing constraints and first programme settings"

TIERS = {
    "CHF": [["Bronze", "0.20", "2000"], ["Silver", "0.25", "10000"], ["Gold", "0.30", "30000"],
            ["Platinum", "0.35", "100000"]],
    "EUR": [["Bronze", "0.20", "1800"], ["Silver", "0.25", "9000"], ["Gold", "0.30", "27000"],
            ["Platinum", "0.35", "90000"]],
}
VOLUME_DISCOUNT = [[5, "0.05"], [10, "0.10"], [20, "0.15"], [30, "0.25"]]
VAT_RATES = {"AT": "0.20", "BE": "0.21", "DE": "0.19", "ES": "0.21", "FR": "0.20", "IT": "0.22",
             "LU": "0.17", "NL": "0.21", "PT": "0.23"}

SQL = """
CREATE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the prepaid ledger is append-only: add a correction entry';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only();
ALTER TABLE ledger_entry ADD CONSTRAINT ledger_entry_kind CHECK
    (kind IN ('deposit', 'cashback', 'payment', 'payout', 'correction'));
ALTER TABLE ledger_entry ADD CONSTRAINT ledger_entry_currency CHECK (currency IN ('CHF', 'EUR'));
CREATE INDEX ledger_entry_account ON ledger_entry (organisation, currency, id);
ALTER TABLE invoice ADD CONSTRAINT invoice_sums CHECK (gross = net + vat);
CREATE INDEX invoice_payer_issued ON invoice (payer, issued_on DESC, id DESC);
CREATE INDEX invoice_partner_issued ON invoice (partner, issued_on DESC) WHERE partner IS NOT NULL;
CREATE INDEX programme_setting_kind_time ON programme_setting (kind, created_at DESC, id DESC);
CREATE SEQUENCE invoice_number_seq;
"""


def settings_sql() -> str:
    rows = [("tiers", TIERS), ("volume_discount", VOLUME_DISCOUNT), ("vat_rates", VAT_RATES)]
    return "\n".join(
        f"INSERT INTO programme_setting (kind, payload, note) VALUES ('{kind}', "
        f"'{json.dumps(payload)}'::jsonb, 'Initial programme configuration');"
        for kind, payload in rows
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL + settings_sql())

    manager.add_raw(run)
    return manager
