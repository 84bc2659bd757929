"""The invoice rows other packages read, as typed records built where they are queried.

Records are named tuples: immutable, slotted, and built for every row of a page at a fraction
of a frozen dataclass's cost (bench/README.md, Typed records)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from portal.billing.rules import VatRule

VAT_RULES = {rule.value: rule for rule in VatRule}  # a lookup, cheaper than VatRule(value)


class Invoice(NamedTuple):
    """An invoice (or a credit note, kind "credit_note", with negative amounts) as the lists
    show it: its amounts, whom it is for, whether it is paid."""

    id: int
    number: str
    kind: str  # invoice | credit_note
    issued_on: date
    client_id: int
    client_name: str
    currency: str
    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rule: VatRule
    paid_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Invoice:
        return cls(
            id=row["id"],
            number=row["number"],
            kind=row["kind"],
            issued_on=row["issued_on"],
            client_id=row["client"],
            client_name=row["client_name"],
            currency=row["currency"],
            net=row["net"],
            vat=row["vat"],
            gross=row["gross"],
            vat_rule=VAT_RULES[row["vat_rule"]],
            paid_at=row["paid_at"],
        )
