"""Money in and out of the prepaid account against the real database: deposits credited only
by the bank statement, once; unmatched payments queued, never lost; payouts reserved at once,
approved by someone else, exported as a pain.001 valid against its schema."""

import asyncio
import csv
import io
from decimal import Decimal as D

import asyncpg
import pyotp
import pytest
from lxml import etree

from portal.accounts.rules import new_totp_secret
from portal.accounts.tables import Account
from portal.audit.tables import AuditEvent
from portal.billing import queries
from portal.billing.payments import queries as payment_queries
from portal.billing.payments import services as payments
from portal.billing.payments.services import PayoutRequest
from portal.billing.tables import BankEntry, BankStatement, LedgerEntry, PaymentRequest, Payout
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.settings import HostAccount, Settings
from tests.factories.billing import (
    PAIN_001_XSD,
    PASSWORD,
    credit,
    member,
    organisation,
    staff_member,
)
from tests.factories.camt import Credit, camt

HOST = HostAccount()
SETTINGS = Settings(secret_key="test", base_url="https://portal.test")
IBAN = "CH93 0076 2011 6238 5295 7"


async def deposit(who: Current, amount: str, currency: str = "CHF") -> dict:
    request_id = await payments.request_deposit(HOST, who, D(amount), currency)
    return await PaymentRequest.select().where(PaymentRequest.id == request_id).first()


async def balance(organisation_id: int, currency: str = "CHF") -> D:
    """The kept balance, checked against the sum of the ledger every time."""
    kept = await queries.ledger_balance(organisation_id, currency)
    rows = await LedgerEntry.select(LedgerEntry.amount).where(
        (LedgerEntry.organisation == organisation_id) & (LedgerEntry.currency == currency)
    )
    assert kept == sum((row["amount"] for row in rows), D("0.00"))
    return kept


# --- deposits and bank statements ----------------------------------------------------------------


async def test_a_deposit_is_a_payment_request_until_the_statement_shows_it_paid(db):
    client = await organisation("Client AG")
    who = await member(client, "c@c.ch")
    request = await deposit(who, "250.00")
    assert request["status"] == "pending" and request["reference"]
    assert await balance(client) == D("0.00")  # nothing credited yet

    result = await payments.import_statement(
        None, "camt.xml", camt([Credit("250.00", request["reference"], "B-1")])
    )

    assert (result.credited, result.queued) == (1, 0)
    assert await balance(client) == D("250.00")
    paid = await PaymentRequest.select().where(PaymentRequest.id == request["id"]).first()
    assert paid["status"] == "paid"


async def test_every_credit_is_credited_once_or_queued_with_its_reason(db):
    client = await organisation("Client AG")
    who = await member(client, "c@c.ch")
    first, second, third = [await deposit(who, amount) for amount in ("100.00", "40.00", "7.50")]
    file = camt(
        [
            Credit("100.00", first["reference"], "B-1"),  # matched
            Credit("100.00", first["reference"], "B-2"),  # paid twice: queued
            Credit("39.00", second["reference"], "B-3"),  # wrong amount: queued
            Credit("12.00", "RF18539007547034", "B-4"),  # not ours: queued
            Credit("7.50", third["reference"], "B-5", currency="EUR"),  # wrong currency
        ],
        debits=2,
    )

    result = await payments.import_statement(None, "day1.xml", file)

    assert (result.credits, result.credited, result.queued, result.known) == (5, 1, 4, 0)
    assert await balance(client) == D("100.00")
    queued = {
        row["bank_reference"]: row["reason"]
        for row in await BankEntry.select().where(BankEntry.status == "queued")
    }
    assert queued == {
        "B-2": "already_paid",
        "B-3": "wrong_amount",
        "B-4": "unknown_reference",
        "B-5": "wrong_currency",
    }
    statuses = {r["id"]: r["status"] for r in await PaymentRequest.select()}
    assert statuses == {first["id"]: "paid", second["id"]: "pending", third["id"]: "pending"}

    again = await payments.import_statement(None, "day1-again.xml", file)  # the same file
    assert (again.credited, again.queued, again.known) == (0, 0, 5)
    assert await balance(client) == D("100.00")
    assert await BankEntry.count() == 5  # nothing lost, nothing twice


async def test_one_payment_for_two_requests_pays_the_one_it_names(db):
    client = await organisation("Client AG")
    who = await member(client, "c@c.ch")
    named, other = await deposit(who, "60.00"), await deposit(who, "60.00")
    await payments.import_statement(
        None, "a.xml", camt([Credit("60.00", named["reference"], "B-9")], kind="053")
    )
    assert await balance(client) == D("60.00")
    statuses = {r["id"]: r["status"] for r in await PaymentRequest.select()}
    assert statuses == {named["id"]: "paid", other["id"]: "pending"}


async def test_two_imports_of_one_payment_at_once_credit_it_once(db):
    client = await organisation("Client AG")
    who = await member(client, "c@c.ch")
    request = await deposit(who, "80.00")
    file = camt([Credit("80.00", request["reference"], "B-7")])
    results = await asyncio.gather(
        payments.import_statement(None, "x.xml", file),
        payments.import_statement(None, "y.xml", file),
    )
    assert sorted(r.credited for r in results) == [0, 1]
    assert await balance(client) == D("80.00")


async def test_staff_assign_or_refund_what_waits_in_the_queue(db):
    client = await organisation("Client AG")
    who, staff = await member(client, "c@c.ch"), await staff_member()
    request = await deposit(who, "50.00")
    await payments.import_statement(
        None,
        "q.xml",
        camt([Credit("55.00", request["reference"], "B-1"), Credit("5.00", "", "B-2")]),
    )
    wrong_amount, unknown = await BankEntry.select().order_by(BankEntry.id)
    with pytest.raises(FormErrors):
        await payments.import_statement(staff, "bad.xml", b"<not-camt/>")
    with pytest.raises(FormErrors):
        await payments.refund_bank_entry(staff, unknown["id"], "")  # a reason is required

    await payments.assign_bank_entry(staff, wrong_amount["id"], client, "Paid 5 too much")
    await payments.refund_bank_entry(staff, unknown["id"], "Sent back to the payer")

    assert await balance(client) == D("55.00")
    assert (await PaymentRequest.select().first())["status"] == "paid"
    with pytest.raises(Conflict):
        await payments.assign_bank_entry(staff, wrong_amount["id"], client, "again")
    assert await BankEntry.count().where(BankEntry.status == "queued") == 0
    with pytest.raises(NotFound):  # only staff reach the queue
        await payments.assign_bank_entry(who, unknown["id"], client, "")


async def test_deposit_limits(db):
    who = await member(await organisation("C AG"), "c@c.ch")
    for amount in ("0.09", "9999.01", "-1", "1.005"):
        with pytest.raises(FormErrors):
            await payments.request_deposit(HOST, who, D(amount), "CHF")
    with pytest.raises(FormErrors):
        await payments.request_deposit(HOST, who, D("10"), "USD")
    assert await PaymentRequest.count() == 0


# --- payouts -------------------------------------------------------------------------------------


def bank_payout(amount: str, currency: str = "CHF") -> PayoutRequest:
    return PayoutRequest(D(amount), currency, "iban", IBAN, "Partner AG")


async def test_a_payout_asks_the_password_and_reserves_the_amount(db):
    partner = await organisation("Partner AG", partner=True)
    who = await member(partner, "p@p.ch")
    await credit(partner, D("100.00"))
    with pytest.raises(FormErrors) as refused:
        await payments.request_payout(who, bank_payout("30.00"), "wrong password", "")
    assert "password" in refused.value.errors
    assert await Payout.count() == 0 and await balance(partner) == D("100.00")

    await payments.request_payout(who, bank_payout("30.00"), PASSWORD, "")

    assert await balance(partner) == D("70.00")  # reserved at once
    with pytest.raises(FormErrors) as too_much:
        await payments.request_payout(who, bank_payout("70.01"), PASSWORD, "")
    assert "does not cover" in too_much.value.errors["amount"]


async def test_a_payout_racing_a_payment_cannot_spend_the_balance_twice(db):
    from portal.billing.services import OrderRequest, order, pay_invoice_from_balance
    from tests.factories.billing import item

    client = await organisation("Client AG")
    who = await member(client, "c@c.ch")
    await credit(client, D("150.00"))
    offer = await item("vps-lite")
    invoice_id = await order(who, OrderRequest(client, offer["id"], None, "yearly", "v"))  # 116.75

    async def pay():
        try:
            await pay_invoice_from_balance(who, invoice_id)
            return "paid"
        except FormErrors:
            return "refused"

    async def pay_out():
        try:
            await payments.request_payout(who, bank_payout("100.00"), PASSWORD, "")
            return "paid out"
        except FormErrors:
            return "refused"

    results = await asyncio.gather(pay(), pay_out())
    assert sorted(results).count("refused") == 1
    assert await balance(client) >= D("0.00")


async def test_staff_other_than_the_requester_approve_and_export_for_the_bank(db):
    partner = await organisation("Partner AG", partner=True)
    who = await member(partner, "p@p.ch")
    staff = await staff_member()
    await credit(partner, D("500.00"))
    await credit(partner, D("90.00"), "EUR")
    first = await payments.request_payout(who, bank_payout("120.00"), PASSWORD, "")
    second = await payments.request_payout(who, bank_payout("80.50"), PASSWORD, "")
    paypal = await payments.request_payout(
        who, PayoutRequest(D("90.00"), "EUR", "paypal", "paula@example.ch"), PASSWORD, ""
    )
    with pytest.raises(NotFound):  # the requester is no staff
        await payments.decide_payout(SETTINGS, who, first, True, "")

    await payments.decide_payout(SETTINGS, staff, first, True, "")
    await payments.decide_payout(SETTINGS, staff, second, True, "")
    await payments.decide_payout(SETTINGS, staff, paypal, True, "")
    with pytest.raises(Conflict):
        await payments.decide_payout(SETTINGS, staff, first, False, "twice")
    audited = await AuditEvent.select(AuditEvent.action, AuditEvent.actor).where(
        AuditEvent.organisation == partner, AuditEvent.action.like("prepaid.payout_%")
    )
    actors = {(row["action"], row["actor"]) for row in audited}
    assert actors == {
        ("prepaid.payout_requested", who.user_id),
        ("prepaid.payout_approved", staff.user_id),
    }  # both people of the payout, in the partner's log
    export_id = await payments.export_payouts(HOST, staff, "iban", "CHF")

    document = (await payments.payout_export(staff, export_id))["content"].encode()
    schema = etree.XMLSchema(etree.parse(str(PAIN_001_XSD)))
    schema.assertValid(etree.fromstring(document))  # pain.001.001.09, as the bank reads it
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    tree = etree.fromstring(document)
    assert tree.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "200.50"
    assert tree.findtext(".//p:DbtrAcct//p:IBAN", namespaces=ns) == HOST.iban
    amounts = tree.xpath(".//p:InstdAmt/text()", namespaces=ns)
    assert sorted(amounts) == ["120.00", "80.50"]
    assert {p["status"] for p in await Payout.select().where(Payout.currency == "CHF")} == {
        "exported"
    }
    with pytest.raises(Conflict):  # nothing left to export
        await payments.export_payouts(HOST, staff, "iban", "CHF")

    paypal_file = await payments.payout_export(
        staff, await payments.export_payouts(HOST, staff, "paypal", "EUR")
    )
    rows = list(csv.reader(io.StringIO(paypal_file["content"])))
    assert rows == [
        ["paula@example.ch", "90.00", "EUR", f"PAYOUT{paypal}", f"Partner Portal payout {paypal}"]
    ]
    assert await balance(partner) == D("299.50") and await balance(partner, "EUR") == D("0.00")


async def test_the_requester_cannot_approve_and_a_rejection_gives_the_amount_back(db):
    host = await organisation("Cloud Host SA")
    staff = await member(host, "staff@host.ch", staff=True)
    await credit(host, D("40.00"))
    payout_id = await payments.request_payout(staff, bank_payout("40.00"), PASSWORD, "")
    with pytest.raises(Conflict, match="someone other than the person who requested"):
        await payments.decide_payout(SETTINGS, staff, payout_id, True, "")

    colleague = await member(host, "other@host.ch", staff=True)
    with pytest.raises(FormErrors):
        await payments.decide_payout(SETTINGS, colleague, payout_id, False, "")  # say why
    await payments.decide_payout(SETTINGS, colleague, payout_id, False, "Wrong account holder")

    assert await balance(host) == D("40.00")
    kinds = [e["kind"] for e in await LedgerEntry.select().order_by(LedgerEntry.id)]
    assert kinds == ["deposit", "payout", "payout_released"]  # past entries unchanged
    assert await queries.paid_out(host, "CHF") == D("0.00")  # nothing left the account


async def test_the_command_line_imports_a_statement(db, tmp_path):
    import os
    import subprocess
    import sys

    client = await organisation("Client AG")
    request = await deposit(await member(client, "c@c.ch"), "42.00")
    statement = tmp_path / "camt054.xml"
    statement.write_bytes(camt([Credit("42.00", request["reference"], "CLI-1")]))
    env = {**os.environ, "DATABASE_URL": db, "PORTAL_SECRET_KEY": "test", "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "-m", "portal.cli", "payments", "import"]

    missing = subprocess.run(
        [*command, str(tmp_path / "nothing.xml")], env=env, capture_output=True
    )
    assert missing.returncode == 2 and b"No such file" in missing.stderr
    done = await asyncio.to_thread(
        subprocess.run, [*command, str(statement)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "credits in the file: 1; credited: 1; waiting for staff: 0" in done.stdout
    assert await balance(client) == D("42.00")


# --- a form sent twice, the database failing mid-write ------------------------------------------


async def test_a_deposit_form_sent_twice_asks_once(db):
    client = await organisation("Client AG")
    who = await member(client, "c@c.ch")
    twice = await asyncio.gather(
        *[payments.request_deposit(HOST, who, D("75.00"), "CHF", "form-key-1") for _ in range(2)]
    )
    assert twice[0] == twice[1] and await PaymentRequest.count() == 1
    another = await payments.request_deposit(HOST, who, D("75.00"), "CHF", "form-key-2")
    assert another != twice[0] and await PaymentRequest.count() == 2
    references = {r["reference"] for r in await PaymentRequest.select()}
    assert len(references) == 2 and "" not in references


async def test_a_payout_form_sent_twice_reserves_once(db):
    partner = await organisation("Partner AG", partner=True)
    who = await member(partner, "p@p.ch")
    await credit(partner, D("100.00"))
    twice = await asyncio.gather(
        *[
            payments.request_payout(who, bank_payout("60.00"), PASSWORD, "", "form-key-1")
            for _ in range(2)
        ]
    )
    assert twice[0] == twice[1] and await Payout.count() == 1
    assert await balance(partner) == D("40.00")  # reserved once


async def test_a_payout_sent_twice_with_one_second_factor_code_reserves_once(db):
    partner = await organisation("Partner AG", partner=True)
    who = await member(partner, "p@p.ch")
    secret = new_totp_secret()
    await Account.update({Account.totp_secret: secret}).where(Account.id == who.user_id)
    await credit(partner, D("100.00"))
    with pytest.raises(FormErrors) as no_code:
        await payments.request_payout(who, bank_payout("30.00"), PASSWORD, "", "key")
    assert "code" in no_code.value.errors
    code = pyotp.TOTP(secret).now()

    first = await payments.request_payout(who, bank_payout("30.00"), PASSWORD, code, "key")
    again = await payments.request_payout(who, bank_payout("30.00"), PASSWORD, code, "key")

    assert again == first and await balance(partner) == D("70.00")
    with pytest.raises(FormErrors) as spent:  # another form: the code was used
        await payments.request_payout(who, bank_payout("30.00"), PASSWORD, code, "other")
    assert "code" in spent.value.errors and await Payout.count() == 1


def database_gone(*args, **kwargs):
    raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle")


async def test_a_statement_import_cut_off_midway_credits_nothing_and_runs_again(db, monkeypatch):
    client = await organisation("Client AG")
    request = await deposit(await member(client, "c@c.ch"), "25.00")
    file = camt([Credit("25.00", request["reference"], "B-1"), Credit("3.00", "", "B-2")])
    # the ledger entries are written when the database goes away
    monkeypatch.setattr(payment_queries, "mark_requests_paid", database_gone)
    with pytest.raises(asyncpg.exceptions.ConnectionDoesNotExistError):
        await payments.import_statement(None, "cut.xml", file)
    assert await balance(client) == D("0.00")
    assert await BankEntry.count() == 0 and await BankStatement.count() == 0
    monkeypatch.undo()

    result = await payments.import_statement(None, "again.xml", file)

    assert (result.credited, result.queued, result.known) == (1, 1, 0)
    assert await balance(client) == D("25.00")


async def test_a_payout_cut_off_midway_reserves_nothing(db, monkeypatch):
    partner = await organisation("Partner AG", partner=True)
    who = await member(partner, "p@p.ch")
    await credit(partner, D("100.00"))
    monkeypatch.setattr(payments, "record", database_gone)  # the last write: the audit row
    with pytest.raises(asyncpg.exceptions.ConnectionDoesNotExistError):
        await payments.request_payout(who, bank_payout("60.00"), PASSWORD, "", "key")
    assert await Payout.count() == 0 and await balance(partner) == D("100.00")
    monkeypatch.undo()

    await payments.request_payout(who, bank_payout("60.00"), PASSWORD, "", "key")
    assert await Payout.count() == 1 and await balance(partner) == D("40.00")


@pytest.mark.parametrize(
    "odd",
    [
        Credit("10000000000.00", "RF18539007547034", "B-1"),  # beyond any account
        Credit("12.00", "RF18539007547034", "B-1", currency="EURO"),
        Credit("12.00", "RF18539007547034", "B-1", currency="€"),
    ],
    ids=["huge amount", "long currency", "symbol currency"],
)
async def test_a_statement_the_portal_cannot_hold_is_refused_whole(db, odd):
    with pytest.raises(FormErrors) as refused:
        await payments.import_statement(None, "odd.xml", camt([Credit("5.00", "", "B-0"), odd]))
    assert "file" in refused.value.errors
    assert await BankEntry.count() == 0 and await BankStatement.count() == 0


async def test_a_statement_file_name_is_kept_printable(db):
    await payments.import_statement(None, "day\x00\u202e1.xml", camt([Credit("5.00", "", "B-0")]))
    assert (await BankStatement.select().first())["file_name"] == "day1.xml"


async def test_past_entries_never_change(db):
    client = await organisation("Client AG")
    await credit(client, D("10.00"))
    for attempt in (
        LedgerEntry.update({LedgerEntry.amount: D("99.00")}, force=True),
        LedgerEntry.delete(force=True),
    ):
        with pytest.raises(asyncpg.exceptions.RaiseError):
            await attempt
    assert await balance(client) == D("10.00") and await LedgerEntry.count() == 1
