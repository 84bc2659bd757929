"""A partner downloads last quarter's billing report in a real browser (docs/rules.md, Billing
reports) and the file is an Excel workbook holding its clients' lines, with the client-paid invoice
of a restricted client shown only as cashback. (Large reports in the background: the jobs
journey.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from playwright.async_api import expect

from portal.exports.rules import previous_quarter
from tests.factories.accounts import PASSWORD
from tests.factories.exports import build_world, insert_invoice

pytestmark = pytest.mark.browser


async def test_a_partner_downloads_last_quarter(db, page, page_errors, screenshots, tmp_path):
    world = await build_world()
    quarter = previous_quarter(datetime.now(UTC).date())
    middle = quarter.start + timedelta(days=40)
    await insert_invoice(
        payer=world.full_client, client=world.full_client, partner=world.partner,
        issued_on=middle, lines=[("Last quarter hosting", "120.00", "120.00", "24.00", "0")],
    )  # fmt: skip
    await insert_invoice(
        payer=world.restricted_client, client=world.restricted_client, partner=world.partner,
        issued_on=middle, lines=[("Restricted mail", "50.00", "50.00", "10.00", "0")],
    )  # fmt: skip

    await page.goto("/login")
    await page.get_by_label("Email address").fill("legal@muster.ch")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/$"))
    await page.get_by_role("link", name="Reports", exact=True).click()
    await expect(page.get_by_role("heading", name="Billing reports")).to_be_visible()
    await page.get_by_label("Last quarter").check()
    await page.get_by_label("Excel workbook (.xlsx)").check()
    await screenshots.take(page, "report-form")

    async with page.expect_download() as waiting:
        await page.get_by_role("button", name="Download the report").click()
    download = await waiting.value
    assert re.fullmatch(
        rf"billing-muster-web-ag-{quarter.start}-to-{quarter.end}-\d{{8}}-\d{{4}}\.xlsx",
        download.suggested_filename,
    )
    path = tmp_path / download.suggested_filename
    await download.save_as(path)
    await screenshots.take(page, "after-download")

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Summary", "Lines"]
    assert workbook["Lines"].freeze_panes == "A6"
    rows = list(workbook["Lines"].iter_rows(min_row=5, values_only=True))
    lines = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    by_product = {line["Product"]: line for line in lines}
    assert by_product["Last quarter hosting"]["Amount charged"] == 120
    assert by_product["Restricted mail"]["Amount charged"] is None
    assert by_product["Restricted mail"]["Cashback"] == 10
    assert all(quarter.start <= line["Date"].date() <= quarter.end for line in lines)
    summary = [row for row in workbook["Summary"].iter_rows(min_row=6, values_only=True)]
    assert any(row[0] == "Total CHF" for row in summary)
    assert page_errors == []
