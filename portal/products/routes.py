"""Pages of products that are not billing: the products a plain user is given, reached from the
organisation's members."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import ROLE_LABELS, Action, require, sees_every_product
from portal.core.current import Current
from portal.errors import FormErrors, NotFound
from portal.forms import Form, product_search
from portal.organisations import queries as organisation_queries
from portal.products import forms, queries, services
from portal.products.rules import FAMILIES
from portal.web import form_page, page, redirect, url_for


class MemberProductsController(Controller):
    path = "/organisation/members/{membership_id:int}/products"

    @get("", name="products.given")
    async def show(
        self, request: Request, current: NamedDependency[Current], membership_id: FromPath[int]
    ) -> Response:
        text, ticked = product_search(request.query_params)
        return page(
            request,
            "products/member_products.html",
            await _member_products_context(current, membership_id, ticked, text),
        )

    @post("", name="products.given.save")
    async def save(
        self, request: Request, current: NamedDependency[Current], membership_id: FromPath[int]
    ) -> Response:
        form = Form(await request.form())
        chosen = forms.given_products_from(form)
        try:
            form.check()
            await services.give_products(current, membership_id, chosen)
        except FormErrors as error:
            context = await _member_products_context(current, membership_id, sorted(chosen))
            return form_page(
                request,
                "products/member_products.html",
                context,
                error.errors,
            )
        return redirect(
            request,
            url_for(request, "organisations.members"),
            flash="The member's products are saved.",
        )


async def _member_products_context(
    current: Current, membership_id: int, ticked: list[int] | None = None, text: str = ""
) -> dict:
    """The member's products form: the products given, or TICKED when the form sent them (a
    search, or a refused save); TEXT, a name typed to find others."""
    resource = current.organisation_resource()
    require(current.actor, Action.MANAGE_MEMBERS, resource)
    member = await organisation_queries.membership(resource.organisation_id, membership_id)
    if member is None:
        raise NotFound()
    given = await queries.products_given(membership_id) if ticked is None else ticked
    return {
        "member": member,
        "sees_every_product": sees_every_product(member["role"]),
        "products": await queries.product_choices(resource.organisation_id, given, text),
        "given": set(given),
        "roles": ROLE_LABELS,
        "families": FAMILIES,
    }


ROUTES = [MemberProductsController]
