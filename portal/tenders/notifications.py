"""The tenders' mails, worded in one place: what the author, the routed partners and the
quoting partners are told at each step. Pure: each builds a Mail; services.py sends it."""

from __future__ import annotations

from datetime import datetime

from portal.core import reference
from portal.core.urls import page_url
from portal.formatting import excerpt, money
from portal.mail.services import Mail
from portal.settings import Settings
from portal.tenders import rules
from portal.tenders.forms import TenderInput


def deadline_text(deadline: datetime) -> str:
    return rules.deadline_day(deadline).strftime("%d %b %Y")


def partners_count(count: int) -> str:
    if count == 0:
        return "no partner yet (none opted in for this kind of work where you are)"
    return "1 partner" if count == 1 else f"{count} partners"


def confirm_your_tender(settings: Settings, entered: TenderInput, token: str) -> Mail:
    return Mail(
        entered.author_email,
        f"Confirm your tender: {entered.title}",
        f"Hello {entered.author_name},\n\n"
        f"You asked partners of our programme for quotes: «{entered.title}».\n"
        "Confirm your email address to publish it (nothing is shown to partners before):\n"
        f"{page_url(settings, 'tenders.confirm', token=token)}\n\n"
        f"An unconfirmed tender is deleted after {rules.UNCONFIRMED_KEPT.days} days. "
        "If you did not post it, ignore this mail.\n",
    )


def tender_published(settings: Settings, tender: dict, recipients: int, manage: str) -> Mail:
    return Mail(
        tender["author_email"],
        f"Your tender is published: {tender['title']}",
        f"Hello {tender['author_name']},\n\n"
        f"Your tender «{tender['title']}» is published and was sent to "
        f"{partners_count(recipients)}.\n"
        "Follow it, compare the quotes side by side, accept one or withdraw the tender "
        "through your private link (keep it to yourself):\n"
        f"{page_url(settings, 'tenders.manage', token=manage)}\n\n"
        f"Quotes are accepted until {deadline_text(tender['deadline'])}"
        " (end of the day, Swiss time).\n",
    )


def new_tender(settings: Settings, tender: dict, email: str) -> Mail:
    """To a routed partner: the excerpt and a link, never the author's contact."""
    return Mail(
        email,
        f"New tender: {tender['title']}",
        "A new tender matches your tender settings.\n\n"
        f"{tender['title']}\n"
        f"Category: {rules.CATEGORIES[tender['category']]}\n"
        f"Budget: {money(tender['budget_min'], tender['currency'])} to "
        f"{money(tender['budget_max'], tender['currency'])}\n"
        f"Language: {reference.LANGUAGES[tender['language']]}\n"
        f"Location: {rules.location(tender['country'], tender['region'])}\n"
        f"Deadline: {deadline_text(tender['deadline'])}\n\n"
        f"{excerpt(tender['description'], rules.EXCERPT_LENGTH)}\n\n"
        f"Read the whole request and answer with a quote:\n"
        f"{page_url(settings, 'tenders.inbox.show', tender_id=tender['id'])}\n\n"
        "The author's contact details are shared with you if they accept your quote.\n",
    )


def author_news(settings: Settings, tender: dict, subject: str, news: str) -> Mail:
    where = (
        page_url(settings, "tenders.mine.show", tender_id=tender["id"])
        if tender["author_organisation"]
        else "the private link we sent you when you confirmed the tender"
    )
    return Mail(
        tender["author_email"],
        subject,
        f"Hello {tender['author_name']},\n\n{news}\n\nCompare the quotes on {where}.\n",
    )


def quote_sent(settings: Settings, tender: dict, partner_name: str, quote) -> Mail:
    return author_news(
        settings,
        tender,
        f"New quote for your tender: {tender['title']}",
        f"{partner_name} sent a quote: {money(quote.price, quote.currency)}, {quote.timeline}.",
    )


def quote_amended(settings: Settings, tender: dict, partner_name: str, quote) -> Mail:
    return author_news(
        settings,
        tender,
        f"A quote was amended: {tender['title']}",
        f"{partner_name} amended its quote: {money(quote.price, quote.currency)}, "
        f"{quote.timeline}.",
    )


def quote_withdrawn(settings: Settings, tender: dict, partner_name: str) -> Mail:
    return author_news(
        settings,
        tender,
        f"A quote was withdrawn: {tender['title']}",
        f"{partner_name} withdrew its quote.",
    )


def author_contact(tender: dict) -> str:
    return "\n".join(
        line
        for line in (
            f"Name: {tender['author_name']}",
            f"Company: {tender['author_company']}" if tender["author_company"] else "",
            f"Email: {tender['author_email']}",
            f"Phone: {tender['author_phone']}" if tender["author_phone"] else "",
        )
        if line
    )


def quote_accepted(settings: Settings, tender: dict, chosen: dict, email: str) -> Mail:
    """To the winner: the author's contact details, at last."""
    return Mail(
        email,
        f"Your quote was accepted: {tender['title']}",
        f"Good news: the author of «{tender['title']}» accepted your quote of "
        f"{money(chosen['price'], chosen['currency'])}.\n\n"
        f"Their contact details:\n{author_contact(tender)}\n\n"
        "Please get in touch with them. Remember your commitment: for this contract you "
        "use only the host's products.\n"
        f"{page_url(settings, 'tenders.inbox.show', tender_id=tender['id'])}\n",
    )


def another_quote_chosen(settings: Settings, tender: dict, email: str) -> Mail:
    return Mail(
        email,
        f"Another quote was chosen: {tender['title']}",
        f"The author of «{tender['title']}» chose another partner's quote. Thank you "
        "for answering; your quote is closed.\n"
        f"{page_url(settings, 'tenders.inbox.show', tender_id=tender['id'])}\n",
    )


def you_accepted(tender: dict, chosen: dict, partner_name: str) -> Mail:
    return Mail(
        tender["author_email"],
        f"You accepted a quote: {tender['title']}",
        f"Hello {tender['author_name']},\n\nYou accepted the quote of {partner_name} "
        f"({money(chosen['price'], chosen['currency'])}). They received your contact "
        "details and will get in touch with you. The other partners were told.\n",
    )


def quote_closed(settings: Settings, tender: dict, email: str, subject: str, body: str) -> Mail:
    """To a partner whose quote was waiting when the tender closed without choosing it."""
    link = page_url(settings, "tenders.inbox.show", tender_id=tender["id"])
    return Mail(email, subject, f"{body}\n{link}\n")


def tender_withdrawn(settings: Settings, tender: dict, email: str) -> Mail:
    return quote_closed(
        settings,
        tender,
        email,
        f"Tender withdrawn: {tender['title']}",
        f"The author withdrew «{tender['title']}»; your quote is closed. Thank you for answering.",
    )


def tender_expired_to_partner(settings: Settings, tender: dict, email: str) -> Mail:
    return quote_closed(
        settings,
        tender,
        email,
        f"Tender closed: {tender['title']}",
        f"«{tender['title']}» reached its deadline without a decision; your quote is closed.",
    )


def tender_expired_to_author(settings: Settings, tender: dict) -> Mail:
    return Mail(
        tender["author_email"],
        f"Your tender closed at its deadline: {tender['title']}",
        f"Hello {tender['author_name']},\n\nYour tender «{tender['title']}» reached its "
        "deadline without a decision and is now closed. You may post a new one at any "
        f"time: {page_url(settings, 'tenders.new')}\n",
    )
