"""Pages of money: invoices (only the payer sees them), the prepaid account, the client's
products with ordering and renewal, and the partner dashboard."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import (
    MANAGERS,
    Action,
    ClientScope,
    OrganisationResource,
    client_scope,
    may,
    require,
)
from portal.billing import charts, queries, rules, services
from portal.clients.services import load_link
from portal.core.current import Current
from portal.core.enums import PartnerStatus
from portal.errors import Conflict, FormErrors, NotFound
from portal.formatting import money
from portal.forms import Form, page_number, read_amount
from portal.partners import queries as partner_queries
from portal.partners.rules import VOLUME_THRESHOLDS, may_become_affiliate, volume_progress
from portal.products import queries as product_queries
from portal.web import form_page, page, redirect

Me = NamedDependency[Current]
NO_VOLUME_STEP = "Give at least one step, or end the volume discount with “No volume discount”."


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

    @get("", name="products.index")
    async def index(self, request: Request, current: Me) -> Response:
        return page(request, "billing/products.html", await _products_context(request, current))

    @post("/order", name="products.order")
    async def order(self, request: Request, current: Me) -> Response:
        return await _order(
            request, current, current.organisation.id if current.organisation else 0, "/products"
        )

    @post("/{product_id:int}/renew", name="products.renew")
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


class DashboardController(Controller):
    path = "/partner"

    @get("/dashboard", name="partner.dashboard")
    async def dashboard(self, request: Request, current: Me) -> Response:
        return page(request, "billing/dashboard.html", await _dashboard_context(current))


async def _dashboard_context(current: Current) -> dict:
    """Everyone of the organisation sees the clients given to them; the programme's money
    (managed volume, tier, cashback, prepaid balance) only those who may see it, and the
    invoices only those with billing rights."""
    if current.organisation is None:
        raise NotFound()
    resource = OrganisationResource(current.organisation.id)
    require(current.actor, Action.VIEW_ORGANISATION, resource)
    partner_id, currency = resource.organisation_id, current.organisation.currency
    scope = client_scope(current.actor)
    context = {
        "currency": currency,
        "sees_money": may(current.actor, Action.VIEW_PROGRAMME_MONEY, resource),
        "sees_invoices": may(current.actor, Action.VIEW_BILLING, resource),
        "attention": await queries.clients_needing_attention(partner_id, scope),
    }
    if context["sees_money"]:
        context |= await _programme_money(partner_id, currency, scope)
    if context["sees_invoices"]:
        context["recent"] = (await queries.invoices_paid_by(partner_id, 1, scope, 5))[0]
    return context


async def _programme_money(partner_id: int, currency: str, scope: ClientScope) -> dict:
    volume, clients = await queries.managed_volume(partner_id)
    tiers = await queries.tiers(currency)
    months = await queries.benefits_by_month(partner_id, currency)
    return {
        "volume": volume,
        # how many clients count: a number about clients, for whoever sees them all
        "clients": clients if scope.every_client else None,
        "threshold": VOLUME_THRESHOLDS[currency],
        "progress": volume_progress(currency, volume),
        "tier": rules.tier_for(tiers, volume),
        "next": rules.next_tier(tiers, volume),
        "chart": charts.benefits_chart(months, currency, datetime.now(UTC).date()),
        "balance": await queries.ledger_balance(partner_id, currency),
    }


class PartnerOrderController(Controller):
    """A full-access partner orders or renews for its client (restricted access cannot)."""

    path = "/clients/{link_id:int}"

    @post("/order", name="clients.order")
    async def order(self, request: Request, current: Me, link_id: FromPath[int]) -> Response:
        link = await load_link(current, link_id, Action.ACT_FOR_CLIENT)
        return await _order(request, current, link["client"], f"/clients/{link_id}")

    @post("/products/{product_id:int}/renew", name="clients.products.renew")
    async def renew(
        self, request: Request, current: Me, link_id: FromPath[int], product_id: FromPath[int]
    ) -> Response:
        link = await load_link(current, link_id, Action.ACT_FOR_CLIENT)
        return await _renew(request, current, link["client"], product_id, f"/clients/{link_id}")


ROUTES = [BillingController, ProductsController, DashboardController, PartnerOrderController]


class AffiliateController(Controller):
    """An affiliate's earnings: commissions on its referred customers' orders."""

    path = "/affiliate"

    @get("", name="affiliate.earnings")
    async def earnings(self, request: Request, current: Me) -> Response:
        resource = services.billing_scope(current)
        organisation = await product_queries.organisation_for_billing(resource.organisation_id)
        is_affiliate = await queries.is_affiliate(resource.organisation_id)
        if not is_affiliate:
            return page(request, "billing/affiliate.html", await _joining_context(current))
        orders = await queries.referred_orders(resource.organisation_id)
        schedule = rules.commission_schedule(
            rules.ReferredOrder(o["day"], o["amount"], o["referred_on"]) for o in orders
        )
        earned = sum((c.commission for c in schedule), rules.ZERO)
        paid = await queries.paid_out(resource.organisation_id, organisation["currency"])
        return page(
            request,
            "billing/affiliate.html",
            {
                "is_affiliate": True,
                "schedule": schedule[::-1][:100],
                "earned": earned,
                "paid": paid,
                "due": earned - paid,
                "currency": organisation["currency"],
                "payout_due": rules.affiliate_payout_due(earned - paid),
                "rate": rules.affiliate_rate(earned),
                "referrals": await queries.referrals_of(resource.organisation_id),
                "referral_link": f"{request.app.state.settings.base_url}/signup?ref="
                f"{resource.organisation_id}",
            },
        )

    @post("/join", name="affiliate.join")
    async def join(self, request: Request, current: Me) -> Response:
        try:
            await services.join_affiliate_programme(current)
        except Conflict as error:
            context = await _joining_context(current)
            return form_page(request, "billing/affiliate.html", context, {"join": error.detail})
        return redirect(
            request,
            "/affiliate",
            flash="Welcome to the affiliate programme. Share your referral link to start earning.",
        )


async def _joining_context(current: Current) -> dict:
    """What an organisation that is not an affiliate sees: whether and how it may become one."""
    resource = current.organisation_resource()
    organisation = await partner_queries.organisation(resource.organisation_id)
    status = PartnerStatus(organisation["partner_status"])
    return {
        "is_affiliate": False,
        "currency": organisation["currency"],
        "may_join": may(current.actor, Action.JOIN_AFFILIATE_PROGRAMME, resource),
        "is_partner": not may_become_affiliate(status),
    }


ROUTES.append(AffiliateController)


class ProgrammeSettingsController(Controller):
    """Staff edit the tier table and the volume-discount table; every version is kept."""

    path = "/staff/programme"

    @get("", name="staff.programme")
    async def show(self, request: Request, current: Me) -> Response:
        return page(request, "billing/programme_settings.html", await _settings_context(current))

    @post("/tiers", name="staff.programme.tiers")
    async def tiers(self, request: Request, current: Me) -> Response:
        form = Form(await request.form())
        tiers = {currency: _tier_rows(form, currency) for currency in ("CHF", "EUR")}
        note = form.text("note", max_length=300)
        try:
            form.check()
            await services.update_tiers(current, tiers, note)
        except FormErrors as error:
            return form_page(
                request,
                "billing/programme_settings.html",
                await _settings_context(current),
                error.errors,
            )
        return redirect(request, "/staff/programme", flash="The new tier table is in force.")

    @post("/volume-discount", name="staff.programme.volume")
    async def volume(self, request: Request, current: Me) -> Response:
        form = Form(await request.form())
        steps = []
        for count, rate in zip(form.values("count"), form.values("rate"), strict=False):
            if not str(count).strip():
                continue
            steps.append(
                rules.VolumeStep(_whole(form, "steps", count), _percent(form, "steps", rate))
            )
        steps = form.whole_set("steps", steps, problem=NO_VOLUME_STEP)
        note = form.text("note", max_length=300)
        try:
            form.check()
            await services.update_volume_discount(current, steps, note)
        except FormErrors as error:
            return form_page(
                request,
                "billing/programme_settings.html",
                await _settings_context(current),
                error.errors,
            )
        return redirect(
            request, "/staff/programme", flash="The new volume-discount table is in force."
        )


def _tier_rows(form: Form, currency: str) -> list[rules.Tier]:
    names = form.values(f"{currency}_name")
    rates = form.values(f"{currency}_rate")
    thresholds = form.values(f"{currency}_threshold")
    tiers = []
    for name, rate, threshold in zip(names, rates, thresholds, strict=False):
        if not name.strip():
            continue
        tiers.append(
            rules.Tier(
                form.checked("tiers", name, max_length=rules.TIER_NAME_MAX, is_name=True),
                _percent(form, "tiers", rate),
                _decimal(form, "tiers", threshold),
            )
        )
    return tiers


def _decimal(form: Form, field: str, raw: str) -> Decimal:
    """An amount in a cell of a table: its problem names what was typed."""
    value = read_amount(raw, decimals=2)
    if isinstance(value, str):
        form.add(field, f"“{raw.strip()[:20]}”: {value}")
        return Decimal(0)
    return value


def _percent(form: Form, field: str, raw: str) -> Decimal:
    return (_decimal(form, field, raw) / 100).quantize(Decimal("0.0001"))  # exact: 2 decimals


def _whole(form: Form, field: str, raw) -> int:
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        form.add(field, f"“{raw}” is not a whole number.")
        return 0
    return int(text)


async def _settings_context(current: Current) -> dict:
    from portal.access import StaffResource

    require(current.actor, Action.EDIT_PROGRAMME_SETTINGS, StaffResource())
    return {
        "tiers": {c: await queries.tiers(c) for c in ("CHF", "EUR")},
        "steps": await queries.volume_steps(),
        "tier_history": await queries.setting_history("tiers"),
        "volume_history": await queries.setting_history("volume_discount"),
    }


ROUTES.append(ProgrammeSettingsController)
