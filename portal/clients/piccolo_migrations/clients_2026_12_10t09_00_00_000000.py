"""The whole life of a delegation: an end date with automatic extension, requests on a link
(temporary full access, a later end date, other access), transfer codes that move a client to
another partner, and the partners' request templates."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-10T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "delegation lifetimes, requests, transfers, templates"

SQL = """
ALTER TABLE partner_link
    ADD COLUMN ended_by_account integer NULL REFERENCES account (id) ON DELETE SET NULL,
    ADD COLUMN requested_days integer NULL,
    ADD COLUMN ends_at timestamptz NULL,
    ADD COLUMN end_set_at timestamptz NULL,
    ADD COLUMN auto_extend boolean NOT NULL DEFAULT false;
ALTER TABLE partner_link DROP CONSTRAINT partner_link_status_known;
ALTER TABLE partner_link ADD CONSTRAINT partner_link_status_known CHECK (status IN
    ('awaiting_client', 'awaiting_partner', 'active', 'refused', 'withdrawn', 'expired', 'stopped',
     'ended', 'transferred'));
ALTER TABLE partner_link ADD CONSTRAINT partner_link_requested_days
    CHECK (requested_days IS NULL OR requested_days BETWEEN 1 AND 730);
ALTER TABLE partner_link ADD CONSTRAINT partner_link_end_set_with_end
    CHECK ((ends_at IS NULL) = (end_set_at IS NULL));
CREATE INDEX partner_link_ends ON partner_link (ends_at) WHERE status = 'active' AND ends_at IS NOT NULL;
CREATE INDEX partner_link_client_ended ON partner_link (client, ended_at DESC, id DESC)
    WHERE status IN ('stopped', 'ended', 'transferred');
CREATE INDEX partner_link_partner_ended ON partner_link (partner, ended_at DESC, id DESC)
    WHERE status IN ('stopped', 'ended', 'transferred');

CREATE TABLE link_request (
    id serial PRIMARY KEY,
    link integer NOT NULL REFERENCES partner_link (id) ON DELETE CASCADE,
    kind varchar(12) NOT NULL CHECK (kind IN ('elevation', 'extension', 'change')),
    status varchar(12) NOT NULL CHECK (status IN
        ('pending', 'approved', 'active', 'ended', 'refused', 'withdrawn', 'expired')),
    reason text NOT NULL DEFAULT '',
    length_hours integer NULL CHECK (length_hours BETWEEN 1 AND 168),
    days integer NULL CHECK (days BETWEEN 1 AND 730),
    requested_access varchar(12) NULL CHECK (requested_access IN ('full', 'restricted')),
    requested_families varchar(40)[] NOT NULL DEFAULT '{}',
    created_by integer NULL REFERENCES account (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    decided_at timestamptz NULL,
    decided_by integer NULL REFERENCES account (id) ON DELETE SET NULL,
    starts_at timestamptz NULL,
    ends_at timestamptz NULL,
    previous jsonb NULL,
    ended_at timestamptz NULL,
    ended_by integer NULL,
    ended_by_account integer NULL REFERENCES account (id) ON DELETE SET NULL,
    CHECK (kind <> 'elevation' OR length_hours IS NOT NULL),
    CHECK (kind <> 'extension' OR days IS NOT NULL),
    CHECK (kind <> 'change' OR requested_access IS NOT NULL),
    CHECK (status <> 'active' OR (kind = 'elevation' AND ends_at IS NOT NULL AND previous IS NOT NULL))
);
CREATE INDEX link_request_link ON link_request (link, created_at DESC);
CREATE UNIQUE INDEX link_request_one_open ON link_request (link, kind)
    WHERE status IN ('pending', 'active');
CREATE INDEX link_request_running_until ON link_request (ends_at) WHERE status = 'active';
CREATE INDEX link_request_pending_until ON link_request (expires_at) WHERE status = 'pending';

CREATE TABLE link_transfer (
    id serial PRIMARY KEY,
    client integer NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    link integer NOT NULL REFERENCES partner_link (id) ON DELETE CASCADE,
    to_partner integer NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    code_hash varchar(64) NOT NULL UNIQUE,
    new_grant jsonb NULL,
    created_by integer NULL REFERENCES account (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    redeemed_at timestamptz NULL,
    redeemed_by integer NULL REFERENCES account (id) ON DELETE SET NULL,
    new_link integer NULL REFERENCES partner_link (id) ON DELETE SET NULL,
    cancelled_at timestamptz NULL,
    CHECK (to_partner <> client)
);
CREATE INDEX link_transfer_client ON link_transfer (client, created_at DESC);
CREATE UNIQUE INDEX link_transfer_one_open_per_link ON link_transfer (link)
    WHERE redeemed_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE request_template (
    id serial PRIMARY KEY,
    partner integer NOT NULL REFERENCES organisation (id) ON DELETE CASCADE,
    name varchar(100) NOT NULL,
    families varchar(40)[] NOT NULL DEFAULT '{}',
    created_by integer NULL REFERENCES account (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX request_template_name ON request_template (partner, lower(name));
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="clients", description=DESCRIPTION)

    async def run():
        from portal.database import execute_script

        await execute_script(SQL)

    manager.add_raw(run)
    return manager
