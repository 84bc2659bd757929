"""The one place renewals reach billing. A renewal made by the portal is billing's own
renewal (billing.invoicing.issue_renewal: the calendar period, the price, the tier and volume
discount, who pays, cashback or discount, VAT, the invoice and the ledger), as a manual renewal
by whoever orders under the agreement, then paid from the payer's prepaid balance as a person
pays an invoice there."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from portal.audit.services import Who
from portal.billing import invoicing as billing_invoicing
from portal.billing import queries as billing_queries
from portal.billing import rules as billing_rules
from portal.billing.rules import EntryKind, Orderer
from portal.billing.tables import Invoice
from portal.clients import queries as link_queries
from portal.clients.rules import Access
from portal.errors import Conflict
from portal.renewals.rules import missing_amount

# Who the audit log names for what the portal does by itself.
RENEWALS_NAME = "Automatic renewals"
RENEWAL_RUN = Who(None, RENEWALS_NAME)


async def issue_renewal_invoice(client_id: int, product_id: int, orderer: Orderer) -> int:
    """Renew one period of the client's product and issue its invoice, as a manual renewal by
    ORDERER (the client, or its full-access partner when the partner pays); the invoice id.
    Raises billing's Conflict or FormErrors when the product cannot be renewed (no price)."""
    acting_id = client_id
    if orderer is Orderer.PARTNER:
        links = await link_queries.active_links_of_client(client_id)
        acting_id = next(link.partner_id for link in links if link.access is Access.FULL)
    try:
        [invoice_id, *_] = await billing_invoicing.issue_renewal(
            client_id, [product_id], orderer=orderer, acting_id=acting_id, who=RENEWAL_RUN
        )
    except LookupError as missing:  # the product is no longer the client's
        raise Conflict(str(missing)) from missing
    return invoice_id


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
    short = billing_rules.withdrawal_problem(balance, invoiced.gross, invoiced.currency)
    if invoiced.gross > 0 and short:
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
