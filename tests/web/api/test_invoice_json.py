"""An invoice's JSON in the API, byte for byte: the list and the detail serialise the same
invoice row the same way, whatever the portal builds in between."""

from __future__ import annotations

from datetime import date

from portal.api.paging import encode
from tests.factories.api import ALPINE, bearer, make_token, organisation_id, scalar

# The two newest invoices of Alpine, with amounts that a float would not keep exact.
INVOICE_SQL = """
INSERT INTO invoice (number, payer, client, currency, issued_on, vat_rule, vat_rate, net, vat,
                     gross, kind, paid_at)
VALUES ({}, {}, {}, 'CHF', {}, 'swiss_vat', 0.0810, 1234.55, 100.00, 1334.55, 'invoice',
        '2099-01-03 04:05:06+00')
RETURNING id
"""


async def test_an_invoice_serialises_exactly_in_the_list_and_the_detail(client, demo_world):
    alpine = await organisation_id(ALPINE)
    await scalar(INVOICE_SQL, "INV-2099-0000000", alpine, alpine, date(2099, 1, 1))
    invoice = await scalar(INVOICE_SQL, "INV-2099-0000001", alpine, alpine, date(2099, 1, 2))
    token = await make_token("alice@demo.partner-portal.test", ALPINE)

    listed = await client.get("/api/v1/invoices?limit=1", headers=bearer(token))
    detail = await client.get(f"/api/v1/invoices/{invoice}", headers=bearer(token))

    summary = (
        f'{{"id":{invoice},"number":"INV-2099-0000001","kind":"invoice",'
        f'"issued_on":"2099-01-02","client":{{"id":{alpine},"name":"Alpine Web Studio GmbH"}},'
        '"currency":"CHF","net":"1234.55","vat":"100.00","gross":"1334.55",'
        '"vat_rule":"swiss_vat"'
    )
    assert listed.status_code == 200
    cursor = encode(date(2099, 1, 2), invoice)
    assert listed.content.decode() == f'{{"data":[{summary}}}],"next_cursor":"{cursor}"}}'
    assert detail.status_code == 200
    assert detail.content.decode().startswith(
        f'{summary},"vat_rate":"0.0810","paid_at":"2099-01-03T04:05:06Z","lines":[]'
    )
