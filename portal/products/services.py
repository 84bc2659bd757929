"""Changes to products that are not billing: which products a plain user is given."""

from __future__ import annotations

from portal.access import Action, Role, require
from portal.audit.services import record, who_of
from portal.core.current import Current
from portal.errors import FormErrors, NotFound
from portal.organisations import queries as organisation_queries
from portal.piccolo_conf import DB
from portal.products import queries


async def give_products(current: Current, membership_id: int, product_ids: set[int]) -> None:
    """Which products a plain user may see and manage (docs/rules.md, Roles and rights)."""
    resource = current.organisation_resource()
    require(current.actor, Action.MANAGE_MEMBERS, resource)
    member = await organisation_queries.membership(resource.organisation_id, membership_id)
    if member is None:
        raise NotFound()
    if member["role"] != Role.USER:
        raise FormErrors(
            {"products": "Legal representatives and administrators see every product already."}
        )
    own = await queries.owned_products(resource.organisation_id, product_ids)
    if not product_ids <= own:
        raise FormErrors({"products": "Choose products of this organisation."})
    before = await queries.products_given(membership_id)
    async with DB.transaction():
        await queries.give_products(membership_id, sorted(product_ids))
        await record(
            resource.organisation_id,
            who_of(current),
            "member.products_set",
            member["email"],
            before={"products": sorted(before)},
            after={"products": sorted(product_ids)},
        )
