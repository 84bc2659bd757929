"""The periodic work of delegation (docs/rules.md, Delegation): what falls due ends by itself
(temporary full access, end dates), and both sides are reminded 30, 7 and 1 days before a
collaboration ends. Each run settles everything due by then, so a run missed while no worker
was up is caught up by the next."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from portal.clients import queries, rules, services
from portal.jobs.registry import Periodic
from portal.jobs.reminders import claim_reminder
from portal.jobs.rules import REMINDER_DAYS, reminder_due
from portal.piccolo_conf import DB
from portal.settings import Settings

log = logging.getLogger(__name__)

REMINDER_TOPIC = "link.end"


async def settle_due(settings: Settings, now: datetime) -> int:
    changes = await services.settle_due(now)
    if changes:
        log.info("Settled %d delegation change(s) that fell due.", changes)
    return changes


async def remind_endings(settings: Settings, now: datetime) -> int:
    """Mail both sides' legal representatives the reminder due for each collaboration whose
    end date comes within the longest reminder's reach; each reminder leaves once."""
    horizon = now + timedelta(days=max(REMINDER_DAYS), hours=1)
    sent = 0
    for link in await queries.links_ending_between(now, horizon):
        days = reminder_due(link["ends_at"], now, link["end_set_at"], frozenset(link["sent"]))
        if days is None:
            continue
        async with DB.transaction():
            if not await claim_reminder(REMINDER_TOPIC, link["id"], link["ends_at"], days):
                continue  # another worker sent it
            await _mail_reminder(link, days)
            sent += 1
    if sent:
        log.info("Sent %d end-of-collaboration reminder(s).", sent)
    return sent


REMINDER_SUBJECT = "The collaboration between {partner} and {client} ends in {left}"
REMINDER_THEN_EXTENDED = (
    "The collaboration between {partner} (partner) and {client} (client) ends on {end}, in "
    "{left}. It will then be extended automatically by {extension} days, unless the client "
    "turns that off.\n"
)
REMINDER_THEN_ENDS = (
    "The collaboration between {partner} (partner) and {client} (client) ends on {end}, in "
    "{left}. The partner's access then ends by itself. The client can extend it in one step "
    "on its Partners page.\n"
)
ONE_DAY_LEFT = "1 day"
DAYS_LEFT = "{days} days"


async def _mail_reminder(link: dict, days: int) -> None:
    extended = link["auto_extend"] and link["access"] == rules.Access.RESTRICTED
    values = {
        "partner": link["partner_name"],
        "client": link["client_name"],
        "end": rules.end_day(link["ends_at"]).isoformat(),
        "left": ONE_DAY_LEFT if days == 1 else DAYS_LEFT.format(days=days),
        "extension": rules.AUTO_EXTENSION_DAYS,
    }
    body = REMINDER_THEN_EXTENDED if extended else REMINDER_THEN_ENDS
    for side in (link["partner"], link["client"]):
        await services.mail_side(side, REMINDER_SUBJECT.format(**values), body.format(**values))


PERIODIC = [
    Periodic("clients.settle_due", "* * * * *", settle_due),
    Periodic("clients.remind_endings", "7 * * * *", remind_endings),
]
