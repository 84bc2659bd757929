"""The billing feed: a closed month's version 1 (CSV and Parquet that match their manifest),
a new version when a line reaches the month later (the first one kept), and both through the
API and in "My reports"."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow.parquet as pq

from portal.exports.feed import rules, services
from tests.factories.api import (
    ALICE,
    ALPINE,
    bearer,
    demo_browser,
    make_token,
    organisation_id,
    scalar,
)


async def busiest_month(partner: int) -> date:
    return await scalar(
        "SELECT date_trunc('month', issued_on)::date FROM invoice WHERE partner = {} "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        partner,
    )


async def test_a_month_gets_versions_that_match_their_manifests(client, settings, demo_world):
    partner = await organisation_id(ALPINE)
    month = await busiest_month(partner)
    first = await services.publish(settings, partner, month)
    assert first["version"] == 1 and first["rows"] > 0 and first["reason"] == rules.MONTH_CLOSED
    token = await make_token(ALICE, ALPINE)
    period = rules.period_label(month)

    listed = (await client.get("/api/v1/feed", headers=bearer(token))).json()
    assert [(v["period"], v["version"]) for v in listed["data"]] == [(period, 1)]
    files = {f["format"]: f for f in listed["data"][0]["files"]}
    csv_answer = await client.get(files["csv"]["url"], headers=bearer(token))
    assert csv_answer.status_code == 200
    assert hashlib.sha256(csv_answer.content).hexdigest() == files["csv"]["sha256"]
    rows = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert len(rows) == first["rows"]
    parquet_answer = await client.get(files["parquet"]["url"], headers=bearer(token))
    assert hashlib.sha256(parquet_answer.content).hexdigest() == files["parquet"]["sha256"]
    table = pq.read_table(io.BytesIO(parquet_answer.content))
    assert table.num_rows == first["rows"]
    assert table.column("cashback").to_pylist()[0] == Decimal(rows[0]["cashback"])
    # the same lines as the API's report lines for the month, line by line
    report = await client.get(
        "/api/v1/reports/lines",
        params={"from": month.isoformat(), "to": rules.month_end(month).isoformat(), "limit": 200},
        headers=bearer(token),
    )
    in_month = [r for r in rows if r["issued_on"] <= rules.month_end(month).isoformat()]
    assert [line["cashback"] for line in report.json()["data"]] == [
        r["cashback"] for r in in_month
    ][:200]  # (after them, credit notes issued later of the month's invoices)

    # an invoice line reaches the month after it was published: version 2, version 1 kept
    late = await scalar(
        "INSERT INTO invoice (number, payer, client, partner, currency, issued_on, vat_rule, "
        "vat_rate, net, vat, gross) SELECT 'INV-LATE-1', payer, client, partner, currency, "
        "issued_on, vat_rule, vat_rate, net, vat, gross FROM invoice WHERE partner = {} "
        "AND issued_on >= {} ORDER BY issued_on LIMIT 1 RETURNING id",
        partner,
        month,
    )
    await scalar(
        "INSERT INTO invoice_line (invoice, description, family, service_from, service_to, "
        "ordered_by, public_price, volume_rate, partner_rate, amount, cashback, discount) "
        "VALUES ({}, 'Late line', 'domain', {}, {}, 'client', 10, 0, 0.2, 10, 2, 0) RETURNING id",
        late,
        month,
        month,
    )
    published = await services.publish_due(settings, datetime.now(UTC))
    assert published >= 1
    listed = (await client.get("/api/v1/feed", headers=bearer(token))).json()
    versions = [(v["period"], v["version"], v["rows"]) for v in listed["data"]]
    assert (period, 2, first["rows"] + 1) in versions and (period, 1, first["rows"]) in versions
    second = (await client.get(f"/api/v1/feed/{period}/2", headers=bearer(token))).json()
    assert second["reason"] == rules.REACHED.format(previous=1)
    assert (first["corrections"], second["corrections"]) == (0, 1)
    second_csv = await client.get(second["files"][0]["url"], headers=bearer(token))
    marked = [
        (r["invoice_id"], r["correction"])
        for r in csv.DictReader(io.StringIO(second_csv.text))
        if r["correction"] == "true" or r["invoice_id"] == str(late)
    ]
    assert marked == [(str(late), "true")]  # the late line, and only it, is a correction
    again = await client.get(files["csv"]["url"], headers=bearer(token))
    assert again.content == csv_answer.content  # version 1 is kept as it was
    assert await services.publish_due(settings, datetime.now(UTC)) == 0  # nothing new


async def test_my_reports_lists_the_feed_for_managers(client, settings, demo_world):
    partner = await organisation_id(ALPINE)
    await services.publish(settings, partner, await busiest_month(partner))
    browser = await demo_browser(client, ALICE)
    try:
        page = await browser.get("/exports/reports")
        assert page.status_code == 200 and "Billing feed" in page.text
        download = await browser.get(
            f"/exports/reports/feed/{await scalar('SELECT id FROM billing_feed_version')}/csv"
        )
        assert download.status_code == 200 and download.text.startswith("issued_on,")
    finally:
        await browser.aclose()


async def test_a_collaborator_token_cannot_read_the_feed(client, settings, demo_world):
    token = await make_token("david@demo.partner-portal.test", ALPINE)
    response = await client.get("/api/v1/feed", headers=bearer(token))
    assert response.status_code == 403


async def test_a_credit_note_corrects_the_month_of_the_invoice_it_credits(
    client, settings, demo_world
):
    from portal.billing.credit_notes import issue_credit_note
    from tests.factories.billing import staff_member

    partner = await organisation_id(ALPINE)
    month = await busiest_month(partner)
    first = await services.publish(settings, partner, month)
    invoice = await scalar(
        "SELECT i.id FROM invoice i WHERE i.partner = {} AND i.kind = 'invoice' "
        "AND i.issued_on BETWEEN {} AND {} "
        "AND NOT EXISTS (SELECT 1 FROM invoice c WHERE c.credits = i.id) "
        "AND NOT EXISTS (SELECT 1 FROM invoice_line l WHERE l.invoice = i.id AND l.cashback = 0) "
        "ORDER BY i.id LIMIT 1",
        partner,
        month,
        rules.month_end(month),
    )
    note = await issue_credit_note(await staff_member(), invoice, [], "Ordered twice.")
    assert await scalar("SELECT issued_on FROM invoice WHERE id = {}", note) > rules.month_end(
        month
    )  # issued today, in a later month

    assert await services.publish_due(settings, datetime.now(UTC)) >= 1
    token = await make_token(ALICE, ALPINE)
    period = rules.period_label(month)
    second = (await client.get(f"/api/v1/feed/{period}/2", headers=bearer(token))).json()
    credited_lines = await scalar("SELECT count(*) FROM invoice_line WHERE invoice = {}", note)
    assert second["rows"] == first["rows"] + credited_lines
    assert second["corrections"] == credited_lines
    lines = csv.DictReader(
        io.StringIO((await client.get(second["files"][0]["url"], headers=bearer(token))).text)
    )
    corrections = [r for r in lines if r["correction"] == "true"]
    assert {r["invoice_id"] for r in corrections} == {str(note)}
    assert all(Decimal(r["cashback"]) < 0 for r in corrections)  # taken back
