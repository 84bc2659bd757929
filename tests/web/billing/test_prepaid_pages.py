"""The prepaid account and the staff's money pages through HTTP: a deposit's QR-bill, the
statement import, payouts approved and exported, VAT rates, credit notes, and several
invoices paid at once; bad input is a 422 that writes nothing."""

from decimal import Decimal as D

import lxml.html
from lxml import etree

from portal.accounts.tables import Account
from portal.billing.tables import (
    Invoice,
    LedgerEntry,
    PaymentRequest,
    Payout,
    PayoutExport,
    ProgrammeSetting,
)
from portal.organisations.tables import Organisation
from tests.factories.accounts import PASSWORD, log_in, log_out, sign_up
from tests.factories.billing import PAIN_001_XSD as XSD
from tests.factories.billing import linked_full
from tests.factories.camt import Credit, camt
from tests.factories.clients import give_products
from tests.factories.web import post_form


def text_by_testid(html: str, testid: str) -> str:
    """The text of the element marked TESTID, its children's text included."""
    [element] = lxml.html.fromstring(html).xpath(f'//*[@data-testid="{testid}"]')
    return element.text_content().strip()


async def organisation_id(name: str) -> int:
    row = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    return row["id"]


async def make_staff(client, email="sofia@host.ch") -> None:
    await sign_up(client, email, name="Sofia Staff", organisation="Cloud Host SA")
    await Account.update({Account.is_staff: True}).where(Account.email == email)


async def credit(organisation: int, amount: str, currency: str = "CHF") -> None:
    await LedgerEntry.insert(
        LedgerEntry(
            organisation=organisation,
            currency=currency,
            kind="deposit",
            amount=D(amount),
            reference="Deposit",
        )
    )


async def test_a_deposit_is_paid_by_qr_bill_and_credited_by_the_statement(client):
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    for amount in ["0.09", "9999.01", "abc", "1.005", "", "1e9", "NaN", "-5", "٣", "10" * 20]:
        refused = await post_form(
            client, "/billing/prepaid/deposit", {"amount": amount, "currency": "CHF"}
        )
        assert refused.status_code == 422, amount
    wrong_currency = await post_form(
        client, "/billing/prepaid/deposit", {"amount": "10", "currency": "USD"}
    )
    assert wrong_currency.status_code == 422
    assert await PaymentRequest.count() == 0

    asked = await post_form(
        client, "/billing/prepaid/deposit", {"amount": "250", "currency": "EUR"}
    )
    assert asked.status_code == 303
    deposit = await client.get(asked.headers["location"])
    assert "Awaiting payment" in text_by_testid(deposit.text, "deposit-status")
    reference = text_by_testid(deposit.text, "reference")
    request = await PaymentRequest.select().first()
    assert reference == request["reference"] and request["currency"] == "EUR"
    svg = await client.get(f"/billing/prepaid/deposits/{request['id']}/qr-bill.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content and b"250.00" in svg.content
    pdf = await client.get(f"/billing/prepaid/deposits/{request['id']}/qr-bill.pdf")
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    prepaid = await client.get("/billing/prepaid?currency=EUR")
    assert "awaiting payment" in prepaid.text and "No entry yet" in prepaid.text
    await log_out(client)

    await make_staff(client)
    assert (await client.get("/staff/payments")).status_code == 200
    not_camt = await post_form(
        client, "/staff/payments/statements", files={"file": ("x.xml", b"<a/>", "text/xml")}
    )
    assert not_camt.status_code == 422 and "camt.053 or camt.054" in not_camt.text
    statement = camt(
        [Credit("250.00", reference, "B-1", "EUR"), Credit("9.00", "RF18539007547034", "B-2")]
    )
    imported = await post_form(
        client,
        "/staff/payments/statements",
        files={"file": ("camt054.xml", statement, "application/xml")},
    )
    assert imported.status_code == 303
    queue = await client.get("/staff/payments")
    assert "The reference names no payment request." in queue.text
    await log_out(client)

    await log_in(client, "carl@client.ch")
    prepaid = await client.get("/billing/prepaid?currency=EUR")
    assert text_by_testid(prepaid.text, "balance-EUR") == "EUR\u00a0250.00"
    assert "paid by bank transfer" in prepaid.text


async def test_another_organisations_deposit_does_not_exist(client):
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    await post_form(client, "/billing/prepaid/deposit", {"amount": "20", "currency": "CHF"})
    request = await PaymentRequest.select().first()
    await log_out(client)
    await sign_up(client, "eve@other.ch", name="Eve Other", organisation="Other AG")
    for path in ["", "/qr-bill.svg", "/qr-bill.pdf"]:
        response = await client.get(f"/billing/prepaid/deposits/{request['id']}{path}")
        assert response.status_code == 404, path


async def test_a_payout_is_requested_approved_by_staff_and_exported(client):
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await credit(await organisation_id("Partner AG"), "100.00")
    form = {
        "payout_amount": "60",
        "payout_currency": "CHF",
        "method": "iban",
        "destination": "CH93 0076 2011 6238 5295 7",
        "holder": "Partner AG",
        "password": PASSWORD,
    }
    for field, bad in [
        ("destination", "CH00 0000 0000"),
        ("payout_amount", "100.01"),
        ("password", "not my password"),
        ("method", "cash"),
        ("payout_currency", "USD"),
        ("holder", ""),
    ]:
        refused = await post_form(client, "/billing/prepaid/payout", {**form, field: bad})
        assert refused.status_code == 422, field
    assert await Payout.count() == 0

    requested = await post_form(client, "/billing/prepaid/payout", form)
    assert requested.status_code == 303
    prepaid = await client.get("/billing/prepaid")
    assert text_by_testid(prepaid.text, "balance-CHF") == "CHF\u00a040.00"  # reserved
    assert text_by_testid(prepaid.text, "payout-status") == "Requested"
    payout = await Payout.select().first()
    assert (
        await post_form(client, f"/staff/payments/payouts/{payout['id']}/approve")
    ).status_code == 404
    await log_out(client)

    await make_staff(client)
    page = await client.get("/staff/payments")
    assert "Partner AG" in text_by_testid(page.text, "payout-to-approve")
    approved = await post_form(client, f"/staff/payments/payouts/{payout['id']}/approve")
    assert approved.status_code == 303
    again = await post_form(client, f"/staff/payments/payouts/{payout['id']}/approve")
    assert again.status_code == 422 and "decided already" in again.text
    exported = await post_form(
        client, "/staff/payments/exports", {"method": "iban", "currency": "CHF"}
    )
    assert exported.status_code == 303
    export = await PayoutExport.select().first()
    download = await client.get(f"/staff/payments/exports/{export['id']}")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(etree.fromstring(download.content))
    nothing = await post_form(
        client, "/staff/payments/exports", {"method": "iban", "currency": "CHF"}
    )
    assert nothing.status_code == 422 and "No approved payout" in nothing.text


async def test_staff_add_a_vat_rate_with_its_first_day(client):
    await make_staff(client)
    page = await client.get("/staff/vat-rates")
    assert page.status_code == 200 and "Sweden" in page.text and "In force" in page.text
    versions = await ProgrammeSetting.count().where(ProgrammeSetting.kind == "vat_rates")
    for field, bad in [
        ("country", "CH"),
        ("rate", "31"),
        ("rate", "abc"),
        ("effective_from", "tomorrow"),
        ("effective_from", ""),
    ]:
        form = {"country": "DK", "rate": "26", "effective_from": "2027-01-01", field: bad}
        refused = await post_form(client, "/staff/vat-rates", form)
        assert refused.status_code == 422, (field, bad)
    assert await ProgrammeSetting.count().where(ProgrammeSetting.kind == "vat_rates") == versions
    saved = await post_form(
        client,
        "/staff/vat-rates",
        {"country": "DK", "rate": "26", "effective_from": "2027-01-01", "note": "Budget 2027"},
    )
    assert saved.status_code == 303
    from portal.billing import queries

    table = await queries.vat_table()
    assert [r.rate for r in table if r.country == "DK"] == [D("0.25"), D("0.26")]


async def test_staff_credit_a_line_and_the_cashback_is_reversed(client):
    partner, client_id = await linked_full(client)
    products = await give_products("Client GmbH", "cloud-2", "web-pro")
    for _ in range(8):
        await give_products("Client GmbH", "cloud-2")
    await post_form(client, f"/products/{products['web-pro']}/renew")
    invoice = await Invoice.select().first()
    await log_out(client)

    await make_staff(client)
    found = await client.get(f"/staff/invoices?number={invoice['number']}")
    assert found.status_code == 303
    page = await client.get(found.headers["location"])
    line_id = page.text.split('name="line" value="')[1].split('"')[0]
    no_reason = await post_form(
        client, f"/staff/invoices/{invoice['id']}/credit", {"line": line_id, "reason": ""}
    )
    assert no_reason.status_code == 422
    credited = await post_form(
        client,
        f"/staff/invoices/{invoice['id']}/credit",
        {"line": line_id, "reason": "Ordered by mistake"},
    )
    assert credited.status_code == 303
    note = await Invoice.select().where(Invoice.kind == "credit_note").first()
    assert note["gross"] == -invoice["gross"] and note["vat_rule"] == invoice["vat_rule"]
    twice = await post_form(
        client,
        f"/staff/invoices/{invoice['id']}/credit",
        {"line": line_id, "reason": "Again"},
    )
    assert twice.status_code == 422
    await log_out(client)

    await log_in(client, "paula@partner.ch")
    prepaid = await client.get("/billing/prepaid")
    assert "Cashback reversed" in prepaid.text and "Ordered by mistake" in prepaid.text
    assert text_by_testid(prepaid.text, "balance-CHF") == "CHF\u00a00.00"
    await log_out(client)
    await log_in(client, "carl@client.ch")
    assert note["number"] in (await client.get("/billing")).text


async def test_several_invoices_are_paid_from_the_balance_at_once(client):
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    for name in ("a", "b"):
        await post_form(client, "/products/order", {"item": "8", "period": "yearly", "name": name})
    first, second = await Invoice.select().order_by(Invoice.id)
    await credit(await organisation_id("Client GmbH"), str(first["gross"]))
    both = {"invoice": [str(first["id"]), str(second["id"])]}
    short = await post_form(client, "/billing/invoices/pay", both)
    assert short.status_code == 422 and "does not cover" in short.text
    assert await Invoice.count().where(Invoice.paid_at.is_not_null()) == 0  # all or none
    await credit(await organisation_id("Client GmbH"), str(second["gross"]))
    paid = await post_form(client, "/billing/invoices/pay", both)
    assert paid.status_code == 303
    assert await Invoice.count().where(Invoice.paid_at.is_not_null()) == 2
    for bad in [{"invoice": "²"}, {}, {"invoice": "99999999999"}]:
        refused = await post_form(client, "/billing/invoices/pay", bad)
        assert refused.status_code in (404, 422), bad


async def test_the_entries_are_paged_from_the_newest(client):
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    organisation = await organisation_id("Client GmbH")
    await LedgerEntry.insert(
        *[
            LedgerEntry(
                organisation=organisation,
                currency="CHF",
                kind="deposit",
                amount=D(n),
                reference=f"Deposit number {n:03d}",
            )
            for n in range(1, 121)
        ]
    )
    seen, url, pages = [], "/billing/prepaid?currency=CHF", 0
    while url:
        page = await client.get(url)
        assert page.status_code == 200
        tree = lxml.html.fromstring(page.text)
        seen += [
            cell.text_content() for cell in tree.xpath("//td[starts-with(., 'Deposit number')]")
        ]
        older = tree.xpath("//a[@rel='next']/@href")
        url, pages = (older[0] if older else None), pages + 1
    assert pages == 3
    assert seen == [f"Deposit number {n:03d}" for n in range(120, 0, -1)]
    assert text_by_testid(page.text, "balance-CHF") == "CHF\u00a07’260.00"


async def test_a_deposit_form_sent_twice_asks_once(client):
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    page = lxml.html.fromstring((await client.get("/billing/prepaid")).text)
    [key] = page.xpath("//form[contains(@action, '/deposit')]//input[@name='submission']/@value")
    form = {"amount": "40", "currency": "CHF", "submission": key}
    first = await post_form(client, "/billing/prepaid/deposit", form)
    again = await post_form(client, "/billing/prepaid/deposit", form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert await PaymentRequest.count() == 1
    too_long = await post_form(client, "/billing/prepaid/deposit", {**form, "submission": "k" * 41})
    assert too_long.status_code == 422 and await PaymentRequest.count() == 1


async def test_a_payout_form_sent_twice_reserves_once(client):
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await credit(await organisation_id("Partner AG"), "100.00")
    page = lxml.html.fromstring((await client.get("/billing/prepaid")).text)
    [key] = page.xpath("//form[contains(@action, '/payout')]//input[@name='submission']/@value")
    form = {
        "payout_amount": "60",
        "payout_currency": "CHF",
        "method": "paypal",
        "destination": "paula@partner.ch",
        "password": PASSWORD,
        "submission": key,
    }
    first = await post_form(client, "/billing/prepaid/payout", form)
    again = await post_form(client, "/billing/prepaid/payout", form)
    assert first.status_code == again.status_code == 303  # not "the balance does not cover"
    assert await Payout.count() == 1
    prepaid = await client.get("/billing/prepaid")
    assert text_by_testid(prepaid.text, "balance-CHF") == "CHF\u00a040.00"
