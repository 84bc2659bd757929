"""Money use cases: orders and renewals (invoice, VAT, cashback or discount), the prepaid
account (deposits, payments, payouts). Prices and settlements come from rules.py; each use
case writes its invoice and ledger entries in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from portal.access import (
    Action,
    ClientProductResource,
    OrganisationResource,
    StaffResource,
    client_scope,
    require,
)
from portal.audit.services import record
from portal.audit.services import who_of as _who
from portal.billing import queries, rules
from portal.billing.rules import EntryKind, OrderContext, Orderer, Payer
from portal.clients import queries as link_queries
from portal.clients.services import link_resource
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.piccolo_conf import DB
from portal.products import queries as product_queries

PERIOD_LENGTH = {"monthly": timedelta(days=30), "yearly": timedelta(days=365)}


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OrderRequest:
    client_id: int
    item_id: int | None  # a new product of this catalogue item…
    product_id: int | None  # …or the renewal of this product
    period: str
    name: str = ""


async def order(current: Current, request: OrderRequest) -> int:
    """Order or renew a client's product, by the client itself or by its full-access partner;
    returns the invoice id. Who pays and what the partner earns follow the link."""
    if current.organisation is None:
        raise NotFound()
    acting_id = current.organisation.id
    async with DB.transaction():
        client = await product_queries.organisation_for_billing(request.client_id)
        if client is None:
            raise NotFound()
        product, item = await _product_and_item(request)
        orderer = Orderer.CLIENT if acting_id == request.client_id else Orderer.PARTNER
        link = _link_for(
            await link_queries.active_links_of_client(request.client_id),
            orderer,
            acting_id,
            product,
            item,
        )
        covered = link is not None and link_queries.grant_of(link).covers(
            product["id"] if product else 0, item["family"]
        )
        if orderer is Orderer.PARTNER:
            if link is None:
                raise NotFound()
            require(
                current.actor,
                Action.ORDER_FOR_CLIENT,
                ClientProductResource(
                    link_resource(link), covered, link_queries.grant_of(link).may_order
                ),
            )
        else:
            require(current.actor, Action.VIEW_BILLING, OrganisationResource(acting_id))
        invoice_id = await _invoice(current, client, link, product, item, request, orderer, covered)
    return invoice_id


def _link_for(
    links: list[dict], orderer: Orderer, acting_id: int, product: dict | None, item: dict
) -> dict | None:
    """The partner's own link when it orders; else the link managing this product."""
    if orderer is Orderer.PARTNER:
        return next((link for link in links if link["partner"] == acting_id), None)
    product_id = product["id"] if product else 0
    return next(
        (link for link in links if link_queries.grant_of(link).covers(product_id, item["family"])),
        None,
    )


async def _product_and_item(request: OrderRequest) -> tuple[dict | None, dict]:
    if request.product_id is not None:
        product = await product_queries.product_in(request.client_id, request.product_id)
        if product is None:
            raise NotFound()
        item = await product_queries.catalogue_item(product["item"])
        return product, item
    item = await product_queries.catalogue_item(request.item_id)
    if item is None:
        raise FormErrors({"item": "Choose a product from the catalogue."})
    return None, item


async def _invoice(current, client, link, product, item, request, orderer, covered) -> int:
    currency = client["currency"]
    period = product["period"] if product else request.period
    public = await product_queries.public_price(item["id"], currency, period)
    if public is None:
        raise FormErrors({"period": f"{item['name']} is not sold {period} in {currency}."})
    partner_rate = rules.ZERO
    partner_id = link["partner"] if link and covered else None
    if partner_id is not None:
        partner_currency = link["partner_currency"]
        volume, _ = await queries.managed_volume(partner_id)
        tier = rules.tier_for(await queries.tiers(partner_currency), volume)
        partner_rate = tier.rate if tier else rules.ZERO
    volume_rate = rules.ZERO
    if item["family"] in rules.VOLUME_DISCOUNT_FAMILIES:
        count = await product_queries.hosting_count(client["id"]) + (0 if product else 1)
        volume_rate = rules.volume_discount_rate(await queries.volume_steps(), count)
    price = rules.price_line(public, partner_rate, volume_rate)
    context = OrderContext(
        orderer,
        link["access"] if link and covered else None,
        link["billing_mode"] if link else None,
        covered,
    )
    try:
        settlement = rules.settle(context, price)
    except rules.NotAllowed as refusal:
        raise Conflict(str(refusal)) from refusal
    payer = await product_queries.organisation_for_billing(
        partner_id if settlement.payer is Payer.PARTNER else client["id"]
    )
    vat = rules.vat_for(
        payer["country"], rules.valid_eu_vat_number(payer["vat_number"]), await queries.vat_rates()
    )
    totals = rules.invoice_totals([settlement.charged], vat.rate)

    today = _now().date()
    if product is None:
        product = await product_queries.insert_product(
            client["id"],
            item,
            period,
            request.name or item["name"],
            today,
            today + PERIOD_LENGTH[period],
        )
        service_from = today
    else:
        service_from = max(product["renews_on"], today)
        await product_queries.set_renewal(product["id"], service_from + PERIOD_LENGTH[period])
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
        [
            {
                "product": product["id"],
                "description": f"{item['name']} — {product['name']}",
                "family": item["family"],
                "service_from": service_from,
                "service_to": service_from + PERIOD_LENGTH[period],
                "ordered_by": orderer,
                "public_price": price.public,
                "volume_rate": volume_rate,
                "partner_rate": partner_rate,
                "amount": settlement.charged,
                "cashback": settlement.cashback,
                "discount": settlement.discount,
                "position": 1,
            }
        ],
    )
    if settlement.cashback > 0:
        await queries.insert_ledger_entry(
            {
                "organisation": partner_id,
                "currency": currency,
                "kind": EntryKind.CASHBACK,
                "amount": settlement.cashback,
                "invoice": invoice_id,
                "reference": f"Cashback on {item['name']} for {client['name']}",
            }
        )
    action = "billing.renewed" if request.product_id else "billing.ordered"
    for organisation_id in {client["id"], partner_id} - {None}:
        acting_for = current.organisation.id if organisation_id != current.organisation.id else None
        await record(
            organisation_id,
            _who(current, acting_for),
            action,
            product["name"],
            after={
                "amount": str(settlement.charged),
                "currency": currency,
                "payer": settlement.payer,
                "cashback": str(settlement.cashback),
                "discount": str(settlement.discount),
            },
        )
    return invoice_id


# --- the prepaid account -----------------------------------------------------------------------


def billing_scope(current: Current) -> OrganisationResource:
    """The acting organisation, if the actor may see its money (else 404/403)."""
    if current.organisation is None:
        raise NotFound()
    resource = OrganisationResource(current.organisation.id)
    require(current.actor, Action.VIEW_BILLING, resource)
    return resource


async def deposit(current: Current, amount: Decimal, currency: str) -> None:
    resource = billing_scope(current)
    problem = rules.deposit_problem(amount)
    if problem:
        raise FormErrors({"amount": problem})
    async with DB.transaction():
        await queries.insert_ledger_entry(
            {
                "organisation": resource.organisation_id,
                "currency": currency,
                "kind": EntryKind.DEPOSIT,
                "amount": amount,
                "created_by": current.user_id,
                "reference": "Deposit",
            }
        )
        await record(
            resource.organisation_id, _who(current), "prepaid.deposit", f"{currency} {amount}"
        )


async def pay_invoice_from_balance(current: Current, invoice_id: int) -> None:
    """Two payments at once cannot overdraw: the account's rows are locked first."""
    resource = billing_scope(current)
    async with DB.transaction():
        invoice = await queries.invoice_of_payer(
            resource.organisation_id, invoice_id, client_scope(current.actor), lock=True
        )
        if invoice is None:
            raise NotFound()
        if invoice["paid_at"] is not None:
            raise Conflict("This invoice is paid already.")
        await queries.lock_account(resource.organisation_id)
        balance = await queries.ledger_balance(resource.organisation_id, invoice["currency"])
        problem = rules.withdrawal_problem(balance, invoice["gross"])
        if problem:
            raise FormErrors({"balance": problem})
        await queries.insert_ledger_entry(
            {
                "organisation": resource.organisation_id,
                "currency": invoice["currency"],
                "kind": EntryKind.PAYMENT,
                "amount": -invoice["gross"],
                "invoice": invoice_id,
                "created_by": current.user_id,
                "reference": f"Payment of {invoice['number']}",
            }
        )
        await queries.mark_paid(invoice_id, "prepaid")
        await record(
            resource.organisation_id,
            _who(current),
            "prepaid.payment",
            invoice["number"],
            after={"amount": str(invoice["gross"])},
        )


@dataclass(frozen=True)
class PayoutRequest:
    amount: Decimal
    currency: str
    method: str  # iban | paypal
    destination: str


def payout_destination_problem(method: str, destination: str) -> str | None:
    if method == "iban":
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        try:
            IBAN(destination)
        except SchwiftyException:
            return "Enter a valid IBAN (its check digits are wrong or it is incomplete)."
        return None
    if method == "paypal":
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(destination, check_deliverability=False)
        except EmailNotValidError:
            return "Enter the email address of your PayPal account."
        return None
    return "Choose a bank account (IBAN) or PayPal."


async def pay_out(current: Current, request: PayoutRequest) -> None:
    resource = billing_scope(current)
    problem = payout_destination_problem(request.method, request.destination)
    if problem:
        raise FormErrors({"destination": problem})
    async with DB.transaction():
        await queries.lock_account(resource.organisation_id)
        balance = await queries.ledger_balance(resource.organisation_id, request.currency)
        problem = rules.withdrawal_problem(balance, request.amount)
        if problem:
            raise FormErrors({"amount": problem})
        label = "IBAN" if request.method == "iban" else "PayPal"
        await queries.insert_ledger_entry(
            {
                "organisation": resource.organisation_id,
                "currency": request.currency,
                "kind": EntryKind.PAYOUT,
                "amount": -request.amount,
                "created_by": current.user_id,
                "reference": f"Payout to {label} {request.destination}",
            }
        )
        await record(
            resource.organisation_id,
            _who(current),
            "prepaid.payout",
            f"{request.currency} {request.amount}",
            after={"method": request.method, "destination": request.destination},
        )


def days_until(day: date, today: date) -> int:
    return (day - today).days


# --- programme settings (staff) ----------------------------------------------------------------


def _staff(current: Current) -> None:
    require(current.actor, Action.EDIT_PROGRAMME_SETTINGS, StaffResource())


async def update_tiers(current: Current, tiers: dict[str, list[rules.Tier]], note: str) -> None:
    """A new version of the tier table; the old one stays as history."""
    _staff(current)
    problems = [p for currency_tiers in tiers.values() for p in rules.tier_problems(currency_tiers)]
    if any(not currency_tiers for currency_tiers in tiers.values()):
        problems.append("Give at least one tier.")
    if problems:
        raise FormErrors({"tiers": " ".join(dict.fromkeys(problems))})
    payload = {
        currency: [[t.name, str(t.rate), str(t.threshold)] for t in currency_tiers]
        for currency, currency_tiers in tiers.items()
    }
    await queries.insert_setting("tiers", payload, note, current.user_id)


async def update_volume_discount(
    current: Current, steps: list[rules.VolumeStep], note: str
) -> None:
    _staff(current)
    counts = [step.minimum_count for step in steps]
    if len(set(counts)) != len(counts) or any(c < 1 for c in counts):
        raise FormErrors({"steps": "Each step starts at a different number of hostings (≥ 1)."})
    if any(not rules.ZERO <= step.rate < 1 for step in steps):
        raise FormErrors({"steps": "A volume discount is between 0 % and 99 %."})
    ordered = sorted(steps, key=lambda step: step.minimum_count)
    if any(a.rate > b.rate for a, b in zip(ordered, ordered[1:], strict=False)):
        raise FormErrors({"steps": "More hostings cannot give a smaller discount."})
    payload = [[step.minimum_count, str(step.rate)] for step in ordered]
    await queries.insert_setting("volume_discount", payload, note, current.user_id)
