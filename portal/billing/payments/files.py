"""The files that send approved payouts: an ISO 20022 pain.001 credit transfer for the bank
(sepaxml, validated against its schema as it is written) and PayPal's mass-payment file.
Pure: payouts in, bytes out."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sepaxml import SepaTransfer

from portal.settings import HostAccount

PAIN_SCHEMA = "pain.001.001.09"


@dataclass(frozen=True)
class PayoutLine:
    payout_id: int
    amount: Decimal
    currency: str
    destination: str  # an IBAN, or a PayPal address
    holder: str
    organisation: str


def payout_description(line: PayoutLine) -> str:
    return f"Partner Portal payout {line.payout_id}"


def pain001(lines: Sequence[PayoutLine], host: HostAccount, currency: str, day: date) -> bytes:
    """One credit transfer per payout, in one batch, debited from the host's account."""
    transfer = SepaTransfer(
        {
            "name": host.name,
            "IBAN": host.iban,
            "BIC": host.bic,
            "batch": True,
            "currency": currency,
            "domestic": currency != "EUR",  # SEPA service level for euros only
        },
        schema=PAIN_SCHEMA,
    )
    for line in lines:
        transfer.add_payment(
            {
                "name": line.holder or line.organisation,
                "IBAN": line.destination.replace(" ", ""),
                "amount": int(line.amount * 100),
                "execution_date": day,
                "description": payout_description(line),
                "endtoend_id": f"PAYOUT{line.payout_id}",
            }
        )
    return transfer.export(validate=True)


def paypal_mass_payment(lines: Sequence[PayoutLine]) -> bytes:
    """PayPal's mass-payment file: recipient, amount, currency, unique id, note; no header."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in lines:
        writer.writerow(
            [
                line.destination,
                f"{line.amount:.2f}",
                line.currency,
                f"PAYOUT{line.payout_id}",
                payout_description(line),
            ]
        )
    return out.getvalue().encode()
