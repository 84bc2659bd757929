"""The row locks that serialise changes never hold up a foreign-key check on the locked row.

An UPDATE lock on an organisation (or a link) blocked every insert referring to it (an audit
entry, an invoice, a managed link) until the lock was released: two changes that each locked
one organisation and then wrote about the other's deadlocked. portal.database.CHANGE_LOCK
(NO KEY UPDATE) queues the writers of the row and lets those references through."""

import re
from pathlib import Path

import asyncpg
import pytest

from portal.billing import queries as billing_queries
from portal.clients import queries as client_queries
from portal.organisations import queries as organisation_queries
from portal.partners import queries as partner_queries
from portal.piccolo_conf import DB
from tests.factories.clients import invitation, legal_representative, organisation

PORTAL = Path(__file__).resolve().parents[2] / "portal"

ORGANISATION_LOCKS = {
    "a client's delegations": client_queries.lock_client,
    "an organisation's roles": organisation_queries.lock_organisation,
    "an organisation's programme status": partner_queries.lock_organisation,
    "a prepaid account": billing_queries.lock_account,
}


async def referred_to_meanwhile(database_url: str, sql: str, *args) -> None:
    """Run SQL on another connection, giving up if it waits for a lock for a second."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("SET lock_timeout = '1s'")
        await connection.execute(sql, *args)
    finally:
        await connection.close()


@pytest.mark.parametrize("lock", ORGANISATION_LOCKS.values(), ids=ORGANISATION_LOCKS.keys())
async def test_a_locked_organisation_can_still_be_referred_to(db, database_url, lock):
    organisation_id = await organisation("Client GmbH")
    async with DB.transaction():
        await lock(organisation_id)
        await referred_to_meanwhile(
            database_url,
            "INSERT INTO team (organisation, name, created_at) VALUES ($1, 'Web', now())",
            organisation_id,
        )


async def test_a_locked_link_can_still_be_referred_to(db, database_url):
    partner = await organisation("Partner AG", True)
    colleague = await legal_representative(partner, "paula@partner.ch")
    await invitation(partner, "restricted", ["web_hosting"])
    link = (await DB.run_querystring(_sql("SELECT id FROM partner_link")))[0]["id"]
    async with DB.transaction():
        await client_queries.lock_link(link, None)
        await referred_to_meanwhile(
            database_url,
            "INSERT INTO client_assignment (link, account, created_at) VALUES ($1, $2, now())",
            link,
            colleague.user_id,
        )


def test_every_row_lock_of_the_portal_is_a_change_lock():
    weaker_or_stronger = []
    for path in PORTAL.rglob("*.py"):
        text = path.read_text()
        for pattern in (r"lock_rows\(\s*\)", r"FOR UPDATE", r"FOR SHARE"):
            weaker_or_stronger += [f"{path.name}: {m.group()}" for m in re.finditer(pattern, text)]
    assert weaker_or_stronger == []


def _sql(text: str):
    from piccolo.querystring import QueryString

    return QueryString(text)
