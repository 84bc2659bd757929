"""A client changes two of its restricted partners at the same moment (two tabs, two
colleagues), round after round: every answer is the redirect of a saved change, none is an
error, and each link ends with what was asked last."""

import asyncio
from collections import Counter

from portal.clients.tables import DelegatedProduct
from portal.organisations.tables import Organisation
from tests.factories.accounts import sign_up
from tests.factories.clients import give_products, invitation, organisation
from tests.factories.web import post_form

ROUNDS = 15


async def test_two_partners_of_one_client_changed_at_once_answer_no_error(client):
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    products = await give_products("Client GmbH", "web-pro", "mail-5", "kdrive-solo", "backup-1tb")
    choices = {}
    for partner, own, extra in (
        ("First AG", "web-pro", "kdrive-solo"),
        ("Second AG", "mail-5", "backup-1tb"),
    ):
        token = await invitation(await organisation(partner, True), "restricted", ["web_hosting"])
        granted = await post_form(
            client,
            f"/links/invitations/{token}/grant",
            {"access": "restricted", "products": [str(products[own])]},
        )
        assert granted.status_code == 303, granted.text
        link_id = int(granted.headers["location"].rsplit("/", 1)[1])
        choices[link_id] = ({products[own]}, {products[own], products[extra]})

    statuses = []
    for round_ in range(ROUNDS):
        answers = await asyncio.gather(
            *(
                post_form(
                    client,
                    f"/organisation/partners/{link_id}/change",
                    {
                        "access": "restricted",
                        "products": [str(p) for p in sorted(selections[round_ % 2])],
                    },
                )
                for link_id, selections in choices.items()
            )
        )
        statuses += [answer.status_code for answer in answers]

    assert statuses == [303] * (2 * ROUNDS), Counter(statuses)
    client_id = (
        await Organisation.select(Organisation.id).where(Organisation.name == "Client GmbH").first()
    )["id"]
    for link_id, selections in choices.items():
        delegated = await DelegatedProduct.select(DelegatedProduct.product).where(
            DelegatedProduct.link == link_id, DelegatedProduct.client == client_id
        )
        assert {row["product"] for row in delegated} == selections[(ROUNDS - 1) % 2]
