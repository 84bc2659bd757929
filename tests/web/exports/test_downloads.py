"""Billing reports through HTTP: who gets what (partner, collaborator, another partner, a
client), restricted vs full links, the paying-organisation rule, and bad input (4xx)."""

import csv
import io
from urllib.parse import unquote

import openpyxl
import pytest

from tests.factories.accounts import logged_in_browser
from tests.factories.exports import build_world
from tests.factories.web import post_form

Q3 = {"period": "range", "period_start": "2026-07-01", "period_end": "2026-09-30"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def download(browser, **fields):
    return await post_form(
        browser, "/exports", {**Q3, "format": "xlsx", "clients": "all", **fields}
    )


def lines_of(response) -> list[dict]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(workbook["Lines"].iter_rows(min_row=5, values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[1:] != (None,) * 16]


@pytest.fixture
async def world(db):
    return await build_world()


async def test_a_legal_representative_downloads_the_workbook(client, world):
    browser = await logged_in_browser(client, "legal@muster.ch")
    page = await browser.get("/exports")
    assert page.status_code == 200
    for name in ("Alpha Bäckerei AG", "Beta Praxis", "Gamma Verein", "Delta Former SA"):
        assert name in page.text
    assert "Epsilon Rival Client" not in page.text
    response = await download(browser)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="billing-muster-web-ag-2026-07-01-to-')
    assert "filename*=UTF-8''billing-muster-web-ag-2026-07-01-to-2026-09-30-" in disposition
    assert unquote(disposition.split("''", 1)[1]).endswith(".xlsx")
    lines = lines_of(response)
    assert len(lines) == 5
    by_client = {line["Client"]: line for line in lines}
    assert by_client["Beta Praxis"]["Amount charged"] is None  # restricted: cashback only
    assert by_client["Beta Praxis"]["Invoice"] is None
    assert by_client["Beta Praxis"]["Cashback"] == 40
    assert by_client["Gamma Verein"]["Paid by"] == "Partner"
    assert "Secret product" in by_client["Beta Praxis"]["Product"]
    await browser.aclose()


@pytest.mark.parametrize("email", ["legal@muster.ch", "admin@muster.ch", "helper@muster.ch"])
async def test_a_full_access_clients_invoices_appear_in_full_in_the_partners_report(
    client, world, email
):
    """The full-access client pays its own invoices: they appear in full (number, prices,
    amounts, VAT), for the managers and for the collaborator given that client, whereas a
    restricted client's appear only as the partner's cashback (docs/rules.md, Who may do what)."""
    browser = await logged_in_browser(client, email)
    lines = lines_of(await download(browser))
    full = [line for line in lines if line["Client"] == "Alpha Bäckerei AG"]
    assert len(full) == 2
    for line in full:
        assert str(line["Invoice"]).startswith("INV-T-")
        assert line["Public price"] and line["Amount charged"] and line["VAT rule"]
    assert sorted(float(line["Amount charged"]) for line in full) == [33.33, 100.05]
    assert sorted(float(line["Cashback"]) for line in full) == [6.67, 20.01]
    await browser.aclose()


async def test_csv_is_utf8_with_bom_and_crlf(client, world):
    browser = await logged_in_browser(client, "admin@muster.ch")
    response = await download(browser, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbfDate,Invoice,Client,")
    assert b"\r\n" in response.content
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 5
    assert {row["Client"] for row in rows} >= {"Alpha Bäckerei AG"}
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    await browser.aclose()


async def test_a_collaborator_gets_only_their_clients(client, world):
    browser = await logged_in_browser(client, "helper@muster.ch")
    page = await browser.get("/exports")
    assert "Alpha Bäckerei AG" in page.text and "Beta Praxis" not in page.text
    lines = lines_of(await download(browser))
    assert {line["Client"] for line in lines} == {"Alpha Bäckerei AG"}
    refused = await download(browser, clients="selected", client_ids=str(world.restricted_client))
    assert refused.status_code == 404
    await browser.aclose()


@pytest.mark.parametrize("client_id", ["other", "999999", "99999999999"])
async def test_a_client_that_is_not_the_partners_answers_404(client, world, client_id):
    browser = await logged_in_browser(client, "legal@muster.ch")
    chosen = str(world.other_client) if client_id == "other" else client_id
    response = await download(browser, clients="selected", client_ids=chosen)
    assert response.status_code == 404
    await browser.aclose()


async def test_the_other_partner_sees_only_its_own_client(client, world):
    browser = await logged_in_browser(client, "legal@rival.de")
    lines = lines_of(await download(browser))
    assert {line["Client"] for line in lines} == {"Epsilon Rival Client"}
    response = await download(browser, clients="selected", client_ids=str(world.full_client))
    assert response.status_code == 404
    await browser.aclose()


@pytest.mark.parametrize("email", ["owner@alpha.ch", "plain@muster.ch", "billing@muster.ch"])
async def test_who_may_not_export(client, world, email):
    browser = await logged_in_browser(client, email)
    page = await browser.get("/exports")
    response = await download(browser)
    if email == "billing@muster.ch":  # billing rights, but no client given to them
        assert page.status_code == 200 and "no clients to report on" in page.text
        assert lines_of(response) == []
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Lines"]
        assert sheet["A6"].value == "No billing lines for this period and selection."
    else:
        assert page.status_code == 403
        assert response.status_code == 403
    await browser.aclose()


async def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = await client.get("/exports")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"period_start": "2026-09-30", "period_end": "2026-07-01"},
            "period_end",
            "before the start",
        ),
        (
            {"period_start": "2010-01-01", "period_end": "2026-07-01"},
            "period_end",
            "at most 10 years",
        ),
        ({"period_start": "2026-13-01"}, "period_start", "YYYY-MM-DD"),
        ({"period_start": ""}, "period_start", "first day"),
        ({"period": "decade"}, "period", "Choose a period"),
        ({"period": "month", "month": "2026-13"}, "month", "Choose a month"),
        ({"period": "quarter", "quarter": "2026-Q5"}, "quarter", "Choose a quarter"),
        ({"period": "year", "year": "²⁰²⁶"}, "year", "whole number"),
        ({"format": "pdf"}, "format", "Choose a format"),
        ({"clients": "selected"}, "client_ids", "at least one client"),
        ({"clients": "selected", "client_ids": "abc"}, "client_ids", "from the list"),
    ],
)
async def test_bad_input_is_a_422_with_the_field_error(client, world, fields, field, message):
    browser = await logged_in_browser(client, "legal@muster.ch")
    response = await download(browser, **fields)
    assert response.status_code == 422, response.text
    assert f'id="e-{field}"' in response.text or message in response.text
    assert message in response.text
    await browser.aclose()


async def test_without_the_csrf_token_nothing_is_exported(client, world):
    browser = await logged_in_browser(client, "legal@muster.ch")
    response = await browser.post("/exports", data={**Q3, "format": "xlsx", "clients": "all"})
    assert response.status_code == 403
    await browser.aclose()


async def test_the_client_search_is_a_fragment_that_keeps_the_chosen(client, world):
    browser = await logged_in_browser(client, "legal@muster.ch")
    response = await browser.get(
        "/exports/clients",
        params={"q": "beta", "client_ids": str(world.full_client)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Beta Praxis" in response.text and "Alpha Bäckerei AG" in response.text
    assert "Gamma Verein" not in response.text
    assert f'value="{world.full_client}" checked' in response.text
    await browser.aclose()


async def test_without_javascript_the_client_search_posts_and_keeps_what_was_typed(client, world):
    browser = await logged_in_browser(client, "legal@muster.ch")
    response = await post_form(
        browser,
        "/exports/search",
        {"q": "beta", "period": "year", "year": "2025", "clients": "selected"},
    )
    assert response.status_code == 200 and "<html" in response.text
    assert "Beta Praxis" in response.text and "Gamma Verein" not in response.text
    assert 'value="2025"' in response.text and 'value="selected" checked' in response.text
    assert 'formaction="/exports/search"' in response.text  # no GET with the form's token
    await browser.aclose()


async def test_a_month_a_quarter_and_a_year(client, world):
    browser = await logged_in_browser(client, "legal@muster.ch")
    month = lines_of(await download(browser, period="month", month="2026-08"))
    quarter = lines_of(await download(browser, period="quarter", quarter="2026-Q3"))
    year = lines_of(await download(browser, period="year", year="2026"))
    assert (len(month), len(quarter), len(year)) == (3, 5, 6)
    await browser.aclose()
