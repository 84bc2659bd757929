"""The tender rows other packages (the API) and the templates read, as typed records built
where they are queried.

Records are named tuples: immutable, slotted, and built for every row of a page at a fraction
of a frozen dataclass's cost (bench/README.md, Typed records)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from portal.tenders.rules import QuoteStatus, TenderStatus, effective_status, is_new

# Lookups, cheaper than calling the enum on every row of a page.
TENDER_STATUSES = {status.value: status for status in TenderStatus}
QUOTE_STATUSES = {status.value: status for status in QuoteStatus}


class RoutedTender(NamedTuple):
    """A tender in a partner's inbox: the tender without its author, its status as it stands
    now, whether the partner opened it, and the partner's own quote, if any."""

    id: int
    title: str
    description: str
    category: str
    budget_min: Decimal | None
    budget_max: Decimal | None
    currency: str
    language: str
    country: str
    region: str
    deadline: datetime
    status_now: TenderStatus  # an open tender past its deadline reads as expired
    read_at: datetime | None
    quote_status: QuoteStatus | None
    quote_price: Decimal | None
    quote_currency: str | None

    @classmethod
    def from_row(cls, row: Any, now: datetime) -> RoutedTender:
        quote_status = row["quote_status"]
        return cls(
            id=row["id"],
            title=row["title"],
            description=row["description"],
            category=row["category"],
            budget_min=row["budget_min"],
            budget_max=row["budget_max"],
            currency=row["currency"],
            language=row["language"],
            country=row["country"],
            region=row["region"] or "",
            deadline=row["deadline"],
            status_now=effective_status(TENDER_STATUSES[row["status"]], row["deadline"], now),
            read_at=row["read_at"],
            quote_status=QUOTE_STATUSES[quote_status] if quote_status else None,
            quote_price=row["quote_price"],
            quote_currency=row["quote_currency"],
        )

    @property
    def new(self) -> bool:
        """Unread and unanswered: the inbox marks it New."""
        return is_new(self.read_at, self.quote_status)
