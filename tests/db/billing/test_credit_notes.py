"""Credit notes against the real database: the VAT rule of the original, negative amounts that
sum to the note, the cashback taken back with its reason, a prepaid payment refunded, each line
credited once (two staff at once included), and nothing written when the database goes away."""

import asyncio
import json
from decimal import Decimal as D

import asyncpg
import pytest

from portal.billing import credit_notes, queries
from portal.billing.services import OrderRequest, order, pay_invoice_from_balance
from portal.billing.tables import Invoice, InvoiceLine, LedgerEntry
from portal.errors import Conflict, FormErrors
from tests.factories.billing import big_enough, credit, item, link, member, organisation, person


async def client_pays_full_partner():
    """A client of a 20 % partner orders two offers on one invoice each and pays one from its
    balance; returns (partner, client, staff, invoice ids)."""
    partner, client = await organisation("Partner AG", partner=True), await organisation("C AG")
    await link(partner, client, "full", "client")
    await big_enough(partner, client)
    who = await person(client, "c@c.ch")
    staff = await member(await organisation("Cloud Host SA"), "staff@host.ch", staff=True)
    hosting, cloud = await item("web-pro"), await item("cloud-2")
    hostings = await order(
        who, OrderRequest(client, hosting["id"], None, "monthly", "site", quantity=3)
    )
    server = await order(who, OrderRequest(client, cloud["id"], None, "yearly", "server"))
    await credit(client, D("1000.00"))
    await pay_invoice_from_balance(who, server)
    return partner, client, staff, hostings, server


async def balance(organisation_id: int) -> D:
    return await queries.ledger_balance(organisation_id, "CHF")


async def test_a_whole_invoice_is_credited_with_its_cashback_and_payment_given_back(db):
    partner, client, staff, _, server = await client_pays_full_partner()
    original = await Invoice.select().where(Invoice.id == server).first()
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == server)
    partner_before, client_before = await balance(partner), await balance(client)
    assert line["cashback"] > 0

    note_id = await credit_notes.issue_credit_note(staff, server, [], "Cancelled at once")

    note = await Invoice.select().where(Invoice.id == note_id).first()
    assert note["kind"] == "credit_note" and note["number"].startswith("CN")
    assert note["number"] != original["number"] and note["credits"] == server
    assert (note["vat_rule"], note["vat_rate"]) == (original["vat_rule"], original["vat_rate"])
    assert (note["net"], note["vat"], note["gross"]) == (
        -original["net"],
        -original["vat"],
        -original["gross"],
    )
    lines = await InvoiceLine.select().where(InvoiceLine.invoice == note_id)
    assert sum(row["amount"] for row in lines) == note["net"]
    assert await balance(partner) == partner_before - line["cashback"]
    assert await balance(client) == client_before + original["gross"]  # refunded
    clawback = await LedgerEntry.select().where(LedgerEntry.kind == "clawback").first()
    assert "Cancelled at once" in clawback["reference"]
    assert json.loads(clawback["details"])["reason"] == "Cancelled at once"
    with pytest.raises(Conflict):
        await credit_notes.issue_credit_note(staff, server, [], "Again")
    with pytest.raises(Conflict):
        await credit_notes.issue_credit_note(staff, note_id, [], "A note of a note")


async def test_the_dashboard_counts_a_credit_note(db):
    partner, _, staff, hostings, server = await client_pays_full_partner()
    earned = sum(row["cashback"] for row in await queries.benefits_by_month(partner, "CHF"))
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == server)

    await credit_notes.issue_credit_note(staff, server, [line["id"]], "Wrong offer")

    after = sum(row["cashback"] for row in await queries.benefits_by_month(partner, "CHF"))
    assert after == earned - line["cashback"]


async def test_bad_choices_are_field_errors_and_write_nothing(db):
    _, _, staff, hostings, server = await client_pays_full_partner()
    [other_line] = await InvoiceLine.select().where(InvoiceLine.invoice == hostings)
    for line_ids, reason in [([other_line["id"]], "Not this invoice's"), ([], "")]:
        with pytest.raises(FormErrors):
            await credit_notes.issue_credit_note(staff, server, line_ids, reason)
    assert await Invoice.count().where(Invoice.kind == "credit_note") == 0


async def test_two_staff_crediting_one_line_at_once_credit_it_once(db):
    partner, _, staff, hostings, _ = await client_pays_full_partner()
    colleague = await member(await organisation("Cloud Host 2"), "other@host.ch", staff=True)
    before = await balance(partner)

    async def credit_it(who):
        try:
            return await credit_notes.issue_credit_note(who, hostings, [], "Duplicate order")
        except Conflict:
            return None

    results = await asyncio.gather(credit_it(staff), credit_it(colleague))

    assert sum(result is not None for result in results) == 1
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == hostings)
    assert await balance(partner) == before - line["cashback"]  # taken back once


async def test_a_credit_note_cut_off_midway_writes_nothing(db, monkeypatch):
    partner, client, staff, _, server = await client_pays_full_partner()
    partner_before, client_before = await balance(partner), await balance(client)

    def database_gone(*args, **kwargs):
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")

    monkeypatch.setattr(credit_notes, "record", database_gone)  # the last write
    with pytest.raises(asyncpg.exceptions.ConnectionDoesNotExistError):
        await credit_notes.issue_credit_note(staff, server, [], "Cancelled")
    assert await Invoice.count().where(Invoice.kind == "credit_note") == 0
    assert (await balance(partner), await balance(client)) == (partner_before, client_before)
    monkeypatch.undo()

    await credit_notes.issue_credit_note(staff, server, [], "Cancelled")
    assert await Invoice.count().where(Invoice.kind == "credit_note") == 1
