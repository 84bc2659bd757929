"""Issuing invoices for orders and renewals, in two steps: pricing (the partner's tier, the
volume discount, who pays, VAT — the rules of rules.py applied to what the database holds)
and writing (the invoice with its lines, the cashback entries, the products' new periods and
the audit log). Both run in the caller's transaction.

`issue_renewal` is the one way to renew: a person's renewal and automatic renewal alike call
it (docs/rules.md, Money: Renewals)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from portal.audit.services import Who, record
from portal.billing import queries, rules
from portal.billing.rules import EntryKind, OrderContext, Orderer, Payer, Period, PricedLine
from portal.clients import queries as link_queries
from portal.clients.records import Link
from portal.errors import Conflict, FormErrors
from portal.products import queries as product_queries
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType

SYSTEM = Who(None, "Partner Portal (automatic)")


def today_utc() -> date:
    return datetime.now(UTC).date()


# --- pricing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRequest:
    """QUANTITY products of one offer, for one service period."""

    item: dict
    period: Period
    quantity: int
    service_from: date
    service_to: date
    products: Sequence[dict] = ()  # empty for a new order: created when the invoice is written
    name: str = ""  # a new order's product name
    warranty: bool = False  # a new order's renewal warranty (docs/rules.md, Renewals)


@dataclass(frozen=True)
class PricedRequest:
    request: LineRequest
    priced: PricedLine
    partner_id: int | None
    tier: str
    payer_id: int


@dataclass
class Pricing:
    """What the prices of one client depend on, read once per call."""

    client: dict
    orderer: Orderer
    acting_id: int | None
    links: list[Link]
    hostings: int
    steps: list[rules.VolumeStep]
    partner_tiers: dict[int, tuple[Decimal, str]] = field(default_factory=dict)

    def link_for(self, product_id: int, family: str) -> Link | None:
        """The ordering partner's own link; else the link managing this product."""
        if self.orderer is Orderer.PARTNER:
            return next((k for k in self.links if k.partner_id == self.acting_id), None)
        return next((k for k in self.links if k.grant.covers(product_id, family)), None)


async def pricing_for(client: dict, orderer: Orderer, acting_id: int | None) -> Pricing:
    return Pricing(
        client,
        orderer,
        acting_id,
        await link_queries.active_links_of_client(client["id"]),
        await product_queries.hosting_count(client["id"]),
        await queries.volume_steps(),
    )


async def _partner_rate(pricing: Pricing, link: Link) -> tuple[Decimal, str]:
    partner_id = link.partner_id
    if partner_id not in pricing.partner_tiers:
        volume, _ = await queries.managed_volume(partner_id)
        tier = rules.tier_for(await queries.tiers(link.partner_currency), volume)
        pricing.partner_tiers[partner_id] = (tier.rate, tier.name) if tier else (rules.ZERO, "")
    return pricing.partner_tiers[partner_id]


async def price_request(pricing: Pricing, request: LineRequest) -> PricedRequest:
    """One line priced: the partner rate of the link managing it, the volume discount on the
    client's hostings (the ordered ones too), and who pays (rules.settle)."""
    item, client = request.item, pricing.client
    unit = await product_queries.public_price(item["id"], client["currency"], request.period)
    if unit is None:
        raise FormErrors(
            {"period": f"{item['name']} is not sold {request.period} in {client['currency']}."}
        )
    first_product = request.products[0]["id"] if request.products else 0
    link = pricing.link_for(first_product, item["family"])
    grant = link.grant if link else None
    covered = grant is not None and grant.covers(first_product, item["family"])
    partner_rate, tier = (rules.ZERO, "")
    if covered:
        partner_rate, tier = await _partner_rate(pricing, link)
    new = 0 if request.products else request.quantity
    volume_rate = rules.ZERO
    if item["family"] in rules.VOLUME_DISCOUNT_FAMILIES:
        count = rules.hostings_counted(pricing.hostings, item["family"], new)
        volume_rate = rules.volume_discount_rate(pricing.steps, count)
    context = OrderContext(
        pricing.orderer,
        link.access if covered else None,
        link.billing_mode if covered else None,
        covered,
    )
    try:
        priced = rules.price_order_line(unit, request.quantity, context, partner_rate, volume_rate)
    except rules.NotAllowed as refusal:
        raise Conflict(str(refusal)) from refusal
    partner_id = link.partner_id if covered else None
    pays_partner = priced.settlement.payer is Payer.PARTNER
    return PricedRequest(
        request, priced, partner_id, tier, partner_id if pays_partner else client["id"]
    )


async def vat_of(payer_id: int, day: date) -> tuple[dict, rules.Vat]:
    """The payer and the VAT rule on DAY; an EU buyer without a rate is refused (409)."""
    payer = await product_queries.organisation_for_billing(payer_id)
    try:
        vat = rules.vat_for(
            payer["country"],
            rules.valid_eu_vat_number(payer["vat_number"]),
            rules.rates_in_force(await queries.vat_table(), day),
        )
    except rules.UnknownVatRate as unknown:
        raise Conflict(str(unknown)) from unknown
    return payer, vat


# --- writing -----------------------------------------------------------------------------------


async def issue(
    pricing: Pricing, requests: Sequence[LineRequest], who: Who, action: str, today: date
) -> list[int]:
    """Price REQUESTS and write one invoice per payer (and partner) with their lines; returns
    the invoices' ids."""
    priced = [await price_request(pricing, request) for request in requests]
    invoices: dict[tuple[int, int | None], list[PricedRequest]] = {}
    for line in priced:
        invoices.setdefault((line.payer_id, line.partner_id), []).append(line)
    ids = []
    for (payer_id, partner_id), lines in invoices.items():
        payer, vat = await vat_of(payer_id, today)  # refused before anything is written
        ids.append(await _write(pricing, payer, partner_id, vat, lines, who, action, today))
    return ids


async def _write(
    pricing: Pricing,
    payer: dict,
    partner_id: int | None,
    vat: rules.Vat,
    lines: list[PricedRequest],
    who: Who,
    action: str,
    today: date,
) -> int:
    """The one place an invoice is issued (an order or a renewal)."""
    client, currency = pricing.client, pricing.client["currency"]
    totals = rules.invoice_totals([line.priced.settlement.charged for line in lines], vat.rate)
    rows = []
    for position, line in enumerate(lines, start=1):
        products = await _products_of(client["id"], line.request, today)
        rows.append(_line_row(line, products, pricing.orderer, position))
        if line.request.products:  # renewed: their next period ends where this one does
            await product_queries.set_renewals([p["id"] for p in products], line.request.service_to)
    invoice_id = await queries.insert_invoice(
        {
            "number": await queries.next_invoice_number(today.year),
            "payer": payer["id"],
            "client": client["id"],
            "partner": partner_id,
            "currency": currency,
            "issued_on": today,
            "vat_rule": vat.rule,
            "vat_rate": vat.rate,
            "net": totals.net,
            "vat": totals.vat,
            "gross": totals.gross,
        },
        rows,
    )
    await emit(
        EventType.INVOICE_ISSUED,
        payer["id"],
        {
            "invoice_id": invoice_id,
            "client": {"id": client["id"], "name": client["name"]},
            "currency": currency,
            "issued_on": today,
            "net": totals.net,
            "vat": totals.vat,
            "gross": totals.gross,
            "vat_rule": vat.rule,
        },
    )
    for line in lines:
        if line.priced.settlement.cashback > 0:
            await credit_cashback(invoice_id, client, line, currency)
    await _audit(client["id"], partner_id, who, action, lines, currency)
    return invoice_id


async def _products_of(client_id: int, request: LineRequest, today: date) -> list[dict]:
    if request.products:
        return list(request.products)
    names = (
        [request.name or request.item["name"]]
        if request.quantity == 1
        else [f"{request.name or request.item['name']} {n}" for n in range(1, request.quantity + 1)]
    )
    return await product_queries.insert_products(
        client_id,
        request.item,
        request.period,
        names,
        request.service_from,
        request.service_to,
        warranty=request.warranty,
    )


def _line_row(line: PricedRequest, products: list[dict], orderer: Orderer, position: int) -> dict:
    request, priced = line.request, line.priced
    label = products[0]["name"] if len(products) == 1 else f"{len(products)} products"
    return {
        "product": products[0]["id"],
        "products": [p["id"] for p in products],
        "description": f"{request.item['name']} — {label}",
        "family": request.item["family"],
        "service_from": request.service_from,
        "service_to": request.service_to,
        "ordered_by": orderer,
        "unit_price": priced.unit_price,
        "quantity": priced.quantity,
        "public_price": priced.price.public,
        "volume_rate": priced.volume_rate,
        "partner_rate": priced.partner_rate,
        "tier": line.tier,
        "amount": priced.settlement.charged,
        "cashback": priced.settlement.cashback,
        "discount": priced.settlement.discount,
        "position": position,
    }


async def credit_cashback(invoice_id: int, client: dict, line: PricedRequest, currency: str):
    """The one place cashback is credited: the partner's entry for one line, saying where it
    came from (client, offer, quantity, public price, rate and tier at the time)."""
    request, priced = line.request, line.priced
    await queries.insert_ledger_entry(
        {
            "organisation": line.partner_id,
            "currency": currency,
            "kind": EntryKind.CASHBACK,
            "amount": priced.settlement.cashback,
            "invoice": invoice_id,
            "reference": f"Cashback on {request.item['name']} for {client['name']}",
            "details": {
                "client": client["name"],
                "product": request.item["name"],
                "quantity": priced.quantity,
                "public_price": str(priced.price.public),
                "rate": str(priced.partner_rate),
                "tier": line.tier,
            },
        }
    )
    await emit(
        EventType.CASHBACK_CREDITED,
        line.partner_id,
        {
            "invoice_id": invoice_id,
            "client": {"id": client["id"], "name": client["name"]},
            "product_family": request.item["family"],
            "currency": currency,
            "amount": priced.settlement.cashback,
        },
    )


async def _audit(client_id, partner_id, who: Who, action: str, lines, currency: str) -> None:
    for organisation_id in {client_id, partner_id} - {None}:
        acting_for = who.acting_for_id if organisation_id != who.acting_for_id else None
        for line in lines:
            settlement = line.priced.settlement
            await record(
                organisation_id,
                Who(who.user_id, who.name, acting_for),
                action,
                line.request.name or line.request.item["name"],
                after={
                    "quantity": line.priced.quantity,
                    "amount": str(settlement.charged),
                    "currency": currency,
                    "payer": settlement.payer,
                    "cashback": str(settlement.cashback),
                    "discount": str(settlement.discount),
                },
            )


# --- the public use cases ----------------------------------------------------------------------


async def issue_order(
    client: dict,
    item: dict,
    period: str,
    quantity: int,
    *,
    name: str = "",
    warranty: bool = False,
    orderer: Orderer = Orderer.CLIENT,
    acting_id: int | None = None,
    who: Who = SYSTEM,
    today: date | None = None,
) -> int:
    """QUANTITY new products of ITEM for CLIENT, on one invoice line priced together; returns
    the invoice id. Their periods follow the calendar from today."""
    today = today or today_utc()
    period = Period(period)
    end = rules.period_end(today, today, period)
    pricing = await pricing_for(client, orderer, acting_id)
    request = LineRequest(item, period, quantity, today, end, name=name, warranty=warranty)
    [invoice_id] = await issue(pricing, [request], who, "billing.ordered", today)
    return invoice_id


async def issue_renewal(
    client_id: int,
    product_ids: Sequence[int],
    *,
    orderer: Orderer = Orderer.CLIENT,
    acting_id: int | None = None,
    who: Who = SYSTEM,
    today: date | None = None,
) -> list[int]:
    """Renew PRODUCT_IDS of the client CLIENT_ID for one more period each; returns the ids of
    the invoices issued (one per payer: usually one).

    Each product's new period starts where its previous one ended (its `renews_on`) and ends
    by the calendar, anchored on the day it started (rules.period_end). Products of one offer,
    period and renewal day are one line whose quantity is their number, so the volume
    discount and the rounding apply to the line as for an order. Who pays, VAT, cashback or
    discount follow the links in force today, as for an order (ORDERER: who renews; ACTING_ID:
    the organisation acting, for a partner). Authorization is the caller's; runs in the
    caller's transaction (open one), locking the products."""
    today = today or today_utc()
    client = await product_queries.organisation_for_billing(client_id)
    products = await product_queries.lock_products(client_id, product_ids)
    if client is None or len(products) != len(set(product_ids)) or not products:
        raise LookupError("No such products of this client.")
    groups: dict[tuple, list[dict]] = {}
    for product in products:
        key = (product["item"], product["period"], product["renews_on"], product["started_on"])
        groups.setdefault(key, []).append(product)
    pricing = await pricing_for(client, orderer, acting_id)
    requests = []
    for (item_id, period, renews_on, started_on), grouped in groups.items():
        item = await product_queries.catalogue_item(item_id)
        end = rules.period_end(started_on, renews_on, period)
        requests.append(LineRequest(item, Period(period), len(grouped), renews_on, end, grouped))
    return await issue(pricing, requests, who, "billing.renewed", today)
