"""Two changes of one client's restricted partners at once (issue: they deadlocked, and half
the answers were errors). Every change of a client's delegations locks the client first, so
they queue behind each other instead."""

import asyncio

from portal.clients import services
from portal.clients.rules import Access, Grant
from portal.clients.tables import PartnerLink
from tests.factories.clients import (
    SETTINGS,
    invitation,
    legal_representative,
    organisation,
    product,
)

ROUNDS = 15


async def restricted_partner(current, partner_id: int, products: set[int]) -> int:
    token = await invitation(partner_id, "restricted", ["web_hosting"])
    grant = Grant(Access.RESTRICTED, product_ids=frozenset(products))
    return await services.grant_invitation(SETTINGS, current, token, grant)


async def test_two_links_of_one_client_changed_at_once_never_fail(db):
    first, second = await organisation("First AG", True), await organisation("Second AG", True)
    client = await organisation("Client GmbH")
    current = await legal_representative(client, "lr@client.ch")
    hosting, mail, drive, backup = [
        await product(client, code) for code in ("web-pro", "mail-5", "kdrive-solo", "backup-1tb")
    ]
    links = {
        await restricted_partner(current, first, {hosting}): ({hosting}, {hosting, drive}),
        await restricted_partner(current, second, {mail}): ({mail}, {mail, backup}),
    }

    failures = []
    for round_ in range(ROUNDS):
        changes = [
            services.change_grant(
                SETTINGS,
                current,
                link_id,
                Grant(Access.RESTRICTED, product_ids=frozenset(choices[round_ % 2 == 0])),
            )
            for link_id, choices in links.items()
        ]
        results = await asyncio.gather(*changes, return_exceptions=True)
        failures += [repr(r) for r in results if isinstance(r, BaseException)]

    assert failures == [], f"{len(failures)} of {2 * ROUNDS} changes failed"
    rows = await PartnerLink.select(PartnerLink.id, PartnerLink.status)
    assert {row["status"] for row in rows} == {"active"}
