"""Demo renewals: the named clients' products in every state of their life, dated from the day
the demo is loaded — due soon with automatic renewal or the warranty, due today, in grace,
suspended, expired, renewed under the warranty with its invoice open, and suspended for an
unpaid warranty invoice — and a prepaid balance for tonight's automatic renewal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from portal.core.enums import ProductStatus
from portal.renewals.rules import (
    InvoiceStep,
    Step,
    overdue_from,
    warranty_due_on,
)

# Product tuples of portal.demo.DemoPlan: (id, organisation, item, family, name, period,
# status, started_on, renews_on); the renewal columns are added when they are copied.
PERIOD, STATUS, STARTED, RENEWS = 5, 6, 7, 8
COLUMNS = ["automatic_renewal", "renewal_warranty", "renewal_step"]
DEFAULTS = (None, False, Step.NONE)  # automatic renewal: the family's default
HOSTING_GRACE_DAYS = 15  # the suspended demo product is past the longest grace of its family
BALANCE = Decimal("250.00")  # Bäckerei Huber's prepaid balance, for tonight's renewal


@dataclass(frozen=True)
class Scenario:
    key: str
    renews_in: int  # days from the demo's day
    status: str = ProductStatus.ACTIVE
    step: Step = Step.NONE
    automatic: bool | None = None  # None: the family's default
    warranty: bool = False
    invoice_step: InvoiceStep | None = None  # a warranty renewal whose invoice is unpaid


# The first products of the named clients, in this order.
SCENARIOS = {
    "Bäckerei Huber AG": [
        Scenario("automatic, renewed by tonight's run", 0, automatic=True),
        Scenario("automatic, due soon", 3, automatic=True),
        Scenario("warranty, due soon", 12, automatic=False, warranty=True),
        Scenario("due today", 0, step=Step.DUE, automatic=False),
        Scenario("in grace", -4, step=Step.GRACE, automatic=False),
        Scenario(
            "suspended", -(HOSTING_GRACE_DAYS + 6), ProductStatus.SUSPENDED, Step.SUSPENDED, False
        ),
        Scenario("expired", -90, ProductStatus.EXPIRED, Step.EXPIRED, False),
        Scenario("warranty invoice open", 340, warranty=True, invoice_step=InvoiceStep.OPEN),
        Scenario(
            "suspended, warranty invoice unpaid",
            320,
            ProductStatus.SUSPENDED,
            warranty=True,
            invoice_step=InvoiceStep.SUSPENDED,
        ),
    ],
    "Hotel Bellevue Sàrl": [
        Scenario("due soon", 9, automatic=False),
        Scenario("in grace", -2, step=Step.GRACE, automatic=False),
    ],
    "Cabinet Dupont": [Scenario("due soon", 20, automatic=False)],
}


@dataclass
class Shaped:
    """The named clients' products given their scenarios: their renewal columns, and the
    scenarios of those with a warranty invoice."""

    options: dict[int, tuple] = field(default_factory=dict)
    invoiced: dict[int, Scenario] = field(default_factory=dict)

    def products(self, products: list[tuple]) -> list[tuple]:
        """The rows to copy: each product with its renewal columns."""
        return [(*p, *self.options.get(p[0], DEFAULTS)) for p in products]


def shape(products: list[tuple], clients: dict[str, int], today: date) -> Shaped:
    """Give the named clients' first products their scenario (PRODUCTS changed in place)."""
    shaped = Shaped()
    for client_name, scenarios in SCENARIOS.items():
        owned = [i for i, p in enumerate(products) if p[1] == clients[client_name]]
        for index, scenario in zip(owned, scenarios, strict=False):
            product = list(products[index])
            renews = today + timedelta(days=scenario.renews_in)
            if scenario.invoice_step is not None:
                product[PERIOD] = "yearly"  # renewed for a year some weeks ago
                product[STARTED] = renews - timedelta(days=365)
                shaped.invoiced[product[0]] = scenario
            product[RENEWS] = renews
            product[STATUS] = scenario.status
            products[index] = tuple(product)
            shaped.options[product[0]] = (scenario.automatic, scenario.warranty, scenario.step)
    return shaped


async def load(
    connection: asyncpg.Connection,
    shaped: Shaped,
    invoices: list[tuple],
    lines: list[tuple],
    client_id: int,
    today: date,
) -> None:
    """The warranty renewals of the SHAPED products (their last invoice left unpaid), and
    Bäckerei Huber's prepaid balance."""
    invoiced = shaped.invoiced
    invoice_of = {line[1]: line[0] for line in lines if line[1] in invoiced}
    issued = {row[0]: row for row in invoices}
    for product_id, scenario in invoiced.items():
        invoice_id = invoice_of[product_id]
        invoice = issued[invoice_id]
        issued_on, renewed_from = invoice[6], invoice[6]
        due_on = warranty_due_on(issued_on)
        next_check = overdue_from(due_on) if scenario.invoice_step is InvoiceStep.OPEN else today
        await connection.execute(
            "UPDATE invoice SET paid_at = NULL, paid_with = '' WHERE id = $1", invoice_id
        )
        await connection.execute(
            """INSERT INTO renewal (product, client, payer, renewed_from, way, invoice, due_on,
                                    invoice_step, next_check, created_at)
               VALUES ($1, $2, $3, $4, 'warranty', $5, $6, $7, $8, $9)""",
            product_id,
            invoice[3],
            invoice[2],
            renewed_from,
            invoice_id,
            due_on,
            int(scenario.invoice_step),
            next_check,
            datetime.combine(issued_on, datetime.min.time(), UTC),
        )
    await connection.execute(
        "INSERT INTO ledger_entry (organisation, currency, kind, amount, reference) "
        "VALUES ($1, 'CHF', 'deposit', $2, 'Deposit')",
        client_id,
        BALANCE,
    )
