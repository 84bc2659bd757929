"""Reading the credits of an ISO 20022 bank statement: camt.053 (statement) or camt.054
(debit/credit notification), any version, with lxml against the file's own namespace. Pure:
bytes in, credits out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from portal.billing.rules import BankCredit

CAMT_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.05[34]\.001\.\d\d$")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_AMOUNT = Decimal("9999999999.99")  # what a bank entry's amount column holds
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")  # ISO 4217, as the camt schemas say


class StatementError(ValueError):
    """The file is not a statement the portal can read; nothing of it is imported."""


NOT_A_STATEMENT = "This file is not an ISO 20022 camt.053 or camt.054 bank statement."


@dataclass(frozen=True)
class Statement:
    message_id: str
    credits: list[BankCredit]


def read_statement(data: bytes) -> Statement:
    if len(data) > MAX_FILE_BYTES:
        raise StatementError("The file is larger than 50 MB.")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise StatementError(NOT_A_STATEMENT) from error
    namespace = etree.QName(root).namespace or ""
    if not CAMT_NAMESPACE.match(namespace):
        raise StatementError(NOT_A_STATEMENT)
    ns = {"c": namespace}
    message = root.find("./*/c:GrpHdr/c:MsgId", ns)
    message_id = (message.text or "").strip() if message is not None else ""
    reports = root.findall("./*/c:Stmt", ns) + root.findall("./*/c:Ntfctn", ns)
    credits = []
    for report_index, report in enumerate(reports):
        report_id = _text(report, "c:Id", ns) or str(report_index)
        for entry_index, entry in enumerate(report.iterfind("c:Ntry", ns)):
            credits.extend(_credits(entry, ns, f"{message_id}/{report_id}/{entry_index}"))
    return Statement(message_id, credits)


def _credits(entry, ns: dict, position: str) -> Iterator[BankCredit]:
    """The booked credits of one entry: one per transaction (a batch books several)."""
    if _text(entry, "c:CdtDbtInd", ns) != "CRDT" or _text(entry, "c:RvslInd", ns) == "true":
        return
    status = _text(entry, "c:Sts/c:Cd", ns) or _text(entry, "c:Sts", ns)
    if status != "BOOK":
        return
    booked = _day(_text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns))
    entry_reference = _text(entry, "c:AcctSvcrRef", ns) or _text(entry, "c:NtryRef", ns)
    transactions = entry.findall("c:NtryDtls/c:TxDtls", ns)
    if not transactions:
        transactions = [entry]
    for index, transaction in enumerate(transactions):
        amount_node = (
            transaction.find("c:Amt", ns) if transaction is not entry else entry.find("c:Amt", ns)
        )
        if amount_node is None:
            amount_node = transaction.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
        if amount_node is None and len(transactions) == 1:
            amount_node = entry.find("c:Amt", ns)
        if amount_node is None:
            raise StatementError(f"{NOT_A_STATEMENT} An entry has no amount.")
        bank_reference = _text(transaction, "c:Refs/c:AcctSvcrRef", ns) or (
            f"{entry_reference}#{index}" if entry_reference else f"{position}#{index}"
        )
        yield BankCredit(
            bank_reference=bank_reference[:120],
            amount=_amount(amount_node.text),
            currency=_currency(amount_node.get("Ccy")),
            reference=_text(transaction, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)[:60],
            booked_on=booked,
            debtor=(
                _text(transaction, "c:RltdPties/c:Dbtr/c:Nm", ns)
                or _text(transaction, "c:RltdPties/c:Dbtr/c:Pty/c:Nm", ns)
            )[:140],
        )


def _text(node, path: str, ns: dict) -> str:
    found = node.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _amount(text: str | None) -> Decimal:
    try:
        amount = Decimal((text or "").strip())
    except InvalidOperation as error:
        raise StatementError(f"{NOT_A_STATEMENT} An amount is not a number.") from error
    if not amount.is_finite() or not 0 < amount <= MAX_AMOUNT:
        raise StatementError(f"{NOT_A_STATEMENT} An amount is not a positive amount in cents.")
    if amount != amount.quantize(Decimal("0.01")):
        raise StatementError(f"{NOT_A_STATEMENT} An amount is not a positive amount in cents.")
    return amount


def _currency(code: str | None) -> str:
    if not CURRENCY_CODE.match(code or ""):
        raise StatementError(f"{NOT_A_STATEMENT} An amount has no ISO 4217 currency code.")
    return code


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
