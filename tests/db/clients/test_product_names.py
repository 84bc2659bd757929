"""A partner renames a product it manages for its client (docs/rules.md, Input): the name is
checked by the service itself, so the API, which hands it over as sent, refuses what the page's
form refuses — a NUL byte reached PostgreSQL and failed with a 500."""

import pytest

from portal.clients import services
from portal.errors import FormErrors
from portal.products.tables import Product
from tests.factories.clients import restricted_world


@pytest.mark.parametrize("name", ["mail\x00box", "mail\x1bbox", "mail\u2028box"])
async def test_a_name_with_control_characters_is_refused_and_nothing_changes(db, name):
    world = await restricted_world()
    mail = world.products["mail"]
    with pytest.raises(FormErrors) as refused:
        await services.rename_client_product(world.partner_rep, world.link, mail, name)
    assert refused.value.errors == {"name": "Remove the invisible control characters."}
    assert (await Product.select(Product.name).where(Product.id == mail).first())["name"] == (
        "Reception mail"
    )


async def test_a_plain_name_is_taken(db):
    world = await restricted_world()
    mail = world.products["mail"]
    await services.rename_client_product(world.partner_rep, world.link, mail, " Front desk ")
    assert (await Product.select(Product.name).where(Product.id == mail).first())["name"] == (
        "Front desk"
    )
