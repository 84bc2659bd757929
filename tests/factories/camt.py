"""Bank statements as banks write them (ISO 20022 camt.053 and camt.054), for the tests of
the import: credits with a structured reference, batches, debits and reversals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree


@dataclass(frozen=True)
class Credit:
    amount: Decimal | str
    reference: str
    bank_reference: str
    currency: str = "CHF"
    debtor: str = "Anna Muster"
    booked_on: date = date(2026, 12, 1)


def camt(
    credits: list[Credit],
    *,
    kind: str = "054",
    version: str = "08",
    debits: int = 0,
    message_id: str = "MSG-1",
) -> bytes:
    """A camt.054 notification (or a camt.053 statement) of the host's account holding one
    entry per credit, and DEBITS outgoing entries the import must ignore."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.{version}"

    def el(tag, *children, text=None, **attrs):
        node = etree.Element(f"{{{ns}}}{tag}", attrs, nsmap={None: ns})
        if text is not None:
            node.text = text
        node.extend(children)
        return node

    root_tag, report_tag = (
        ("BkToCstmrDbtCdtNtfctn", "Ntfctn") if kind == "054" else ("BkToCstmrStmt", "Stmt")
    )
    entries = [_entry(el, credit) for credit in credits]
    entries += [
        el(
            "Ntry",
            el("Amt", text="10.00", Ccy="CHF"),
            el("CdtDbtInd", text="DBIT"),
            el("Sts", el("Cd", text="BOOK")),
            el("BookgDt", el("Dt", text="2026-12-01")),
            el("AcctSvcrRef", text=f"DEBIT-{n}"),
        )
        for n in range(debits)
    ]
    document = el(
        "Document",
        el(
            root_tag,
            el("GrpHdr", el("MsgId", text=message_id), el("CreDtTm", text="2026-12-01T18:00:00")),
            el(
                report_tag,
                el("Id", text=f"{message_id}-1"),
                el("CreDtTm", text="2026-12-01T18:00:00"),
                el("Acct", el("Id", el("IBAN", text="CH4431999123000889012"))),
                *entries,
            ),
        ),
    )
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def _entry(el, credit: Credit):
    amount = f"{Decimal(credit.amount):.2f}"
    return el(
        "Ntry",
        el("Amt", text=amount, Ccy=credit.currency),
        el("CdtDbtInd", text="CRDT"),
        el("Sts", el("Cd", text="BOOK")),
        el("BookgDt", el("Dt", text=credit.booked_on.isoformat())),
        el("ValDt", el("Dt", text=credit.booked_on.isoformat())),
        el("AcctSvcrRef", text=f"ENTRY-{credit.bank_reference}"),
        el(
            "BkTxCd",
            el(
                "Domn",
                el("Cd", text="PMNT"),
                el("Fmly", el("Cd", text="RCDT"), el("SubFmlyCd", text="VCOM")),
            ),
        ),
        el(
            "NtryDtls",
            el(
                "TxDtls",
                el(
                    "Refs",
                    el("AcctSvcrRef", text=credit.bank_reference),
                    el("EndToEndId", text="NOTPROVIDED"),
                ),
                el("Amt", text=amount, Ccy=credit.currency),
                el("CdtDbtInd", text="CRDT"),
                el("RltdPties", el("Dbtr", el("Pty", el("Nm", text=credit.debtor)))),
                el(
                    "RmtInf",
                    el(
                        "Strd",
                        el(
                            "CdtrRefInf",
                            el("Tp", el("CdOrPrtry", el("Prtry", text="QRR"))),
                            el("Ref", text=credit.reference),
                        ),
                    ),
                ),
            ),
        ),
    )
