"""Money that really moves, in a real browser (docs/rules.md, Money: Prepaid account).

A client deposits by QR-bill: the page shows the bill and says the deposit awaits payment; a
person of staff imports the bank's statement and the client's balance grows by exactly the
amount. A partner asks for a payout with its password; the amount is reserved at once; staff
approve it and download the pain.001 file for the bank, valid against its schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from playwright.async_api import expect

from portal.accounts.tables import Account
from portal.billing.tables import LedgerEntry, PaymentRequest
from tests.factories.accounts import PASSWORD
from tests.factories.billing import PAIN_001_XSD as XSD
from tests.factories.browser import organisation_id, sign_up, swiss_money
from tests.factories.camt import Credit, camt

pytestmark = pytest.mark.browser


async def make_staff(page, email: str) -> None:
    await sign_up(page, email, name="Sofia Staff", organisation="Cloud Host SA")
    await Account.update({Account.is_staff: True}).where(Account.email == email)


async def test_a_deposit_paid_by_qr_bill_is_credited_by_the_statement(
    db, open_page, page_errors, screenshots, tmp_path
):
    client = await open_page("client")
    staff = await open_page("staff")
    await sign_up(client, "carl@client-gmbh.ch", name="Carl Client", organisation="Client GmbH")
    await make_staff(staff, "sofia@host.ch")

    # The client asks to deposit CHF 150: a QR-bill, awaiting payment.
    await client.goto("/billing/prepaid")
    await expect(client.get_by_test_id("balance-CHF")).to_have_text(swiss_money(Decimal(0)))
    await client.get_by_label("Amount").first.fill("150")
    await client.get_by_role("button", name="Get the QR-bill").click()
    await client.wait_for_url("**/billing/prepaid/deposits/*")
    await expect(client.get_by_test_id("deposit-status")).to_contain_text("Awaiting payment.")
    bill = client.get_by_role("img", name="Swiss QR-bill for CHF 150.00")
    await expect(bill).to_be_visible()
    assert await bill.evaluate("image => image.naturalWidth") > 0  # the SVG drew
    reference = (await client.get_by_test_id("reference").text_content()).strip()
    async with client.expect_download() as pdf:
        await client.get_by_role("link", name="Download the QR-bill (PDF)").click()
    assert (await (await pdf.value).path()).read_bytes().startswith(b"%PDF")
    await screenshots.take(client, "client-qr-bill")
    await client.get_by_role("link", name="Back to the prepaid account").click()
    await expect(client.get_by_test_id("balance-CHF")).to_have_text(swiss_money(Decimal(0)))
    await expect(client.locator("main")).to_contain_text("awaiting payment")

    # Staff import the bank's notification: the deposit and a payment nobody asked for.
    statement = tmp_path / "camt054.xml"
    statement.write_bytes(
        camt(
            [
                Credit("150.00", reference, "BANK-1", debtor="Client GmbH"),
                Credit("12.00", "", "BANK-2", debtor="Someone Else"),
            ]
        )
    )
    await staff.goto("/staff")
    await staff.get_by_role("link", name="Payments and payouts").click()
    await staff.get_by_label("Statement file").set_input_files(str(statement))
    await staff.get_by_role("button", name="Import").click()
    await expect(staff.locator("#flashes")).to_contain_text("credited: 1; waiting for staff: 1")
    queued = staff.get_by_test_id("queued-payment")
    await expect(queued).to_contain_text("The reference names no payment request.")
    await screenshots.take(staff, "staff-statement-imported")

    # The client's balance grew by exactly the deposit.
    await client.reload()
    await expect(client.get_by_test_id("balance-CHF")).to_have_text(swiss_money(Decimal(150)))
    await expect(client.locator("#entries tbody tr")).to_contain_text("paid by bank transfer")
    await screenshots.take(client, "client-deposit-credited")
    assert (await PaymentRequest.select().first())["status"] == "paid"
    assert page_errors == []


async def test_a_partner_payout_is_approved_by_staff_and_exported(
    db, open_page, page_errors, screenshots
):
    partner = await open_page("partner")
    staff = await open_page("staff")
    await sign_up(partner, "paula@partner-ag.ch", name="Paula Partner", organisation="Partner AG")
    await make_staff(staff, "sofia@host.ch")
    await LedgerEntry.insert(
        LedgerEntry(
            organisation=await organisation_id("Partner AG"),
            currency="CHF",
            kind="cashback",
            amount=Decimal("320.00"),
            reference="Cashback",
        )
    )

    # The partner asks for a payout of CHF 300 to its bank account, with its password.
    await partner.goto("/billing/prepaid")
    await partner.get_by_label("Amount").nth(1).fill("300")
    await partner.get_by_label("IBAN or PayPal address").fill("CH93 0076 2011 6238 5295 7")
    await partner.get_by_label("Account holder (for a bank account)").fill("Partner AG")
    await partner.get_by_label("Your password").fill("not my password")
    await partner.get_by_role("button", name="Request the payout").click()
    await expect(partner.locator(".error")).to_contain_text("This is not your password.")
    await partner.get_by_label("Your password").fill(PASSWORD)
    await partner.get_by_role("button", name="Request the payout").click()
    await expect(partner.locator("#flashes")).to_contain_text("waits for the host's approval")
    await expect(partner.get_by_test_id("balance-CHF")).to_have_text(swiss_money(Decimal(20)))
    await expect(partner.get_by_test_id("payout-status")).to_have_text("Requested")
    await screenshots.take(partner, "partner-payout-requested")

    # Staff approve it, then export the bank file.
    await staff.goto("/staff/payments")
    waiting = staff.get_by_test_id("payout-to-approve")
    await expect(waiting).to_contain_text("CHF 300.00 for Partner AG")
    await waiting.get_by_role("button", name="Approve").click()
    await expect(staff.locator("#flashes")).to_contain_text("The payout is approved.")
    await staff.get_by_role("button", name="Export Bank account (IBAN) payouts in CHF").click()
    await expect(staff.locator("#flashes")).to_contain_text("The file is ready")
    async with staff.expect_download() as download:
        await staff.get_by_test_id("payout-file").click()
    document = (await (await download.value).path()).read_bytes()
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(etree.fromstring(document))
    assert b'<InstdAmt Ccy="CHF">300.00</InstdAmt>' in document
    await screenshots.take(staff, "staff-payout-exported")

    await partner.reload()
    await expect(partner.get_by_test_id("payout-status")).to_have_text("Exported")
    await expect(partner.get_by_test_id("balance-CHF")).to_have_text(swiss_money(Decimal(20)))
    assert page_errors == []
