"""Statuses several domains share, with their labels. Each is also the `choices` of the column
that stores it."""

from __future__ import annotations

from enum import StrEnum


class PartnerStatus(StrEnum):
    NONE = "none"
    APPLICANT = "applicant"  # applied; prepares what is missing (may already link clients)
    REVIEW = "review"  # waits for a staff decision
    ACTIVE = "active"
    FLAGGED = "flagged"  # fell below the volume threshold at the yearly review
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    PartnerStatus.NONE: "Not in the programme",
    PartnerStatus.APPLICANT: "Applicant",
    PartnerStatus.REVIEW: "Application under review",
    PartnerStatus.ACTIVE: "Active partner",
    PartnerStatus.FLAGGED: "Partner, flagged at the yearly review",
    PartnerStatus.REJECTED: "Application rejected",
}
# Statuses in which an organisation takes part in the programme (links clients, is found).
IN_PROGRAMME = frozenset(
    {PartnerStatus.APPLICANT, PartnerStatus.REVIEW, PartnerStatus.ACTIVE, PartnerStatus.FLAGGED}
)
PARTNERS = frozenset({PartnerStatus.ACTIVE, PartnerStatus.FLAGGED})


class ProductStatus(StrEnum):
    """An organisation's product; formatting tells an active one's overdue renewal."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"  # not renewed after its suspension (docs/rules.md, Renewals)
    CANCELLED = "cancelled"
