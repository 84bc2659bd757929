"""What the payer of a product and the partner that manages it are told by the renewal run,
and the mail that brings it: one digest per organisation and run, to its people who look
after money (a client's managers and members with billing rights; a partner's managers, who
see every client)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from portal.core.urls import page_url
from portal.formatting import day, money
from portal.mail.services import Mail, queue_mails
from portal.piccolo_conf import DB
from portal.renewals import queries
from portal.settings import Settings

log = logging.getLogger(__name__)

LINES_PER_MAIL = 200  # a digest names this many products; the page lists the rest
RECIPIENTS_AT_ONCE = 200  # organisations whose digests are queued in one transaction


class Kind(StrEnum):
    REMINDER_AUTOMATIC = "reminder_automatic"
    REMINDER_WARRANTY = "reminder_warranty"
    REMINDER_MANUAL = "reminder_manual"
    DUE = "due"
    NO_MONEY = "no_money"
    GRACE = "grace"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    RENEWED_AUTOMATIC = "renewed_automatic"
    RENEWED_WARRANTY = "renewed_warranty"
    INVOICE_OVERDUE = "invoice_overdue"
    SUSPENDED_UNPAID = "suspended_unpaid"
    RESUMED = "resumed"


# One complete sentence (or two) per kind, with named places for the product's details.
SENTENCES = {
    Kind.REMINDER_AUTOMATIC: (
        "{product} renews on {renews_on}. It will be renewed automatically from the prepaid "
        "balance of {payer}: make sure the balance covers it."
    ),
    Kind.REMINDER_WARRANTY: (
        "{product} renews on {renews_on}. If it is not renewed by then, the renewal warranty "
        "renews it and {payer} receives an invoice due in 30 days."
    ),
    Kind.REMINDER_MANUAL: (
        "{product} renews on {renews_on}. Renew it before that date so that it keeps running."
    ),
    Kind.DUE: (
        "{product} was due for renewal on {renews_on} and is not renewed. It keeps running "
        "until {suspended_on}: renew it before then."
    ),
    Kind.NO_MONEY: (
        "{product} could not be renewed automatically: the prepaid balance of {payer} lacks "
        "{missing} of the {amount} the renewal costs. Deposit at least {missing} on "
        "{prepaid_url}; the portal tries again every day until {suspended_on}."
    ),
    Kind.GRACE: (
        "{product} is in its grace period: it was due on {renews_on} and keeps running until "
        "{suspended_on}. Renew it before then."
    ),
    Kind.SUSPENDED: (
        "{product} is suspended: it was not renewed after its grace period. It expires on "
        "{expires_on} unless it is renewed before."
    ),
    Kind.EXPIRED: "{product} has expired: it was not renewed in time.",
    Kind.RENEWED_AUTOMATIC: (
        "{product} was renewed until {new_renews_on} and paid from the prepaid balance of "
        "{payer}: invoice {invoice}, {amount}."
    ),
    Kind.RENEWED_WARRANTY: (
        "{product} was renewed until {new_renews_on} under the renewal warranty: invoice "
        "{invoice} of {amount} to {payer}, due on {due_on}."
    ),
    Kind.INVOICE_OVERDUE: (
        "Invoice {invoice} ({amount}) for the renewal of {product} under the warranty was due "
        "on {due_on} and is unpaid. Unless it is paid by {suspends_on}, {product} is suspended."
    ),
    Kind.SUSPENDED_UNPAID: (
        "{product} is suspended: invoice {invoice} ({amount}) of its renewal under the "
        "warranty is unpaid. It runs again once the invoice is paid."
    ),
    Kind.RESUMED: "{product} runs again: invoice {invoice} of its renewal is paid.",
}

CLIENT_SUBJECT = "Renewals of the products of {organisation}"
PARTNER_SUBJECT = "Renewals of the products {organisation} manages"
GREETING = "Hello,\n\nNews about the renewals of the products of {organisation}:\n\n"
PARTNER_GREETING = "Hello,\n\nNews about the renewals of the products {organisation} manages:\n\n"
LINE = "- {client}: {sentence}\n"
MORE_LINES = "- and {count} more on the renewals page.\n"
CLOSING = (
    "\nSee every renewal, and turn automatic renewal or the renewal warranty on or off: "
    "{renewals_url}\nTop up the prepaid balance: {prepaid_url}\n"
)

DATE_DETAILS = ("renews_on", "new_renews_on", "suspended_on", "expires_on", "due_on", "suspends_on")
MONEY_DETAILS = ("amount", "missing")


@dataclass(frozen=True)
class Notice:
    """One thing to tell RECIPIENT about a product."""

    recipient: int
    product: int
    client: int
    kind: Kind
    renews_on: date
    details: dict


def sentence(kind: str, details: dict, prepaid_url: str) -> str:
    values = dict(details)
    for key in DATE_DETAILS:
        if values.get(key):
            values[key] = day(date.fromisoformat(values[key]))
    for key in MONEY_DETAILS:
        if values.get(key) is not None:
            values[key] = money(Decimal(values[key]), values["currency"])
    return SENTENCES[Kind(kind)].format(prepaid_url=prepaid_url, **values)


def digest(
    settings: Settings, organisation: str, client_side: bool, rows: list[dict], more: int
) -> tuple[str, str]:
    """The subject and body of ORGANISATION's digest of ROWS (and MORE not listed): about its
    own products (CLIENT_SIDE), or about the products it manages for its clients."""
    prepaid_url = page_url(settings, "billing.prepaid")
    body = (GREETING if client_side else PARTNER_GREETING).format(organisation=organisation)
    for row in rows:
        body += LINE.format(
            client=row["client_name"], sentence=sentence(row["kind"], row["details"], prepaid_url)
        )
    if more > 0:
        body += MORE_LINES.format(count=more)
    renewals_url = page_url(settings, "renewals.index" if client_side else "renewals.partner")
    body += CLOSING.format(renewals_url=renewals_url, prepaid_url=prepaid_url)
    subject = (CLIENT_SUBJECT if client_side else PARTNER_SUBJECT).format(organisation=organisation)
    return subject, body


def _digest_order(item: tuple[tuple[int, bool], list]) -> tuple[int, bool]:
    (recipient, client_side), _ = item
    return recipient, not client_side


async def send_waiting(settings: Settings) -> int:
    """Mail every organisation the notices written for it and not mailed yet: a digest about
    its own products, one about the products it manages, to each of its people told. A notice
    is marked mailed in the transaction that queues its mail; notices are taken by one run at
    a time (SKIP LOCKED). Organisations go RECIPIENTS_AT_ONCE to a transaction."""
    sent = 0
    recipients = await queries.recipients_waiting()
    for start in range(0, len(recipients), RECIPIENTS_AT_ONCE):
        chunk = recipients[start : start + RECIPIENTS_AT_ONCE]
        async with DB.transaction():
            rows = await queries.lock_waiting_notices(chunk)
            if not rows:
                continue
            names = await queries.organisation_names(chunk)
            people = await queries.people_told(chunk)
            told: dict[tuple[int, bool], list[dict]] = {}
            for row in rows:  # in recipient then notice order
                client_side = row["client"] == row["recipient"]
                told.setdefault((row["recipient"], client_side), []).append(row)
            mails = []
            # each recipient's digest about its own products first, then the partner's
            for (recipient, client_side), lines in sorted(told.items(), key=_digest_order):
                subject, body = digest(
                    settings,
                    names[recipient],
                    client_side,
                    lines[:LINES_PER_MAIL],
                    len(lines) - LINES_PER_MAIL,
                )
                emails = people.get((recipient, client_side), [])
                mails += [Mail(email, subject, body) for email in emails]
            sent += len(await queue_mails(mails))
            await queries.mark_mailed([row["id"] for row in rows])
    if sent:
        log.info("Queued %d renewal digest mail(s).", sent)
    return sent
