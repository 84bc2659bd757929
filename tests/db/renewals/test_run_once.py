"""The run is safe however it is started: two at once handle each product once; after an
outage of several days, one run handles each product once, where its dates are, in the order
the dates came."""

import asyncio
from collections import Counter
from datetime import timedelta
from decimal import Decimal as D

from portal.billing.tables import Invoice
from portal.renewals import invoicing, queries
from portal.renewals.rules import Step
from portal.renewals.run import BATCH, run_renewals
from tests.factories.renewals import (
    DATE,
    SETTINGS,
    at,
    audit_actions,
    balance,
    deposit,
    invoices_of,
    kinds,
    link,
    notices,
    organisation,
    product,
    renewals,
    row,
    run,
)


def day(offset: int):
    return DATE + timedelta(days=offset)


async def many_clients(count: int) -> list[int]:
    """Clients each with a domain renewed automatically (paid), a hosting under the
    warranty, and a hosting nobody renews; the first has more products than a batch."""
    products = []
    for number in range(count):
        client = await organisation(f"Client {number:02d}")
        await deposit(client, "100.00")
        products.append(await product(client, "domain-ch", name=f"d{number}.ch"))
        products.append(await product(client, "web-pro", name=f"w{number}", warranty=True))
        products.append(await product(client, "web-starter", name=f"s{number}"))
        if number == 0:
            for extra in range(BATCH + 5):
                products.append(await product(client, "mail-5", name=f"m{extra}"))
    return products


async def test_two_runs_at_once_handle_each_product_once(db):
    products = await many_clients(12)

    await asyncio.gather(run_renewals(SETTINGS, at(day(0))), run_renewals(SETTINGS, at(day(0))))

    renewed = Counter(r["product"] for r in await renewals())
    assert set(renewed.values()) == {1} and len(renewed) == 24  # each domain and warranty
    assert await Invoice.count() == 24
    told = Counter((n["product"], n["recipient"]) for n in await notices())
    assert set(told.values()) == {1} and len(told) == len(products)
    for product_id in products:
        assert len(await kinds(product_id)) == 1
    steps = Counter(action for action, _ in await audit_actions_of_all())
    assert steps == {"renewal.renewed": 24, "renewal.due": len(products) - 24}


async def audit_actions_of_all():
    rows = await Invoice.raw(
        "SELECT action, subject FROM audit_event WHERE action LIKE 'renewal.%' ORDER BY id"
    )
    return [(r["action"], r["subject"]) for r in rows]


async def test_after_an_outage_each_product_is_handled_once_in_date_order(db):
    partner = await organisation("Partner AG", partner=True)
    first = await organisation("First AG")
    second = await organisation("Second AG")
    await link(partner, first, "full", "partner")
    await link(partner, second, "full", "partner")
    # the partner pays; its balance covers one domain renewal (CHF 14.05, Bronze not reached)
    await deposit(partner, "15.00")
    later = await product(second, "domain-ch", day(-2), name="later.ch")
    earlier = await product(first, "domain-ch", day(-4), name="earlier.ch")
    lapsed = await product(first, "web-pro", day(-9), name="lapsed.example")
    reminded = await product(second, "web-pro", day(3), name="soon.example")

    await run(day(-40))  # the last run before the outage: first reminders of some
    summary = await run(day(0))  # back after 40 days without a run

    assert summary.renewed == {"automatic": 1}
    assert (await row(earlier))["renews_on"] == day(-4 + 365)  # its date came first
    assert (await row(later))["renews_on"] == day(-2)
    assert await balance(partner) == D("0.95")
    assert await kinds(later) == ["no_money"]  # told to the partner, who pays and manages
    assert {n["recipient"] for n in await notices(later)} == {partner}
    # one step each, straight to where the dates are, with no stale reminder
    assert (await row(lapsed))["renewal_step"] == Step.GRACE
    assert await kinds(lapsed) == ["grace"]
    assert (await row(reminded))["renewal_step"] == Step.REMINDED_7
    assert await kinds(reminded) == ["reminder_manual"]
    assert [a for a, _ in await audit_actions(first)] == ["renewal.grace", "renewal.renewed"]

    assert (await run(day(0))).products == 0
    assert (await run(day(1))).products == 1  # the daily retry of the unpaid domain
    assert len(await invoices_of(earlier)) == 1


async def test_a_client_whose_work_fails_holds_up_no_other(db, monkeypatch):
    broken = await organisation("Broken AG")
    fine = await organisation("Fine AG")
    failing = await product(broken, "domain-ch", day(0), name="broken.ch")
    working = await product(fine, "web-pro", day(0), name="fine.example")
    real = invoicing.issue_renewal_invoice

    async def issue(client_id, product_id, orderer):
        if product_id == failing:
            raise RuntimeError("an unexpected failure")
        return await real(client_id, product_id, orderer)

    monkeypatch.setattr(invoicing, "issue_renewal_invoice", issue)

    summary = await run(day(0))

    assert summary.failed == 1
    assert (await row(failing))["renewal_step"] == Step.NONE  # left for the next run
    assert (await row(working))["renewal_step"] == Step.DUE
    monkeypatch.setattr(invoicing, "issue_renewal_invoice", real)
    assert (await run(day(0))).failed == 0
    assert (await row(failing))["renewal_step"] == Step.DUE


async def test_a_client_whose_invoices_fail_holds_up_no_other(db, monkeypatch):
    broken = await organisation("Broken AG")
    fine = await organisation("Fine AG")
    failing = await product(broken, "web-pro", day(0), name="broken.example", warranty=True)
    working = await product(fine, "web-pro", day(0), name="fine.example", warranty=True)
    await run(day(0))  # both renewed under the warranty, invoices due in 30 days
    real = queries.warranty_invoices_to_check

    async def to_check(client_id, today):
        if client_id == broken:
            raise RuntimeError("an unexpected failure")
        return await real(client_id, today)

    monkeypatch.setattr(queries, "warranty_invoices_to_check", to_check)

    assert (await run(day(31))).failed == 1
    assert await kinds(failing) == ["renewed_warranty"]  # left for the next run
    assert await kinds(working) == ["renewed_warranty", "invoice_overdue"]
    monkeypatch.setattr(queries, "warranty_invoices_to_check", real)
    assert (await run(day(31))).failed == 0
    assert await kinds(failing) == ["renewed_warranty", "invoice_overdue"]
