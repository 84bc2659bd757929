"""The programme's periodic work: the yearly review of partners (docs/rules.md, The partner
programme), on 1 January."""

from __future__ import annotations

from datetime import datetime

from portal.jobs.registry import Periodic
from portal.partners.services import review_partners
from portal.settings import Settings


async def yearly_review(settings: Settings, now: datetime) -> None:
    await review_partners(settings, now)


PERIODIC = [Periodic("partners.yearly_review", "0 4 1 1 *", yearly_review)]
