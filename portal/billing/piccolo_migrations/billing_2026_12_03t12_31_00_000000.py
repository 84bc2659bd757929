"""Money that moves: the balance of each prepaid account kept as entries are added, the new
ledger kinds, the constraints of payment requests, bank entries, payouts and credit notes,
and the 27 EU standard VAT rates with their effective dates."""

import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T12:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger balances, payments, payouts, credit notes, EU VAT rates"

# (country, rate, in force from): the standard rates and their recent changes.
EU_VAT_RATES = [
    ("AT", "0.20", "2016-01-01"),
    ("BE", "0.21", "1996-01-01"),
    ("BG", "0.20", "1999-01-01"),
    ("CY", "0.19", "2014-01-13"),
    ("CZ", "0.21", "2013-01-01"),
    ("DE", "0.19", "2007-01-01"),
    ("DE", "0.16", "2020-07-01"),
    ("DE", "0.19", "2021-01-01"),
    ("DK", "0.25", "1992-01-01"),
    ("EE", "0.20", "2009-07-01"),
    ("EE", "0.22", "2024-01-01"),
    ("EE", "0.24", "2025-07-01"),
    ("ES", "0.21", "2012-09-01"),
    ("FI", "0.24", "2013-01-01"),
    ("FI", "0.255", "2024-09-01"),
    ("FR", "0.20", "2014-01-01"),
    ("GR", "0.24", "2016-06-01"),
    ("HR", "0.25", "2013-01-01"),
    ("HU", "0.27", "2012-01-01"),
    ("IE", "0.23", "2012-01-01"),
    ("IE", "0.21", "2020-09-01"),
    ("IE", "0.23", "2021-03-01"),
    ("IT", "0.22", "2013-10-01"),
    ("LT", "0.21", "2009-09-01"),
    ("LU", "0.17", "2015-01-01"),
    ("LU", "0.16", "2023-01-01"),
    ("LU", "0.17", "2024-01-01"),
    ("LV", "0.21", "2012-07-01"),
    ("MT", "0.18", "2004-01-01"),
    ("NL", "0.21", "2012-10-01"),
    ("PL", "0.23", "2011-01-01"),
    ("PT", "0.23", "2011-01-01"),
    ("RO", "0.19", "2017-01-01"),
    ("RO", "0.21", "2025-08-01"),
    ("SE", "0.25", "1990-07-01"),
    ("SI", "0.22", "2013-07-01"),
    ("SK", "0.20", "2011-01-01"),
    ("SK", "0.23", "2025-01-01"),
]

SQL = """
CREATE TABLE ledger_balance (
    organisation integer NOT NULL REFERENCES organisation (id) ON DELETE RESTRICT,
    currency varchar(3) NOT NULL,
    balance numeric(14, 2) NOT NULL,
    entries bigint NOT NULL,
    PRIMARY KEY (organisation, currency)
);
-- The balance of an account is the sum of its entries, kept here as they are added (entries
-- never change), so that no page sums a ledger of 100,000 entries on every request.
CREATE FUNCTION ledger_balance_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_balance AS b (organisation, currency, balance, entries)
    SELECT organisation, currency, sum(amount), count(*) FROM new_rows GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (organisation, currency) DO UPDATE
        SET balance = b.balance + EXCLUDED.balance, entries = b.entries + EXCLUDED.entries;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_balance_add AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_balance_add();
INSERT INTO ledger_balance (organisation, currency, balance, entries)
SELECT organisation, currency, sum(amount), count(*) FROM ledger_entry GROUP BY 1, 2;

ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_kind;
ALTER TABLE ledger_entry ADD CONSTRAINT ledger_entry_kind CHECK (kind IN (
    'deposit', 'cashback', 'clawback', 'payment', 'refund', 'payout', 'payout_released',
    'correction'));

ALTER TABLE invoice ADD CONSTRAINT invoice_kind CHECK (kind IN ('invoice', 'credit_note'));
ALTER TABLE invoice ADD CONSTRAINT invoice_credit_note_credits CHECK
    ((kind = 'credit_note') = (credits IS NOT NULL));
CREATE INDEX invoice_credits ON invoice (credits) WHERE credits IS NOT NULL;
ALTER TABLE invoice_line ADD CONSTRAINT invoice_line_quantity CHECK (quantity >= 1);
-- A line is credited once.
CREATE UNIQUE INDEX invoice_line_credited_once ON invoice_line (credits_line)
    WHERE credits_line IS NOT NULL;
UPDATE invoice_line SET products = ARRAY[product], unit_price = public_price
    WHERE product IS NOT NULL;

ALTER TABLE payment_request ADD CONSTRAINT payment_request_status CHECK
    (status IN ('pending', 'paid'));
ALTER TABLE payment_request ADD CONSTRAINT payment_request_currency CHECK
    (currency IN ('CHF', 'EUR'));
ALTER TABLE payment_request ADD CONSTRAINT payment_request_amount CHECK
    (amount BETWEEN 0.10 AND 9999.00);
CREATE UNIQUE INDEX payment_request_reference ON payment_request (reference)
    WHERE reference <> '';
CREATE INDEX payment_request_account ON payment_request (organisation, id DESC);

CREATE INDEX bank_statement_digest ON bank_statement (digest);
ALTER TABLE bank_entry ADD CONSTRAINT bank_entry_status CHECK
    (status IN ('credited', 'queued', 'assigned', 'refunded'));
CREATE INDEX bank_entry_queue ON bank_entry (id) WHERE status = 'queued';
CREATE INDEX bank_entry_statement ON bank_entry (statement, id);
CREATE UNIQUE INDEX bank_entry_pays_once ON bank_entry (payment_request)
    WHERE status = 'credited';

ALTER TABLE payout ADD CONSTRAINT payout_status CHECK
    (status IN ('requested', 'approved', 'rejected', 'exported'));
ALTER TABLE payout ADD CONSTRAINT payout_method CHECK (method IN ('iban', 'paypal'));
ALTER TABLE payout ADD CONSTRAINT payout_amount CHECK (amount > 0);
ALTER TABLE payout ADD CONSTRAINT payout_decided_by_another CHECK (decided_by <> requested_by);
CREATE INDEX payout_account ON payout (organisation, id DESC);
CREATE INDEX payout_waiting ON payout (status, id) WHERE status IN ('requested', 'approved');
"""


def vat_sql() -> str:
    payload = json.dumps([list(row) for row in EU_VAT_RATES])
    return (
        "INSERT INTO programme_setting (kind, payload, note) VALUES ('vat_rates', "
        f"'{payload}'::jsonb, 'The 27 EU standard rates with their effective dates');"
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="billing", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL + vat_sql())

    manager.add_raw(run)
    return manager
