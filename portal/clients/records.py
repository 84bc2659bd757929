"""The link rows other packages read, as typed records built where they are queried.

Records are named tuples: immutable, slotted, and built at a fraction of a frozen dataclass's
cost (bench/README.md, Typed records)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from portal.access import LinkResource
from portal.clients.rules import Access, BillingMode, Grant, LinkStatus, Side


class Link(NamedTuple):
    """A live partner–client link as billing and renewals need it: what it delegates, who
    pays, the partner's currency and the partner's collaborators assigned to it."""

    id: int
    partner_id: int
    client_id: int
    status: LinkStatus
    initiated_by: Side
    access: Access | None
    families: frozenset[str]
    product_ids: frozenset[int]
    billing_mode: BillingMode | None
    partner_name: str
    partner_currency: str
    assigned_user_ids: frozenset[int]
    assigned_team_ids: frozenset[int]
    ends_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Link:
        return cls(
            id=row["id"],
            partner_id=row["partner"],
            client_id=row["client"],
            status=LinkStatus(row["status"]),
            initiated_by=Side(row["initiated_by"]),
            access=Access(row["access"]) if row["access"] else None,
            families=frozenset(row["families"] or ()),
            product_ids=frozenset(row["product_ids"] or ()),
            billing_mode=BillingMode(row["billing_mode"]) if row["billing_mode"] else None,
            partner_name=row["partner_name"],
            partner_currency=row["partner_currency"],
            assigned_user_ids=frozenset(row["assigned_user_ids"] or ()),
            assigned_team_ids=frozenset(row["assigned_team_ids"] or ()),
            ends_at=row["ends_at"],
        )

    @property
    def grant(self) -> Grant | None:
        """What the client delegates through the link; None before it is granted."""
        if self.access is None:
            return None
        return Grant(self.access, self.families, self.product_ids, self.billing_mode)

    @property
    def resource(self) -> LinkResource:
        """The link as the authorization decision (portal/access.py) reads it."""
        return LinkResource(
            partner_id=self.partner_id,
            client_id=self.client_id,
            active=self.status is LinkStatus.ACTIVE,
            open=self.status.is_open,
            initiated_by_partner=self.initiated_by is Side.PARTNER,
            assigned_user_ids=self.assigned_user_ids,
            assigned_team_ids=self.assigned_team_ids,
        )
