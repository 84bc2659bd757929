"""The one place renewals reach billing. A renewal made by the portal is priced and invoiced
exactly as a manual renewal (billing.services: the price, the tier and volume discount, who
pays, cashback or discount, VAT, the invoice and the ledger), then paid from the payer's
prepaid balance as a person pays an invoice there."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from portal.access import Actor
from portal.billing import queries as billing_queries
from portal.billing import rules as billing_rules
from portal.billing import services as billing
from portal.billing.rules import EntryKind, Orderer
from portal.billing.tables import Invoice
from portal.clients import queries as link_queries
from portal.core.current import Current, OrganisationSummary
from portal.products import queries as product_queries
from portal.renewals.rules import missing_amount

# Who the audit log names for what the portal does by itself.
RENEWALS_NAME = "Automatic renewals"
RENEWALS_ADDRESS = "partner portal"


def _on_behalf_of(organisation_id: int) -> Current:
    """Billing's renewal names who acts in the audit log; the periodic run acts for the
    organisation that orders under the agreement, as no person."""
    return Current(
        session_id=0,
        user_id=None,
        email=RENEWALS_ADDRESS,
        full_name=RENEWALS_NAME,
        totp_enabled=False,
        second_factor_pending=False,
        organisation=OrganisationSummary(organisation_id, "", "", ""),
        organisations=(),
        actor=Actor(user_id=0, organisation_id=organisation_id, role=None),
    )


async def issue_renewal_invoice(client_id: int, product_id: int, orderer: Orderer) -> int:
    """Renew one period of the client's product and issue its invoice, as a manual renewal by
    ORDERER (the client, or its full-access partner when the partner pays); the invoice id.
    Raises billing's Conflict or FormErrors when the product cannot be renewed (no price)."""
    request = billing.OrderRequest(client_id, None, product_id, "")
    client = await product_queries.organisation_for_billing(client_id)
    product, item = await billing._product_and_item(request)
    links = await link_queries.active_links_of_client(client_id)
    acting_id = (
        next(link["partner"] for link in links if link["access"] == "full")
        if orderer is Orderer.PARTNER
        else client_id
    )
    link = billing._link_for(links, orderer, acting_id, product, item)
    covered = link is not None and link_queries.grant_of(link).covers(product_id, item["family"])
    return await billing._invoice(
        _on_behalf_of(acting_id), client, link, product, item, request, orderer, covered
    )


@dataclass(frozen=True)
class Invoiced:
    id: int
    number: str
    payer: int
    currency: str
    gross: Decimal


async def invoice(invoice_id: int) -> Invoiced:
    rows = await Invoice.raw(
        "SELECT id, number, payer, currency, gross FROM invoice WHERE id = {}", invoice_id
    )
    return Invoiced(**rows[0])


async def pay_from_balance(invoiced: Invoiced) -> Decimal:
    """Pay the invoice from its payer's prepaid balance, its account locked first (as
    billing.services.pay_invoice_from_balance does); what the balance lacks (0: paid)."""
    await billing_queries.lock_account(invoiced.payer)
    balance = await billing_queries.ledger_balance(invoiced.payer, invoiced.currency)
    if invoiced.gross > 0 and billing_rules.withdrawal_problem(balance, invoiced.gross):
        return missing_amount(balance, invoiced.gross)
    if invoiced.gross > 0:
        await billing_queries.insert_ledger_entry(
            {
                "organisation": invoiced.payer,
                "currency": invoiced.currency,
                "kind": EntryKind.PAYMENT,
                "amount": -invoiced.gross,
                "invoice": invoiced.id,
                "reference": f"Payment of {invoiced.number}",
            }
        )
    await billing_queries.mark_paid(invoiced.id, "prepaid")
    return Decimal("0.00")
