"""Pages of money: invoices (only the payer sees them), the prepaid account, and the products
with their ordering and renewal (the organisation's own at /products, a client's by its
full-access partner at /clients/{id})."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import (
    MANAGERS,
    Action,
    OrganisationResource,
    client_scope,
    may,
    require,
)
from portal.billing import queries, rules, services
from portal.clients.services import load_link
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.formatting import money
from portal.forms import Form, page_number
from portal.products import queries as product_queries
from portal.web import form_page, page, redirect

Me = NamedDependency[Current]


class BillingController(Controller):
    path = "/billing"

    @get("", name="billing.invoices")
    async def invoices(self, request: Request, current: Me) -> Response:
        resource = services.billing_scope(current)
        page_no = page_number(request.query_params.get("page"))
        invoices, has_next = await queries.invoices_paid_by(
            resource.organisation_id, page_no, client_scope(current.actor)
        )
        return page(
            request,
            "billing/invoices.html",
            {"invoices": invoices, "has_next": has_next, "page_no": page_no},
        )

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
            f"/billing/invoices/{invoice_id}",
            flash="The invoice is paid from your prepaid balance.",
        )

    @get("/prepaid", name="billing.prepaid")
    async def prepaid(self, request: Request, current: Me) -> Response:
        return page(request, "billing/prepaid.html", await _prepaid_context(request, current))

    @post("/prepaid/deposit", name="billing.prepaid.deposit")
    async def deposit(self, request: Request, current: Me) -> Response:
        services.billing_scope(current)  # 404 without an organisation whose money one sees
        data = await request.form()
        form = Form(data)
        amount = form.amount("amount")
        try:
            form.check()
            await services.deposit(current, amount, current.organisation.currency)
        except FormErrors as error:
            return form_page(
                request,
                "billing/prepaid.html",
                {**await _prepaid_context(request, current), "form": data},
                error.errors,
            )
        return redirect(
            request,
            "/billing/prepaid",
            flash=f"{money(amount, current.organisation.currency)} deposited.",
        )

    @post("/prepaid/payout", name="billing.prepaid.payout")
    async def payout(self, request: Request, current: Me) -> Response:
        services.billing_scope(current)
        data = await request.form()
        form = Form(data)
        payout = services.PayoutRequest(
            amount=form.amount("payout_amount"),
            currency=current.organisation.currency,
            method=form.choice("method", ("iban", "paypal"), label="IBAN or PayPal"),
            destination=form.text(
                "destination", required=True, max_length=100, label="The destination"
            ),
        )
        try:
            form.check()
            await services.pay_out(current, payout)
        except FormErrors as error:
            found = {("payout_amount" if k == "amount" else k): v for k, v in error.errors.items()}
            return form_page(
                request,
                "billing/prepaid.html",
                {**await _prepaid_context(request, current), "form": data},
                found,
            )
        return redirect(request, "/billing/prepaid", flash="The payout is on its way.")


async def _invoice_context(current: Current, invoice_id: int) -> dict:
    resource = services.billing_scope(current)
    invoice = await queries.invoice_of_payer(
        resource.organisation_id, invoice_id, client_scope(current.actor)
    )
    if invoice is None:
        raise NotFound()  # another organisation's invoice, or none: both 404
    return {
        "invoice": invoice,
        "lines": await queries.invoice_lines(invoice_id),
        "balance": await queries.ledger_balance(resource.organisation_id, invoice["currency"]),
    }


async def _prepaid_context(request: Request, current: Current) -> dict:
    resource = services.billing_scope(current)
    currency = current.organisation.currency
    page_no = page_number(request.query_params.get("page"))
    entries, has_next = await queries.ledger_entries(
        resource.organisation_id, currency, page_no, client_scope(current.actor)
    )
    return {
        "currency": currency,
        "entries": entries,
        "has_next": has_next,
        "page_no": page_no,
        "balance": await queries.ledger_balance(resource.organisation_id, currency),
        "deposit_min": rules.DEPOSIT_MIN,
        "deposit_max": rules.DEPOSIT_MAX,
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
            request, current, current.organisation.id if current.organisation else 0, "/products"
        )

    @post("/{product_id:int}/renew", name="billing.products.renew")
    async def renew(self, request: Request, current: Me, product_id: FromPath[int]) -> Response:
        return await _renew(
            request,
            current,
            current.organisation.id if current.organisation else 0,
            product_id,
            "/products",
        )


async def _products_context(request: Request, current: Current) -> dict:
    """Everyone sees products; a plain user only those given to them, and ordering or
    renewing needs billing rights."""
    if current.organisation is None:
        raise NotFound()
    resource = OrganisationResource(current.organisation.id)
    require(current.actor, Action.VIEW_PRODUCTS, resource)
    page_no = page_number(request.query_params.get("page"))
    only_of = None if current.role in MANAGERS else current.user_id
    products, has_next = await product_queries.products_of(
        resource.organisation_id, page_no, only_of_member=only_of
    )
    return {
        "products": products,
        "has_next": has_next,
        "page_no": page_no,
        "can_order": may(current.actor, Action.VIEW_BILLING, resource),
        "catalogue": await product_queries.catalogue(current.organisation.currency),
    }


async def _order(request: Request, current: Current, client_id: int, back: str) -> Response:
    form = Form(await request.form())
    item_id = form.integer("item")
    period = form.choice("period", ("monthly", "yearly"), label="monthly or yearly")
    name = form.name("name", required=False)
    if form.errors:
        return redirect(request, back, flash=" ".join(form.errors.values()), level="error")
    order = services.OrderRequest(client_id, item_id, None, period, name)
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
        return await _order(request, current, link["client"], f"/clients/{link_id}")

    @post("/products/{product_id:int}/renew", name="billing.client.renew")
    async def renew(
        self, request: Request, current: Me, link_id: FromPath[int], product_id: FromPath[int]
    ) -> Response:
        link = await load_link(current, link_id, Action.ACT_FOR_CLIENT)
        return await _renew(request, current, link["client"], product_id, f"/clients/{link_id}")


ROUTES = [BillingController, ProductsController, PartnerOrderController]
