"""Money in and out of the prepaid account (docs/rules.md, Money: Prepaid account).

- A deposit is a payment request with a QR-bill; nothing is credited until a bank statement
  shows the payment (`import_statement`), once per bank entry. What cannot be matched waits in
  the staff's queue with its reason, to be assigned or refunded.
- A payout asks the password (and the second factor when on), reserves the amount on the
  ledger at once, and waits for a person of staff other than the requester; an approved payout
  goes into a pain.001 or PayPal file, a rejected one gives its reservation back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from email_validator import EmailNotValidError, validate_email
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from portal.access import Action, StaffResource, require
from portal.accounts.services import confirm_identity
from portal.audit.services import record
from portal.audit.services import who_of as _who
from portal.billing import queries as ledger
from portal.billing import rules
from portal.billing.payments import camt, files
from portal.billing.payments import queries as payment_queries
from portal.billing.rules import EntryKind, PayoutStatus, Unmatched
from portal.billing.services import billing_scope
from portal.core.current import Current
from portal.core.urls import page_url
from portal.errors import Conflict, FormErrors, NotFound
from portal.mail.services import Mail, queue_mail
from portal.money import money
from portal.piccolo_conf import DB
from portal.settings import HostAccount, Settings
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType


def _staff(current: Current) -> None:
    require(current.actor, Action.MANAGE_PAYMENTS, StaffResource())


# --- deposits ----------------------------------------------------------------------------------


async def request_deposit(
    host: HostAccount, current: Current, amount: Decimal, currency: str, submission: str = ""
) -> int:
    """A pending payment request with its structured reference; returns its id. A form sent
    twice (same SUBMISSION key) asks once: the second answer is the first request."""
    resource = billing_scope(current)
    if currency not in rules.CURRENCIES:
        raise FormErrors({"currency": "Choose CHF or EUR."})
    problem = rules.deposit_problem(amount, currency)
    if problem:
        raise FormErrors({"amount": problem})
    async with DB.transaction():
        request_id = await payment_queries.insert_payment_request(
            resource.organisation_id, currency, amount, current.user_id, submission
        )
        if request_id is None:
            return await payment_queries.payment_request_of_submission(
                resource.organisation_id, submission
            )
        reference = rules.payment_reference(request_id, rules.is_qr_iban(host.qr_iban))
        await payment_queries.set_reference(request_id, reference)
        await record(
            resource.organisation_id,
            _who(current),
            "prepaid.deposit_requested",
            money(amount, currency),
            after={"reference": reference},
        )
    return request_id


async def payment_request(current: Current, request_id: int) -> dict:
    resource = billing_scope(current)
    found = await payment_queries.payment_request_of(resource.organisation_id, request_id)
    if found is None:
        raise NotFound()
    return found


# --- bank statements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    statement_id: int
    credits: int  # credits in the file
    credited: int  # newly credited to a payment request
    queued: int  # newly in the staff's queue
    known: int  # imported before (this file or another): nothing new

    @property
    def summary(self) -> str:
        return (
            f"credits in the file: {self.credits}; credited: {self.credited}; waiting for "
            f"staff: {self.queued}; imported before: {self.known}."
        )


async def import_statement(current: Current | None, file_name: str, data: bytes) -> ImportResult:
    """Import a camt.053 or camt.054 file (staff, or the command line with CURRENT None).
    Idempotent: an entry the bank already reported (by its reference) is skipped."""
    if current is not None:
        _staff(current)
    try:
        statement = camt.read_statement(data)
    except camt.StatementError as error:
        raise FormErrors({"file": str(error)}) from error
    credits = list({c.bank_reference: c for c in reversed(statement.credits)}.values())[::-1]
    file_name = "".join(ch for ch in file_name if ch.isprintable())[:200] or "statement.xml"
    async with DB.transaction():
        statement_id = await payment_queries.insert_statement(
            file_name,
            statement.message_id,
            hashlib.sha256(data).hexdigest(),
            current.user_id if current else None,
        )
        named = [rules.request_id_of(c.reference) for c in credits]
        requests = await payment_queries.lock_payment_requests([i for i in named if i])
        known = await payment_queries.known_bank_references([c.bank_reference for c in credits])
        rows = _decide_credits(credits, named, requests, known)
        inserted = await payment_queries.insert_bank_entries(statement_id, rows)
        credited = [row for row in inserted if row["status"] == "credited"]
        await _credit_deposits(credited, requests, file_name)
        queued = len(inserted) - len(credited)
        await payment_queries.set_statement_counts(
            statement_id, len(statement.credits), len(credited), queued
        )
    return ImportResult(
        statement_id, len(statement.credits), len(credited), queued, len(credits) - len(inserted)
    )


def _decide_credits(credits, named, requests: dict[int, dict], known: set[str]) -> list[dict]:
    """Each new credit, in the file's order: credited to the request it pays, or queued with
    the reason (a request is paid once: a second payment is queued)."""
    paid = {i for i, r in requests.items() if r["status"] == "paid"}
    rows = []
    for credit, request_id in zip(credits, named, strict=True):
        if credit.bank_reference in known:
            continue
        request = requests.get(request_id) if request_id else None
        state = (
            rules.PaymentRequestState(request["amount"], request["currency"], request_id in paid)
            if request
            else None
        )
        reason = rules.unmatched_reason(credit, state)
        if reason is None:
            paid.add(request_id)
        rows.append(
            {
                "bank_reference": credit.bank_reference,
                "amount": credit.amount,
                "currency": credit.currency,
                "reference": credit.reference,
                "booked_on": credit.booked_on,
                "debtor": credit.debtor,
                "status": "credited" if reason is None else "queued",
                "reason": reason.value if reason else "",
                "payment_request": request["id"] if request else None,
            }
        )
    return rows


async def _credit_deposits(credited: list[dict], requests: dict[int, dict], file_name: str):
    entries = []
    for row in credited:
        request = requests[row["payment_request"]]
        entries.append(
            {
                "organisation": request["organisation"],
                "currency": request["currency"],
                "kind": EntryKind.DEPOSIT,
                "amount": request["amount"],
                "reference": f"Deposit {request['reference']} paid by bank transfer",
                "details": {"bank_reference": row["bank_reference"], "statement": file_name},
            }
        )
    await ledger.insert_ledger_entries(entries)
    await payment_queries.mark_requests_paid([row["payment_request"] for row in credited])
    await ledger.record_many(
        [
            (
                requests[row["payment_request"]]["organisation"],
                "prepaid.deposit_credited",
                money(row["amount"], row["currency"]),
            )
            for row in credited
        ]
    )


async def assign_bank_entry(current: Current, entry_id: int, organisation_id: int, note: str):
    """Staff credit a queued payment to an organisation's account (in the currency paid);
    a pending request of that organisation it named counts as paid."""
    _staff(current)
    async with DB.transaction():
        entry = await _queued_entry(entry_id)
        organisation = await ledger.organisation_name(organisation_id)
        if organisation is None:
            raise FormErrors({"organisation": "No organisation has this number."})
        requests = await payment_queries.lock_payment_requests(
            [entry["payment_request"]] if entry["payment_request"] else []
        )
        request = requests.get(entry["payment_request"])
        if request and request["organisation"] == organisation_id and request["status"] != "paid":
            await payment_queries.mark_requests_paid([request["id"]])
        await ledger.insert_ledger_entry(
            {
                "organisation": organisation_id,
                "currency": entry["currency"],
                "kind": EntryKind.DEPOSIT,
                "amount": entry["amount"],
                "created_by": current.user_id,
                "reference": f"Bank payment assigned by the host's staff: {note}".strip(": "),
                "details": {"bank_reference": entry["bank_reference"]},
            }
        )
        await payment_queries.decide_bank_entry(
            entry_id, "assigned", organisation_id, current.user_id, note
        )
        await record(
            organisation_id,
            _who(current),
            "prepaid.deposit_credited",
            money(entry["amount"], entry["currency"]),
            after={"bank_reference": entry["bank_reference"], "note": note},
        )


async def refund_bank_entry(current: Current, entry_id: int, note: str) -> None:
    """Staff send a queued payment back to the payer (outside the portal) and say why."""
    _staff(current)
    if not note:
        raise FormErrors({"note": "Say why the payment is refunded."})
    async with DB.transaction():
        await _queued_entry(entry_id)
        await payment_queries.decide_bank_entry(entry_id, "refunded", None, current.user_id, note)


async def _queued_entry(entry_id: int) -> dict:
    entry = await payment_queries.lock_bank_entry(entry_id)
    if entry is None:
        raise NotFound()
    if entry["status"] != "queued":
        raise Conflict("This payment was dealt with already.")
    return entry


def unmatched_reason_text(reason: str) -> str:
    return rules.UNMATCHED_REASONS.get(Unmatched(reason), "") if reason else ""


# --- payouts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutRequest:
    amount: Decimal
    currency: str
    method: str  # iban | paypal
    destination: str
    holder: str = ""


def payout_destination_problem(method: str, destination: str) -> str | None:
    if method == "iban":
        try:
            IBAN(destination)
        except SchwiftyException:
            return "Enter a valid IBAN (its check digits are wrong or it is incomplete)."
        return None
    if method == "paypal":
        try:
            validate_email(destination, check_deliverability=False)
        except EmailNotValidError:
            return "Enter the email address of your PayPal account."
        return None
    return "Choose a bank account (IBAN) or PayPal."


async def request_payout(
    current: Current, request: PayoutRequest, password: str, code: str, submission: str = ""
) -> int:
    """Ask for a payout: the password (and second factor) again, then the amount reserved at
    once, so the balance cannot be spent twice; returns the payout's id. A form sent twice
    (same SUBMISSION key) asks once: the second answer is the first payout."""
    resource = billing_scope(current)
    problems = {}
    if request.currency not in rules.CURRENCIES:
        problems["currency"] = "Choose CHF or EUR."
    destination = payout_destination_problem(request.method, request.destination)
    if destination:
        problems["destination"] = destination
    if request.method == "iban" and not request.holder:
        problems["holder"] = "Enter the name of the account holder."
    if problems:
        raise FormErrors(problems)
    try:
        await confirm_identity(current.user_id, password, code)
    except FormErrors:
        # the same form sent twice: its second factor code was spent by the first sending
        earlier = await _payout_of_submission(resource.organisation_id, submission)
        if earlier is None:
            raise
        return earlier
    async with DB.transaction():
        await ledger.lock_account(resource.organisation_id)
        earlier = await payment_queries.payout_of_submission(resource.organisation_id, submission)
        if earlier is not None:
            return earlier
        balance = await ledger.ledger_balance(resource.organisation_id, request.currency)
        problem = rules.withdrawal_problem(balance, request.amount, request.currency)
        if problem:
            raise FormErrors({"amount": problem})
        payout_id = await payment_queries.insert_payout(
            {
                "organisation": resource.organisation_id,
                "currency": request.currency,
                "amount": request.amount,
                "method": request.method,
                "destination": _compact(request),
                "holder": request.holder,
                "requested_by": current.user_id,
                "submission": submission,
            }
        )
        label = "IBAN" if request.method == "iban" else "PayPal"
        await ledger.insert_ledger_entry(
            {
                "organisation": resource.organisation_id,
                "currency": request.currency,
                "kind": EntryKind.PAYOUT,
                "amount": -request.amount,
                "created_by": current.user_id,
                "reference": f"Payout {payout_id} to {label} {_compact(request)}",
                "details": {"payout": payout_id},
            }
        )
        await record(
            resource.organisation_id,
            _who(current),
            "prepaid.payout_requested",
            money(request.amount, request.currency),
            after={"method": request.method, "destination": _compact(request)},
        )
    return payout_id


async def _payout_of_submission(organisation_id: int, submission: str) -> int | None:
    """The payout this form asked for, once the account is free (a sending still writing it
    holds the account's lock until it is committed)."""
    if not submission:
        return None
    async with DB.transaction():
        await ledger.lock_account(organisation_id)
        return await payment_queries.payout_of_submission(organisation_id, submission)


def _compact(request: PayoutRequest) -> str:
    if request.method == "iban":
        return IBAN(request.destination).formatted
    return request.destination.strip()


async def decide_payout(
    settings: Settings, current: Current, payout_id: int, approve: bool, note: str
) -> None:
    """The one place a payout is approved or rejected, by staff other than its requester. A
    rejection gives the reservation back with a new entry; past entries never change."""
    _staff(current)
    async with DB.transaction():
        payout = await payment_queries.lock_payout(payout_id)
        if payout is None:
            raise NotFound()
        problem = rules.payout_decision_problem(
            payout["status"], payout["requested_by"], current.user_id
        )
        if problem:
            raise Conflict(problem)
        if not approve and not note:
            raise FormErrors({"note": "Say why the payout is rejected."})
        status = PayoutStatus.APPROVED if approve else PayoutStatus.REJECTED
        await payment_queries.decide_payout(payout_id, status, current.user_id, note)
        amount = money(payout["amount"], payout["currency"])
        if not approve:
            await ledger.insert_ledger_entry(
                {
                    "organisation": payout["organisation"],
                    "currency": payout["currency"],
                    "kind": EntryKind.PAYOUT_RELEASED,
                    "amount": payout["amount"],
                    "created_by": current.user_id,
                    "reference": f"Payout {payout_id} rejected: {note}",
                    "details": {"payout": payout_id},
                }
            )
        await record(
            payout["organisation"],
            _who(current),
            f"prepaid.payout_{status}",
            amount,
            after={"payout": payout_id, "note": note},
        )
        if approve:
            await emit(
                EventType.PAYOUT_APPROVED,
                payout["organisation"],
                {
                    "payout_id": payout_id,
                    "currency": payout["currency"],
                    "amount": payout["amount"],
                    "method": payout["method"],
                    "destination": payout["destination"],
                },
            )
        if payout["requested_by_email"]:
            await queue_mail(_payout_mail(settings, payout, approve, note, amount))


PAYOUT_APPROVED = (
    "Hello {name},\n\nYour payout {id} of {amount} to {destination} was approved. It goes "
    "out with the host's next payment run.\n\n{link}\n"
)
PAYOUT_REJECTED = (
    "Hello {name},\n\nYour payout {id} of {amount} to {destination} was not approved: "
    "{note}\nThe amount is back on your prepaid account.\n\n{link}\n"
)


def _payout_mail(settings: Settings, payout: dict, approve: bool, note: str, amount: str):
    body = (PAYOUT_APPROVED if approve else PAYOUT_REJECTED).format(
        name=payout["requested_by_name"],
        id=payout["id"],
        amount=amount,
        destination=payout["destination"],
        note=note,
        link=page_url(settings, "billing.prepaid"),
    )
    subject = "Your payout was approved" if approve else "Your payout was not approved"
    return Mail(payout["requested_by_email"], subject, body)


async def export_payouts(host: HostAccount, current: Current, method: str, currency: str) -> int:
    """Every approved payout of METHOD and CURRENCY into one file for the bank (pain.001) or
    PayPal; returns the export's id."""
    _staff(current)
    if method not in rules.PAYOUT_METHODS or currency not in rules.CURRENCIES:
        raise FormErrors({"export": "Choose a bank or PayPal export in CHF or EUR."})
    async with DB.transaction():
        payouts = await payment_queries.lock_approved(method, currency)
        if not payouts:
            raise Conflict("No approved payout waits for this export.")
        lines = [
            files.PayoutLine(
                p["id"],
                p["amount"],
                p["currency"],
                p["destination"],
                p["holder"],
                p["organisation_name"],
            )
            for p in payouts
        ]
        today = datetime.now(UTC).date()
        if method == "iban":
            content = files.pain001(lines, host, currency, today).decode()
            file_name = f"payouts-{currency}-{today:%Y%m%d}.xml"
        else:
            content = files.paypal_mass_payment(lines).decode()
            file_name = f"paypal-payouts-{currency}-{today:%Y%m%d}.csv"
        total = sum((p["amount"] for p in payouts), rules.ZERO)
        export_id = await payment_queries.insert_export(
            {
                "method": method,
                "currency": currency,
                "file_name": file_name,
                "content": content,
                "payouts": len(payouts),
                "total": total,
                "created_by": current.user_id,
            }
        )
        await payment_queries.mark_exported([p["id"] for p in payouts], export_id)
        for payout in payouts:
            await record(
                payout["organisation"],
                _who(current),
                "prepaid.payout_exported",
                money(payout["amount"], payout["currency"]),
                after={"payout": payout["id"], "file": file_name},
            )
    return export_id


async def payout_export(current: Current, export_id: int) -> dict:
    _staff(current)
    found = await payment_queries.export_of(export_id)
    if found is None:
        raise NotFound()
    return found
