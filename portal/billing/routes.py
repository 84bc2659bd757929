"""Pages of money: invoices (only the payer sees them), the prepaid account, and the products
with their ordering and renewal (the organisation's own at /products, a client's by its
full-access partner at /clients/{id})."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import (
    Action,
    OrganisationResource,
    client_scope,
    may,
    require,
    sees_every_product,
)
from portal.billing import forms, queries, services
from portal.billing.payments.routes import ROUTES as PAYMENT_ROUTES
from portal.billing.staff_routes import ROUTES as STAFF_MONEY_ROUTES
from portal.clients.services import load_link
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.forms import Form
from portal.paging import position_of
from portal.products import queries as product_queries
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]


class BillingController(Controller):
    path = "/billing"

    @get("", name="billing.invoices")
    async def invoices(self, request: Request, current: Me) -> Response:
        return page(request, "billing/invoices.html", await _invoices_context(request, current))

    @get("/invoices/{invoice_id:int}", name="billing.invoice")
    async def invoice(self, request: Request, current: Me, invoice_id: FromPath[int]) -> Response:
        return page(request, "billing/invoice.html", await _invoice_context(current, invoice_id))

    @post("/invoices/{invoice_id:int}/pay", name="billing.invoice.pay")
    async def pay(self, request: Request, current: Me, invoice_id: FromPath[int]) -> Response:
        try:
            await services.pay_invoice_from_balance(current, invoice_id)
        except (FormErrors, Conflict) as error:
            found = error.errors if isinstance(error, FormErrors) else {"balance": error.detail}
            return form_page(
                request, "billing/invoice.html", await _invoice_context(current, invoice_id), found
            )
        return redirect(
            request,
            url_for(request, "billing.invoice", invoice_id=invoice_id),
            flash="The invoice is paid from your prepaid balance.",
        )

    @post("/invoices/pay", name="billing.invoices.pay")
    async def pay_selected(self, request: Request, current: Me) -> Response:
        """Several open invoices paid from the balance at once: all or none."""
        form = Form(await request.form())
        ids = forms.invoice_ids_from(form)
        try:
            form.check()
            await services.pay_invoices_from_balance(current, ids)
        except (FormErrors, Conflict) as error:
            found = error.errors if isinstance(error, FormErrors) else {"invoices": error.detail}
            context = await _invoices_context(request, current)
            return form_page(request, "billing/invoices.html", context, found)
        return redirect(
            request,
            url_for(request, "billing.invoices"),
            flash="The invoices are paid from your prepaid balance.",
        )


async def _invoices_context(request: Request, current: Current) -> dict:
    resource = services.billing_scope(current)
    invoices = await queries.invoices_paid_by(
        resource.organisation_id, client_scope(current.actor), position_of(request.query_params)
    )
    return {
        "invoices": invoices,
        "balances": await queries.balances(resource.organisation_id),
    }


async def _invoice_context(current: Current, invoice_id: int) -> dict:
    resource = services.billing_scope(current)
    invoice = await queries.invoice_of_payer(
        resource.organisation_id, invoice_id, client_scope(current.actor)
    )
    if invoice is None:
        raise NotFound()  # another organisation's invoice, or none: both 404
    return {
        "invoice": invoice,
        "credited": await queries.invoice_of_payer(
            resource.organisation_id, invoice["credits"], client_scope(current.actor)
        )
        if invoice["credits"]
        else None,
        "credit_notes": await queries.credit_notes_of(invoice_id),
        "lines": await queries.invoice_lines(invoice_id),
        "balance": await queries.ledger_balance(resource.organisation_id, invoice["currency"]),
    }


class ProductsController(Controller):
    """The organisation's own products: order new ones, renew."""

    path = "/products"

    @get("", name="billing.products")
    async def index(self, request: Request, current: Me) -> Response:
        return page(request, "billing/products.html", await _products_context(request, current))

    @post("/order", name="billing.products.order")
    async def order(self, request: Request, current: Me) -> Response:
        return await _order(
            request,
            current,
            current.organisation.id if current.organisation else 0,
            url_for(request, "billing.products"),
        )

    @post("/{product_id:int}/renew", name="billing.products.renew")
    async def renew(self, request: Request, current: Me, product_id: FromPath[int]) -> Response:
        return await _renew(
            request,
            current,
            current.organisation.id if current.organisation else 0,
            product_id,
            url_for(request, "billing.products"),
        )


async def _products_context(request: Request, current: Current) -> dict:
    """Everyone sees products; a plain user only those given to them, and ordering or
    renewing needs billing rights."""
    if current.organisation is None:
        raise NotFound()
    resource = OrganisationResource(current.organisation.id)
    require(current.actor, Action.VIEW_PRODUCTS, resource)
    only_of = None if sees_every_product(current.role) else current.user_id
    products = await product_queries.products_of(
        resource.organisation_id, position_of(request.query_params), only_of_member=only_of
    )
    return {
        "products": products,
        "can_order": may(current.actor, Action.VIEW_BILLING, resource),
        "catalogue": await product_queries.catalogue(current.organisation.currency),
    }


async def _order(request: Request, current: Current, client_id: int, back: str) -> Response:
    form = Form(await request.form())
    order = forms.order_from(form, client_id)
    if form.errors:
        return redirect(request, back, flash=" ".join(form.errors.values()), level="error")
    return await _place(request, current, order, back, "Ordered")


async def _renew(
    request: Request, current: Current, client_id: int, product_id: int, back: str
) -> Response:
    order = services.OrderRequest(client_id, None, product_id, "")
    return await _place(request, current, order, back, "Renewed")


async def _place(
    request: Request, current: Current, order: services.OrderRequest, back: str, done: str
) -> Response:
    """Place the order; back on the page it came from, with what happened."""
    try:
        await services.order(current, order)
    except (FormErrors, Conflict) as error:
        message = " ".join(error.errors.values()) if isinstance(error, FormErrors) else error.detail
        return redirect(request, back, flash=message, level="error")
    return redirect(
        request, back, flash=f"{done}. The invoice is issued to whoever pays under your agreement."
    )


class PartnerOrderController(Controller):
    """A full-access partner orders or renews for its client (restricted access cannot)."""

    path = "/clients/{link_id:int}"

    @post("/order", name="billing.client.order")
    async def order(self, request: Request, current: Me, link_id: FromPath[int]) -> Response:
        link = await load_link(current, link_id, Action.ACT_FOR_CLIENT)
        return await _order(
            request, current, link["client"], url_for(request, "clients.show", link_id=link_id)
        )

    @post("/products/{product_id:int}/renew", name="billing.client.renew")
    async def renew(
        self, request: Request, current: Me, link_id: FromPath[int], product_id: FromPath[int]
    ) -> Response:
        link = await load_link(current, link_id, Action.ACT_FOR_CLIENT)
        return await _renew(
            request,
            current,
            link["client"],
            product_id,
            url_for(request, "clients.show", link_id=link_id),
        )


ROUTES = [
    BillingController,
    ProductsController,
    PartnerOrderController,
    *PAYMENT_ROUTES,
    *STAFF_MONEY_ROUTES,
]
