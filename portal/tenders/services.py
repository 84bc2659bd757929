"""Tender use cases (docs/rules.md, Tenders): post (a visitor confirms by email first), route to the
partners that opted in, quote, amend or withdraw a quote, accept one quote or withdraw the tender,
and the two hourly jobs. Each change is decided by access.py and rules.py, written in one
transaction with the tender's row locked. Its mails are queued in that transaction and leave through
the worker once it is committed (mail.services.queue_mail): no request waits for SMTP (an acceptance
tells every quoting partner), and a failing SMTP server neither breaks a request nor loses a mail;
each is delivered once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from portal.access import VISITOR, Action, TenderResource, may, require
from portal.audit.services import record
from portal.audit.services import who_of as _who
from portal.core.current import Current
from portal.core.enums import PartnerStatus
from portal.core.tokens import new_token, token_hash
from portal.errors import Conflict, NotFound, TooManyAttempts
from portal.jobs.queue import enqueue
from portal.jobs.rules import MAIL_PRIORITY
from portal.mail.services import queue_mail
from portal.paging import FIRST, Page, Position
from portal.partners import queries as partner_queries
from portal.piccolo_conf import DB
from portal.settings import Settings
from portal.tenders import notifications, queries, rules
from portal.tenders.forms import QuoteInput, SettingsInput, TenderInput
from portal.tenders.rules import QuoteEvent, QuoteStatus, TenderEvent, TenderStatus
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType

# The job that tells the routed partners of a new tender (portal/tenders/jobs.py).
NOTIFY_RECIPIENTS = "tenders.notify_recipients"


def _now() -> datetime:
    return datetime.now(UTC)


# --- posting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Posted:
    tender_id: int
    opened: bool  # a client's tender opens at once; a visitor's waits for the confirmation
    recipients: int = 0


def _tender_values(entered: TenderInput, now: datetime) -> dict:
    assert entered.deadline is not None  # the form refuses a missing deadline
    return {
        "title": entered.title,
        "description": entered.description,
        "category": entered.category,
        "budget_min": entered.budget_min,
        "budget_max": entered.budget_max,
        "currency": entered.currency,
        "language": entered.language,
        "country": entered.country,
        "region": entered.region,
        "deadline": rules.deadline_at(entered.deadline),
        "author_phone": entered.author_phone,
        "created_at": now,
    }


async def _check_posting_rate(email: str, ip: str, now: datetime) -> None:
    """Inside the posting's transaction: racing posts from one address count each other."""
    await queries.lock_posting(email, ip)
    refusal = rules.posting_refusal(await queries.recent_postings(email, ip, now))
    if refusal:
        message, seconds = refusal
        raise TooManyAttempts(message, seconds)


async def post_as_visitor(settings: Settings, entered: TenderInput, ip: str) -> Posted:
    """The tender waits, unseen by partners, until its author confirms their email address."""
    now = _now()
    token = new_token()
    async with DB.transaction():
        await _check_posting_rate(entered.author_email, ip, now)
        tender_id = await queries.insert_tender(
            {
                **_tender_values(entered, now),
                "status": TenderStatus.UNCONFIRMED,
                "author_name": entered.author_name,
                "author_email": entered.author_email,
                "author_company": entered.author_company,
                "author_ip": ip,
                "confirm_token_hash": token_hash(token),
            }
        )
        await queue_mail(notifications.confirm_your_tender(settings, entered, token), awaited=True)
    return Posted(tender_id, opened=False)


async def post_as_client(
    settings: Settings, current: Current, entered: TenderInput, ip: str
) -> Posted:
    """A logged-in client's tender opens at once, in the name of its organisation."""
    organisation = current.organisation_resource()
    require(current.actor, Action.POST_TENDER, organisation)
    now = _now()
    async with DB.transaction():
        await _check_posting_rate(current.email, ip, now)
        tender_id = await queries.insert_tender(
            {
                **_tender_values(entered, now),
                "status": TenderStatus.OPEN,
                "opened_at": now,
                "author_name": current.full_name,
                "author_email": current.email,
                "author_company": current.organisation.name,
                "author_organisation": organisation.organisation_id,
                "author_account": current.user_id,
                "author_ip": ip,
            }
        )
        recipients = await _route(tender_id, now)
        await record(organisation.organisation_id, _who(current), "tender.posted", entered.title)
    return Posted(tender_id, opened=True, recipients=len(recipients))


@dataclass(frozen=True)
class Confirmation:
    tender_id: int
    manage_token: str


async def tender_to_confirm(token: str) -> dict:
    """The unconfirmed tender a confirmation link names; NotFound for anything else."""
    tender = await queries.tender_by_confirm_token(token_hash(token))
    if tender is None:
        raise NotFound()
    return tender


async def confirm(settings: Settings, token: str) -> Confirmation:
    """The visitor confirmed: the tender opens, goes to the matching partners, and its author
    receives the private link to follow it."""
    now = _now()
    found = await tender_to_confirm(token)
    nonce = secrets.token_hex(16)
    async with DB.transaction():
        tender = await queries.lock_tender(found["id"])
        if tender is None:
            raise NotFound()
        if rules.is_purgeable(TenderStatus(tender["status"]), tender["created_at"], now):
            raise rules.TenderClosed(rules.CONFIRMATION_EXPIRED)
        rules.next_status(
            TenderStatus(tender["status"]), TenderEvent.CONFIRM, tender["deadline"], now
        )
        await queries.open_tender(tender["id"], now, nonce)
        recipients = await _route(tender["id"], now)
        manage = rules.manage_token(settings.secret_key, tender["id"], nonce)
        published = notifications.tender_published(settings, tender, len(recipients), manage)
        await queue_mail(published, awaited=True)
    return Confirmation(tender["id"], manage)


async def _route(tender_id: int, now: datetime) -> list[int]:
    """Write whom the tender goes to: the active partners whose settings match it."""
    tender = await queries.lock_tender(tender_id)
    assert tender is not None
    partners = rules.recipients(
        await queries.candidate_preferences(tender["category"]), _route_of(tender)
    )
    await queries.insert_recipients(tender_id, partners, now)
    if partners:  # queued in this transaction: the job exists exactly when the routing does
        await enqueue(NOTIFY_RECIPIENTS, {"tender_id": tender_id}, priority=MAIL_PRIORITY)
    for partner_id in partners:
        await emit(EventType.TENDER_ROUTED, partner_id, tender_event(tender))
    return partners


def tender_event(tender: dict, **more) -> dict:
    """What a webhook says of a tender: what its partners see, never its author's contact."""
    return {
        "tender_id": tender["id"],
        "title": tender["title"],
        "category": tender["category"],
        "budget_min": tender["budget_min"],
        "budget_max": tender["budget_max"],
        "currency": tender["currency"],
        "deadline": tender["deadline"],
        **more,
    }


async def notify_recipients(settings: Settings, tender_id: int) -> int:
    """The queued job: each routed partner's managers get the excerpt and a link, never the
    author's contact. Their mails are queued and the partner marked in one transaction, with
    the tender locked, so a retry or a second run mails nobody twice. A partner flagged since
    the routing is left out (and unmarked): it can no longer open the tender. Returns how
    many partners were told."""
    now = _now()
    async with DB.transaction():
        tender = await queries.lock_tender(tender_id)
        if tender is None:  # deleted since
            return 0
        partner_ids = await queries.recipients_to_mail(tender_id)
        emails = await queries.notification_emails(partner_ids)
        for partner_id in partner_ids:
            for email in emails.get(partner_id, []):
                await queue_mail(notifications.new_tender(settings, tender, email))
            await queries.mark_mailed(tender_id, partner_id, now)
    return len(partner_ids)


# --- the partner's side ------------------------------------------------------------------------


def _status_now(tender: dict, now: datetime) -> TenderStatus:
    return rules.effective_status(TenderStatus(tender["status"]), tender["deadline"], now)


@dataclass(frozen=True)
class PartnerView:
    tender: dict
    status: TenderStatus
    quote: dict | None
    contact: dict | None  # only once the author accepted this partner's quote
    may_answer: bool
    partner_active: bool
    why: str  # why the tender reached this partner, in words


async def _routed_tender(current: Current, tender_id: int, action: Action) -> dict:
    organisation = current.organisation_resource()
    tender = await queries.tender_for_partner(organisation.organisation_id, tender_id)
    if tender is None:
        raise NotFound()
    require(current.actor, action, _routed_resource(current))
    return tender


def _routed_resource(current: Current) -> TenderResource:
    """The tenders routed to the organisation acted in."""
    organisation = current.organisation_resource()
    return TenderResource(
        None, None, routed_to=organisation.organisation_id, partner_active=_active(current)
    )


def _active(current: Current) -> bool:
    """Whether the organisation acted in is an active partner: its status comes with the
    session, read on every request, so no query of its own."""
    return (
        current.organisation is not None
        and current.organisation.partner_status == PartnerStatus.ACTIVE
    )


async def partner_view(current: Current, tender_id: int, *, opened: bool = False) -> PartnerView:
    """The tender as its partner sees it; OPENED when the partner opens its page, which marks
    it read (a refused quote shows the page again and changes nothing)."""
    now = _now()
    tender = await _routed_tender(current, tender_id, Action.VIEW_TENDER)
    partner_id = current.organisation.id
    if opened and tender["read_at"] is None:
        await queries.mark_read(partner_id, tender_id, now)
    quote = await queries.quote_of(partner_id, tender_id)
    contact = None
    if quote and rules.contact_visible(QuoteStatus(quote["status"])):
        contact = await queries.contact_for_winner(partner_id, tender_id)
    active = _active(current)
    stored = await queries.preferences_of(partner_id) or {}
    preferences = rules.Preferences(
        partner_id,
        active,
        frozenset(stored.get("categories") or ()),
        frozenset(stored.get("languages") or ()),
        frozenset(stored.get("regions") or ()),
    )
    return PartnerView(
        tender=tender,
        status=_status_now(tender, now),
        quote=quote,
        contact=contact,
        may_answer=may(current.actor, Action.ANSWER_TENDER, _routed_resource(current)),
        partner_active=active,
        why=rules.why_received(preferences, _route_of(tender), tender["notified_at"]),
    )


def _route_of(tender: dict) -> rules.Route:
    return rules.Route(
        tender["category"],
        tender["language"],
        tender["country"],
        tender["region"],
        tender.get("author_organisation"),
    )


async def _is_active_partner(organisation_id: int) -> bool:
    organisation = await partner_queries.organisation(organisation_id)
    return organisation is not None and organisation["partner_status"] == PartnerStatus.ACTIVE


async def submit_quote(
    settings: Settings, current: Current, tender_id: int, entered: QuoteInput
) -> None:
    """A partner answers once; a second answer is an amendment of the first."""
    await _routed_tender(current, tender_id, Action.ANSWER_TENDER)
    partner_id = current.organisation.id
    now = _now()
    async with DB.transaction():
        tender = await queries.lock_tender(tender_id)
        assert tender is not None
        if await queries.quote_of(partner_id, tender_id) is not None:
            raise Conflict("You already answered this tender: amend or withdraw your quote.")
        rules.may_submit_quote(TenderStatus(tender["status"]), tender["deadline"], now)
        await queries.insert_quote(
            {
                "tender": tender_id,
                "partner": partner_id,
                "status": QuoteStatus.SUBMITTED,
                "price": entered.price,
                "currency": entered.currency,
                "timeline": entered.timeline,
                "message": entered.message,
                "commitment_at": now,
                "submitted_by": current.user_id,
                "created_at": now,
                "updated_at": now,
            }
        )
        await record(
            partner_id,
            _who(current),
            "tender.quoted",
            tender["title"],
            after=_quote_snapshot(entered),
        )
        await queue_mail(
            notifications.quote_sent(settings, tender, current.organisation.name, entered)
        )


def _quote_snapshot(entered: QuoteInput) -> dict:
    return {
        "price": str(entered.price),
        "currency": entered.currency,
        "timeline": entered.timeline,
    }


async def _lock_own_quote(
    partner_id: int, tender_id: int, event: QuoteEvent, now: datetime
) -> tuple[dict, dict]:
    """Inside the caller's transaction: the tender's row locked and this partner's quote,
    once the state machine allows EVENT on it (TenderClosed otherwise; NotFound: no quote)."""
    tender = await queries.lock_tender(tender_id)
    assert tender is not None
    quote = await queries.quote_of(partner_id, tender_id)
    if quote is None:
        raise NotFound()
    rules.next_quote_status(
        QuoteStatus(quote["status"]),
        event,
        TenderStatus(tender["status"]),
        tender["deadline"],
        now,
    )
    return tender, quote


async def amend_quote(
    settings: Settings, current: Current, tender_id: int, entered: QuoteInput
) -> None:
    await _routed_tender(current, tender_id, Action.ANSWER_TENDER)
    partner_id = current.organisation.id
    now = _now()
    async with DB.transaction():
        tender, quote = await _lock_own_quote(partner_id, tender_id, QuoteEvent.AMEND, now)
        await queries.update_quote(
            quote["id"],
            {
                "price": entered.price,
                "currency": entered.currency,
                "timeline": entered.timeline,
                "message": entered.message,
                "commitment_at": now,
                "updated_at": now,
            },
        )
        await record(
            partner_id,
            _who(current),
            "tender.quote_amended",
            tender["title"],
            before={
                "price": str(quote["price"]),
                "currency": quote["currency"],
                "timeline": quote["timeline"],
            },
            after=_quote_snapshot(entered),
        )
        await queue_mail(
            notifications.quote_amended(settings, tender, current.organisation.name, entered)
        )


async def withdraw_quote(settings: Settings, current: Current, tender_id: int) -> None:
    await _routed_tender(current, tender_id, Action.ANSWER_TENDER)
    partner_id = current.organisation.id
    now = _now()
    async with DB.transaction():
        tender, quote = await _lock_own_quote(partner_id, tender_id, QuoteEvent.WITHDRAW, now)
        await queries.update_quote(
            quote["id"], {"status": QuoteStatus.WITHDRAWN, "updated_at": now}
        )
        await record(partner_id, _who(current), "tender.quote_withdrawn", tender["title"])
        await queue_mail(notifications.quote_withdrawn(settings, tender, current.organisation.name))


# --- the author's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class Author:
    """Who asks as the author: a logged-in client, or a visitor holding the private link."""

    current: Current | None = None
    token: str | None = None

    @property
    def actor(self):
        return self.current.actor if self.current else VISITOR


async def _author_tender(settings: Settings, author: Author, tender_id: int | None) -> dict:
    """The tender, if AUTHOR is its author; NotFound otherwise."""
    if author.token is not None:
        tender_id = rules.tender_id_of_token(author.token)
        tender = await queries.tender_by_id(tender_id) if tender_id else None
        valid = tender is not None and rules.manage_token_matches(
            settings.secret_key, author.token, tender["id"], tender["manage_nonce"]
        )
        if not valid:
            raise NotFound()
        require(VISITOR, Action.VIEW_OWN_TENDER, TenderResource(None, None, private_link=True))
        return tender
    assert author.current is not None and tender_id is not None
    organisation = author.current.organisation_resource()
    tender = await queries.tender_of_organisation(organisation.organisation_id, tender_id)
    if tender is None:
        raise NotFound()
    require(
        author.current.actor,
        Action.VIEW_OWN_TENDER,
        TenderResource(tender["author_organisation"], tender["author_account"]),
    )
    return tender


@dataclass(frozen=True)
class AuthorView:
    tender: dict
    status: TenderStatus
    quotes: Page
    recipients: int


async def author_view(
    settings: Settings, author: Author, tender_id: int | None, position: Position = FIRST
) -> AuthorView:
    tender = await _author_tender(settings, author, tender_id)
    quotes = await queries.quotes_for_author(tender["id"], position)
    return AuthorView(
        tender=tender,
        status=_status_now(tender, _now()),
        quotes=quotes,
        recipients=await queries.recipient_count(tender["id"]),
    )


async def accept_quote(
    settings: Settings, author: Author, tender_id: int | None, quote_id: int, seen_version: str
) -> dict:
    """Exactly one quote wins: the tender's row is locked, so a second accept (even racing)
    finds it decided; the partial unique index on accepted quotes backs this up. SEEN_VERSION
    is the quote's version on the author's page: a quote amended since is not accepted."""
    found = await _author_tender(settings, author, tender_id)
    require(author.actor, Action.DECIDE_TENDER, _author_resource(found, author))
    now = _now()
    async with DB.transaction():
        tender = await queries.lock_tender(found["id"])
        assert tender is not None
        rules.next_status(
            TenderStatus(tender["status"]), TenderEvent.ACCEPT_QUOTE, tender["deadline"], now
        )
        quotes = {q["id"]: q for q in await queries.lock_quotes(tender["id"])}
        chosen = quotes.get(quote_id)
        if chosen is None:
            raise NotFound()
        rules.check_partner_may_win(await _is_active_partner(chosen["partner"]))
        rules.check_quote_unchanged(seen_version, chosen["updated_at"])
        rules.next_quote_status(
            QuoteStatus(chosen["status"]),
            QuoteEvent.ACCEPT,
            TenderStatus(tender["status"]),
            tender["deadline"],
            now,
        )
        others = [q["partner"] for q in quotes.values() if q["status"] == QuoteStatus.SUBMITTED]
        others.remove(chosen["partner"])
        await queries.decide_quotes(tender["id"], quote_id, now)
        await queries.close_tender(tender["id"], TenderStatus.DECIDED, now)
        if tender["author_organisation"] and author.current:
            await record(
                tender["author_organisation"],
                _who(author.current),
                "tender.quote_accepted",
                tender["title"],
            )
        await _queue_decision(settings, tender, chosen, others)
        await emit(
            EventType.TENDER_DECIDED,
            tender["author_organisation"],
            tender_event(tender, outcome="quote_accepted", quote_id=chosen["id"]),
        )
        await emit(
            EventType.TENDER_DECIDED,
            chosen["partner"],
            tender_event(tender, outcome="your_quote_accepted", quote_id=chosen["id"]),
        )
        for partner_id in others:
            await emit(
                EventType.TENDER_DECIDED,
                partner_id,
                tender_event(tender, outcome="another_quote_accepted"),
            )
    return chosen


def _author_resource(tender: dict, author: Author) -> TenderResource:
    return TenderResource(
        tender["author_organisation"],
        tender["author_account"],
        private_link=author.token is not None,
    )


async def _queue_decision(
    settings: Settings, tender: dict, chosen: dict, others: list[int]
) -> None:
    """In the acceptance's transaction: the winner gets the author's contact, each other
    quoting partner is told once, and the author is told whom they chose."""
    emails = await queries.notification_emails([chosen["partner"], *others])
    for email in emails.get(chosen["partner"], []):
        await queue_mail(notifications.quote_accepted(settings, tender, chosen, email))
    for partner_id in others:
        for email in emails.get(partner_id, []):
            await queue_mail(notifications.another_quote_chosen(settings, tender, email))
    partner = await partner_queries.organisation(chosen["partner"])
    name = partner["name"] if partner else "The partner"
    await queue_mail(notifications.you_accepted(tender, chosen, name))


async def withdraw_tender(settings: Settings, author: Author, tender_id: int | None) -> dict:
    found = await _author_tender(settings, author, tender_id)
    require(author.actor, Action.DECIDE_TENDER, _author_resource(found, author))
    now = _now()
    async with DB.transaction():
        tender = await queries.lock_tender(found["id"])
        assert tender is not None
        rules.next_status(
            TenderStatus(tender["status"]), TenderEvent.WITHDRAW, tender["deadline"], now
        )
        quoted = await queries.partners_with_submitted_quotes(tender["id"])
        await queries.close_tender(tender["id"], TenderStatus.WITHDRAWN, now)
        if tender["author_organisation"] and author.current:
            await record(
                tender["author_organisation"],
                _who(author.current),
                "tender.withdrawn",
                tender["title"],
            )
        await _queue_for_quoting_partners(settings, tender, quoted, notifications.tender_withdrawn)
        for organisation_id in (tender["author_organisation"], *quoted):
            await emit(
                EventType.TENDER_DECIDED, organisation_id, tender_event(tender, outcome="withdrawn")
            )
    return tender


async def _queue_for_quoting_partners(
    settings: Settings, tender: dict, partner_ids: list[int], mail
) -> None:
    """In the caller's transaction: MAIL(settings, tender, email) to the managers of each of
    PARTNER_IDS."""
    emails = await queries.notification_emails(partner_ids)
    for partner_id in partner_ids:
        for email in emails.get(partner_id, []):
            await queue_mail(mail(settings, tender, email))


async def tenders_of_client(current: Current, position: Position = FIRST) -> Page:
    """The page of the tenders of the organisation acted in that this person may open (their
    managers: all; anyone else: their own), newest first."""
    organisation = current.organisation_resource()
    require(current.actor, Action.POST_TENDER, organisation)
    anyone_else = TenderResource(organisation.organisation_id, None)
    sees_all = may(current.actor, Action.VIEW_OWN_TENDER, anyone_else)
    found = await queries.tenders_of_organisation(
        organisation.organisation_id,
        position,
        author_account=None if sees_all else current.user_id,
    )
    now = _now()
    rows = [
        {**row, "status_now": _status_now(row, now)}
        for row in found
        if may(
            current.actor,
            Action.VIEW_OWN_TENDER,
            TenderResource(organisation.organisation_id, row["author_account"]),
        )
    ]
    return replace(found, rows=rows)


# --- the partner's inbox and settings ----------------------------------------------------------


@dataclass(frozen=True)
class Inbox:
    tenders: Page
    record: rules.TenderRecord
    unread: int


async def takes_part_in_tenders(current: Current) -> bool:
    """Whether the organisation acted in is an active partner, which alone receives and
    answers tenders (the inbox says why not, rather than a bare 404)."""
    return _routed_resource(current).partner_active


async def inbox(current: Current, position: Position = FIRST, size: int | None = None) -> Inbox:
    """The tenders routed to the partner, newest first, and its record (received, answered,
    won): an active partner's only."""
    organisation = current.organisation_resource()
    require(current.actor, Action.VIEW_TENDER_INBOX, _routed_resource(current))
    return Inbox(
        tenders=await queries.inbox(organisation.organisation_id, _now(), position, size),
        record=await queries.tender_record(organisation.organisation_id),
        unread=await queries.unread_count(organisation.organisation_id),
    )


async def preferences(current: Current) -> rules.Preferences:
    organisation = current.organisation_resource()
    require(current.actor, Action.VIEW_TENDER_SETTINGS, organisation)
    stored = await queries.preferences_of(organisation.organisation_id) or {}
    return rules.Preferences(
        organisation_id=organisation.organisation_id,
        active=_active(current),
        categories=frozenset(stored.get("categories") or ()),
        languages=frozenset(stored.get("languages") or ()),
        regions=frozenset(stored.get("regions") or ()),
    )


async def save_preferences(current: Current, entered: SettingsInput) -> None:
    organisation = current.organisation_resource()
    require(current.actor, Action.MANAGE_TENDER_SETTINGS, organisation)
    async with DB.transaction():
        await queries.save_preferences(
            organisation.organisation_id,
            entered.categories,
            entered.languages,
            entered.regions,
            current.user_id,
        )
        await record(
            organisation.organisation_id,
            _who(current),
            "tender.settings_changed",
            after={
                "categories": entered.categories,
                "languages": entered.languages,
                "regions": entered.regions,
            },
        )


# --- hourly jobs (correctness never waits for them: reads treat a past deadline as closed) -----


async def close_expired_tenders(now: datetime, settings: Settings | None = None) -> int:
    """Write down the expiry of open tenders whose deadline passed, and tell their authors and
    the partners whose quotes were waiting. Returns how many tenders closed."""
    settings = settings or Settings.from_env()
    async with DB.transaction():
        closed = await queries.expire_overdue(now)
        for tender in closed:
            await queue_mail(notifications.tender_expired_to_author(settings, tender))
            await _queue_for_quoting_partners(
                settings,
                tender,
                await queries.partners_with_submitted_quotes(tender["id"]),
                notifications.tender_expired_to_partner,
            )
    return len(closed)


async def purge_unconfirmed_tenders(now: datetime) -> int:
    """Delete the visitors' tenders left unconfirmed for 7 days. Returns how many."""
    return await queries.delete_unconfirmed_before(now - rules.UNCONFIRMED_KEPT)
