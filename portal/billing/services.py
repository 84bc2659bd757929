"""Money use cases: orders and renewals (invoice, VAT, cashback or discount), the prepaid
account (deposits, payments, payouts). Prices and settlements come from rules.py; each use
case writes its invoice and ledger entries in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

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
from portal.billing import invoicing, queries, rules
from portal.billing.rules import EntryKind, Orderer
from portal.clients import queries as link_queries
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.piccolo_conf import DB
from portal.products import queries as product_queries


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OrderRequest:
    client_id: int
    item_id: int | None  # QUANTITY new products of this catalogue item…
    product_id: int | None  # …or the renewal of this product
    period: str
    name: str = ""
    quantity: int = 1
    warranty: bool = False  # the new products' renewal warranty (docs/rules.md, Renewals)


async def order(current: Current, request: OrderRequest) -> int:
    """Order or renew a client's products, by the client itself or by its full-access partner;
    returns the invoice id. Who pays and what the partner earns follow the link."""
    if current.organisation is None:
        raise NotFound()
    acting_id = current.organisation.id
    orderer = Orderer.CLIENT if acting_id == request.client_id else Orderer.PARTNER
    async with DB.transaction():
        client = await product_queries.organisation_for_billing(request.client_id)
        if client is None:
            raise NotFound()
        product, item = await _product_and_item(request)
        await _authorise_order(current, request.client_id, orderer, product, item)
        who = _who(current, acting_id)
        if product is not None:
            [invoice_id, *_] = await invoicing.issue_renewal(
                request.client_id, [product["id"]], orderer=orderer, acting_id=acting_id, who=who
            )
            return invoice_id
        return await invoicing.issue_order(
            client,
            item,
            request.period,
            request.quantity,
            name=request.name,
            warranty=request.warranty,
            orderer=orderer,
            acting_id=acting_id,
            who=who,
        )


async def _authorise_order(
    current: Current, client_id: int, orderer: Orderer, product: dict | None, item: dict
) -> None:
    """The client orders with billing rights; a partner through its link, if it covers the
    product and lets it order."""
    if orderer is Orderer.CLIENT:
        require(current.actor, Action.VIEW_BILLING, OrganisationResource(client_id))
        return
    links = await link_queries.active_links_of_client(client_id)
    link = next((k for k in links if k.partner_id == current.organisation.id), None)
    if link is None:
        raise NotFound()
    grant = link.grant
    covered = grant.covers(product["id"] if product else 0, item["family"])
    require(
        current.actor,
        Action.ORDER_FOR_CLIENT,
        ClientProductResource(link.resource, covered, grant.may_order),
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


# --- the prepaid account -----------------------------------------------------------------------


def billing_scope(current: Current) -> OrganisationResource:
    """The acting organisation, if the actor may see its money (else 404/403)."""
    if current.organisation is None:
        raise NotFound()
    resource = OrganisationResource(current.organisation.id)
    require(current.actor, Action.VIEW_BILLING, resource)
    return resource


async def pay_invoices_from_balance(current: Current, invoice_ids: list[int]) -> None:
    """Pay open invoices from the prepaid balance, all or none: the invoices and then the
    account are locked, so two payments at once cannot overdraw it."""
    resource = billing_scope(current)
    ids = sorted(set(invoice_ids))
    if not ids:
        raise FormErrors({"invoices": "Choose the invoices to pay."})
    async with DB.transaction():
        invoices = []
        for invoice_id in ids:  # in id order: two payments lock them in the same order
            invoice = await queries.invoice_of_payer(
                resource.organisation_id, invoice_id, client_scope(current.actor), lock=True
            )
            if invoice is None or invoice["kind"] != "invoice":
                raise NotFound()
            if invoice["paid_at"] is not None:
                raise Conflict(f"Invoice {invoice['number']} is paid already.")
            invoices.append(invoice)
        await queries.lock_account(resource.organisation_id)
        for currency in sorted({invoice["currency"] for invoice in invoices}):
            due = sum((i["gross"] for i in invoices if i["currency"] == currency), rules.ZERO)
            balance = await queries.ledger_balance(resource.organisation_id, currency)
            problem = rules.withdrawal_problem(balance, due, currency)
            if problem:
                raise FormErrors({"balance": problem})
        for invoice in invoices:
            await _pay_one(current, resource.organisation_id, invoice)


async def _pay_one(current: Current, organisation_id: int, invoice: dict) -> None:
    await queries.insert_ledger_entry(
        {
            "organisation": organisation_id,
            "currency": invoice["currency"],
            "kind": EntryKind.PAYMENT,
            "amount": -invoice["gross"],
            "invoice": invoice["id"],
            "created_by": current.user_id,
            "reference": f"Payment of {invoice['number']}",
        }
    )
    await queries.mark_paid(invoice["id"], "prepaid")
    await record(
        organisation_id,
        _who(current),
        "prepaid.payment",
        invoice["number"],
        after={"amount": str(invoice["gross"]), "currency": invoice["currency"]},
    )


async def pay_invoice_from_balance(current: Current, invoice_id: int) -> None:
    await pay_invoices_from_balance(current, [invoice_id])


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


async def add_vat_rate(current: Current, rate: rules.VatRate, note: str) -> None:
    """A new version of the VAT table with RATE added (a rate of the same country and first day
    replaced); the old versions stay as history, and issued invoices keep the rate they
    stored."""
    _staff(current)
    table = [
        known
        for known in await queries.vat_table()
        if (known.country, known.effective_from) != (rate.country, rate.effective_from)
    ]
    table.append(rate)
    problems = rules.vat_table_problems(table)
    if problems:
        raise FormErrors({"rate": " ".join(problems)})
    table.sort(key=lambda r: (r.country, r.effective_from))
    payload = [[r.country, str(r.rate), r.effective_from.isoformat()] for r in table]
    await queries.insert_setting("vat_rates", payload, note, current.user_id)
