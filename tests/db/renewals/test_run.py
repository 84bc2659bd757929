"""The renewal run against the real database: each step of a product's life once, told and
audited; automatic renewal paid from the prepaid balance, or what is missing told and retried;
the warranty's renewal and its invoice followed until paid."""

from datetime import timedelta
from decimal import Decimal as D

from portal.billing.tables import Invoice
from portal.mail.tables import OutboxMail
from portal.renewals.rules import Step
from tests.factories.renewals import (
    DATE,
    audit_actions,
    balance,
    deposit,
    invoices_of,
    kinds,
    member,
    notices,
    organisation,
    product,
    renewals,
    row,
    run,
)


def day(offset: int):
    return DATE + timedelta(days=offset)


async def test_a_product_nobody_renews_goes_through_each_step_once(db):
    client = await organisation("Client AG")
    await member(client, "boss@client.test")
    hosting = await product(client, "web-pro", name="shop.example")

    for offset in (-31, -30, -30, -20, -7, -1, 0, 0, 1, 5, 16, 40, 46, 60):
        await run(day(offset))

    assert await kinds(hosting) == [
        "reminder_manual",
        "reminder_manual",
        "reminder_manual",
        "due",
        "grace",
        "suspended",
        "expired",
    ]
    assert [action for action, _ in await audit_actions(client)] == [
        "renewal.reminded",
        "renewal.reminded",
        "renewal.reminded",
        "renewal.due",
        "renewal.grace",
        "renewal.suspended",
        "renewal.expired",
    ]
    gone = await row(hosting)
    assert gone["status"] == "expired" and gone["renewal_step"] == Step.EXPIRED
    assert gone["next_renewal_check"] is None
    assert await Invoice.count() == 0


async def test_each_step_is_told_in_a_digest_to_the_people_who_look_after_money(db):
    client = await organisation("Client AG")
    await member(client, "boss@client.test")
    await member(client, "books@client.test", role="user", billing=True)
    await member(client, "dev@client.test", role="user")
    await product(client, "web-pro", name="shop.example")
    await product(client, "web-starter", name="blog.example")

    summary = await run(day(0))

    assert summary.mails == 2
    mails = await OutboxMail.select().order_by(OutboxMail.recipient)
    assert [m["recipient"] for m in mails] == ["books@client.test", "boss@client.test"]
    body = mails[0]["body"]
    assert mails[0]["subject"] == "Renewals of the products of Client AG"
    assert "shop.example (Web Hosting Pro) was due for renewal on" in body
    assert "blog.example (Web Hosting Starter)" in body
    assert "https://portal.test/renewals" in body
    assert (await run(day(0))).mails == 0  # nothing new: nothing mailed again


async def test_automatic_renewal_is_paid_from_the_prepaid_balance(db):
    client = await organisation("Client AG")
    domain = await product(client, "domain-ch", name="example.ch")  # automatic by default
    await deposit(client, "20.00")

    summary = await run(day(0))

    assert summary.renewed == {"automatic": 1}
    [invoice] = await invoices_of(domain)
    assert invoice["gross"] == D("14.05") and invoice["paid_with"] == "prepaid"  # 13.00 + 8.1 %
    assert await balance(client) == D("5.95")
    renewed = await row(domain)
    assert renewed["renews_on"] == day(365) and renewed["renewal_step"] == 0
    assert renewed["status"] == "active"
    [renewal] = await renewals(domain)
    assert (renewal["way"], renewal["renewed_from"], renewal["invoice"]) == (
        "automatic",
        DATE,
        invoice["id"],
    )
    assert await kinds(domain) == ["renewed_automatic"]
    assert ("renewal.renewed", "example.ch") in await audit_actions(client)


async def test_short_of_money_it_says_what_is_missing_and_tries_again_each_day(db):
    client = await organisation("Client AG")
    domain = await product(client, "domain-ch", name="example.ch")
    await deposit(client, "5.00")

    await run(day(0))
    await run(day(1))

    assert await Invoice.count() == 0  # a renewal that could not be paid leaves nothing
    assert await balance(client) == D("5.00")
    told = await notices(domain)
    assert [n["kind"] for n in told] == ["no_money", "no_money"]  # the date, then grace
    assert told[0]["details"]["missing"] == "9.05" and told[0]["details"]["amount"] == "14.05"
    assert (await row(domain))["next_renewal_check"] == day(2)  # the daily retry

    await deposit(client, "10.00")
    await run(day(2))

    assert (await row(domain))["renews_on"] == day(365)
    assert await balance(client) == D("0.95")


async def test_the_warranty_renews_invoices_due_in_30_days_and_suspends_when_unpaid(db):
    client = await organisation("Client AG")
    hosting = await product(client, "web-pro", name="shop.example", warranty=True)

    await run(day(0))

    [invoice] = await invoices_of(hosting)
    assert invoice["paid_at"] is None and invoice["gross"] == D("128.68")  # 119.04 + 8.1 %
    [renewal] = await renewals(hosting)
    assert renewal["way"] == "warranty" and renewal["due_on"] == day(30)
    assert (await row(hosting))["renews_on"] == day(365)

    await run(day(30))  # due today: nothing yet
    await run(day(31))  # unpaid the day after: a reminder
    assert (await row(hosting))["status"] == "active"
    await run(day(38))  # a week later: suspended
    assert (await row(hosting))["status"] == "suspended"
    await run(day(39))
    await Invoice.update({Invoice.paid_at: invoice["issued_on"]}).where(Invoice.id == invoice["id"])
    await run(day(39))  # the next run sees the payment

    assert (await row(hosting))["status"] == "active"
    assert await kinds(hosting) == [
        "renewed_warranty",
        "invoice_overdue",
        "suspended_unpaid",
        "resumed",
    ]
    assert [a for a, _ in await audit_actions(client)] == [
        "renewal.renewed",
        "renewal.invoice_overdue",
        "renewal.suspended_unpaid",
        "renewal.resumed",
    ]
    assert (await renewals(hosting))[0]["next_check"] is None
