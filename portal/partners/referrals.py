"""Referrals of affiliates: a new customer who signs up through an affiliate's link."""

from __future__ import annotations

from portal.database import storable_id
from portal.organisations.tables import Organisation
from portal.partners.tables import Referral


async def record_referral(affiliate_id: int, customer_id: int) -> None:
    """Commissions run from here for 365 days; an unknown id or a non-affiliate is ignored
    (a referral link is public and may be made up)."""
    if not storable_id(affiliate_id) or affiliate_id == customer_id:
        return
    affiliate = (
        await Organisation.select(Organisation.id)
        .where(Organisation.id == affiliate_id, Organisation.is_affiliate.eq(True))
        .first()
    )
    if affiliate is not None:
        await Referral.insert(Referral(affiliate=affiliate_id, customer=customer_id))
