"""Two requests racing for what only one may have: full access to a client, or one product.
Run on two connections at once; exactly one wins and the other gets a clear message."""

import asyncio

import asyncpg
import pytest

from portal.clients import services
from portal.clients.rules import Access, BillingMode, Grant
from portal.clients.tables import PartnerLink
from portal.errors import Conflict, FormErrors
from tests.factories.clients import (
    SETTINGS,
    invitation,
    legal_representative,
    organisation,
    product,
)


async def outcome(coroutine) -> str:
    try:
        await coroutine
    except (FormErrors, Conflict) as error:
        return "refused: " + (error.detail or "")
    return "won"


async def active_links(client_id: int) -> list[dict]:
    return await PartnerLink.select().where(
        PartnerLink.client == client_id, PartnerLink.status == "active"
    )


async def test_two_full_access_grants_race_and_one_wins(db):
    first, second = await organisation("First AG", True), await organisation("Second AG", True)
    client = await organisation("Client GmbH")
    current = await legal_representative(client, "lr@client.ch")
    tokens = [await invitation(first, "full"), await invitation(second, "full")]
    full = Grant(Access.FULL, billing_mode=BillingMode.CLIENT)

    results = await asyncio.gather(
        *[outcome(services.grant_invitation(SETTINGS, current, t, full)) for t in tokens]
    )

    assert sorted(r.split(":")[0] for r in results) == ["refused", "won"]
    assert any("exactly one partner" in r or "full-access" in r for r in results)
    assert len(await active_links(client)) == 1


async def test_two_partners_racing_for_one_product(db):
    first, second = await organisation("First AG", True), await organisation("Second AG", True)
    client = await organisation("Client GmbH")
    current = await legal_representative(client, "lr@client.ch")
    hosting = await product(client, "web-pro")
    tokens = [await invitation(first, "restricted"), await invitation(second, "restricted")]
    only_hosting = Grant(Access.RESTRICTED, product_ids=frozenset({hosting}))

    results = await asyncio.gather(
        *[outcome(services.grant_invitation(SETTINGS, current, t, only_hosting)) for t in tokens]
    )

    assert sorted(r.split(":")[0] for r in results) == ["refused", "won"]
    assert len(await active_links(client)) == 1


async def test_the_database_itself_refuses_a_second_full_partner(db, database_url):
    """Even a writer that skipped the service's checks cannot break the rule."""
    first, second = await organisation("First AG", True), await organisation("Second AG", True)
    client = await organisation("Client GmbH")
    await invitation(first, "full")
    await invitation(second, "full")
    links = await PartnerLink.select(PartnerLink.id).order_by(PartnerLink.id)
    connections = [await asyncpg.connect(database_url) for _ in links]
    activate = (
        "UPDATE partner_link SET status = 'active', client = $1, access = 'full', "
        "billing_mode = 'client' WHERE id = $2"
    )
    try:
        results = await asyncio.gather(
            *[
                c.execute(activate, client, link["id"])
                for c, link in zip(connections, links, strict=True)
            ],
            return_exceptions=True,
        )
    finally:
        for connection in connections:
            await connection.close()
    assert sum(isinstance(r, asyncpg.UniqueViolationError) for r in results) == 1


async def test_a_product_is_delegated_once_in_the_database(db):
    partner = await organisation("First AG", True)
    client = await organisation("Client GmbH")
    hosting = await product(client, "web-pro")
    await invitation(partner, "restricted")
    link = await PartnerLink.select(PartnerLink.id).first()
    from portal.clients.tables import DelegatedProduct

    await DelegatedProduct.insert(DelegatedProduct(link=link["id"], product=hosting, client=client))
    with pytest.raises(asyncpg.UniqueViolationError):
        await DelegatedProduct.insert(
            DelegatedProduct(link=link["id"], product=hosting, client=client)
        )
