"""The tender marketplace's tables, with the rules the database itself enforces so that racing
requests cannot break them: one quote per partner and tender, one accepted quote per tender,
one routing per partner and tender, known statuses and a sane budget."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-01T23:52:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "tender marketplace"

SQL = """
CREATE TABLE tender (
    id SERIAL PRIMARY KEY,
    title VARCHAR(150) NOT NULL,
    description TEXT NOT NULL,
    category VARCHAR(30) NOT NULL,
    budget_min NUMERIC(12, 2) NOT NULL,
    budget_max NUMERIC(12, 2) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    language VARCHAR(5) NOT NULL,
    country VARCHAR(2) NOT NULL,
    region VARCHAR(10) NOT NULL DEFAULT '',
    deadline TIMESTAMPTZ NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'unconfirmed',
    author_name VARCHAR(200) NOT NULL,
    author_email VARCHAR(320) NOT NULL,
    author_phone VARCHAR(40) NOT NULL DEFAULT '',
    author_company VARCHAR(200) NOT NULL DEFAULT '',
    author_organisation INTEGER NULL REFERENCES organisation (id)
        ON DELETE SET NULL ON UPDATE CASCADE,
    author_account INTEGER NULL REFERENCES account (id) ON DELETE SET NULL ON UPDATE CASCADE,
    author_ip VARCHAR(64) NOT NULL DEFAULT '',
    confirm_token_hash VARCHAR(64) NULL,
    manage_nonce VARCHAR(32) NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    opened_at TIMESTAMPTZ NULL,
    closed_at TIMESTAMPTZ NULL,
    CONSTRAINT tender_status_known
        CHECK (status IN ('unconfirmed', 'open', 'decided', 'withdrawn', 'expired')),
    CONSTRAINT tender_budget_range CHECK (0 <= budget_min AND budget_min <= budget_max),
    CONSTRAINT tender_currency_known CHECK (currency IN ('CHF', 'EUR'))
);
CREATE UNIQUE INDEX tender_confirm_token ON tender (confirm_token_hash)
    WHERE confirm_token_hash IS NOT NULL;
CREATE INDEX tender_author_organisation ON tender (author_organisation, id)
    WHERE author_organisation IS NOT NULL;
CREATE INDEX tender_author_email_recent ON tender (author_email, created_at);
CREATE INDEX tender_author_ip_recent ON tender (author_ip, created_at);
CREATE INDEX tender_open_deadline ON tender (deadline) WHERE status = 'open';
CREATE INDEX tender_unconfirmed_created ON tender (created_at) WHERE status = 'unconfirmed';

CREATE TABLE tender_recipient (
    id SERIAL PRIMARY KEY,
    tender INTEGER NOT NULL REFERENCES tender (id) ON DELETE CASCADE ON UPDATE CASCADE,
    partner INTEGER NOT NULL REFERENCES organisation (id) ON DELETE CASCADE ON UPDATE CASCADE,
    notified_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    read_at TIMESTAMPTZ NULL
);
CREATE UNIQUE INDEX tender_recipient_once ON tender_recipient (tender, partner);
CREATE INDEX tender_recipient_inbox ON tender_recipient (partner, tender DESC);

CREATE TABLE quote (
    id SERIAL PRIMARY KEY,
    tender INTEGER NOT NULL REFERENCES tender (id) ON DELETE CASCADE ON UPDATE CASCADE,
    partner INTEGER NOT NULL REFERENCES organisation (id) ON DELETE CASCADE ON UPDATE CASCADE,
    status VARCHAR(20) NOT NULL DEFAULT 'submitted',
    price NUMERIC(12, 2) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    timeline VARCHAR(200) NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    commitment_at TIMESTAMPTZ NOT NULL,
    submitted_by INTEGER NULL REFERENCES account (id) ON DELETE SET NULL ON UPDATE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    decided_at TIMESTAMPTZ NULL,
    CONSTRAINT quote_status_known
        CHECK (status IN ('submitted', 'withdrawn', 'accepted', 'declined')),
    CONSTRAINT quote_price_positive CHECK (price > 0),
    CONSTRAINT quote_currency_known CHECK (currency IN ('CHF', 'EUR'))
);
CREATE UNIQUE INDEX quote_once_per_partner ON quote (tender, partner);
CREATE UNIQUE INDEX quote_one_accepted_per_tender ON quote (tender) WHERE status = 'accepted';
CREATE INDEX quote_partner ON quote (partner, status);

CREATE TABLE tender_preference (
    id SERIAL PRIMARY KEY,
    partner INTEGER NOT NULL UNIQUE REFERENCES organisation (id)
        ON DELETE CASCADE ON UPDATE CASCADE,
    categories VARCHAR(30)[] NOT NULL DEFAULT '{}',
    languages VARCHAR(5)[] NOT NULL DEFAULT '{}',
    regions VARCHAR(10)[] NOT NULL DEFAULT '{}',
    updated_by INTEGER NULL REFERENCES account (id) ON DELETE SET NULL ON UPDATE CASCADE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
CREATE INDEX tender_preference_categories ON tender_preference USING gin (categories);

-- Per partner: tenders received, answered (a quote was sent, even if withdrawn later), won.
CREATE VIEW partner_tender_record AS
SELECT r.partner,
       count(*) AS received,
       count(q.id) AS answered,
       count(q.id) FILTER (WHERE q.status = 'accepted') AS won
FROM tender_recipient r
LEFT JOIN quote q ON q.tender = r.tender AND q.partner = r.partner
GROUP BY r.partner;
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tenders", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
