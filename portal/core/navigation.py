"""The main menu: one table of (label, route name, action), shown to each person filtered by
what access.py lets them do where they stand, so no link leads to a page that refuses them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from portal.access import Action, Actor, may_here


@dataclass(frozen=True, slots=True)
class Entry:
    label: str
    route: str  # a route name; its URL takes no parameter
    action: Action  # what the person must be allowed, where they stand, to see the link


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    entries: tuple[Entry, ...]


# The work of the organisation first (a partner's, then what applies to a client), then what
# every organisation has, then the host's staff area. Entries whose action is refused vanish;
# so does a group left empty.
MENU = (
    Group(
        "Work",
        (
            Entry("Overview", "organisations.home", Action.VIEW_ORGANISATION),
            Entry("Dashboard", "partners.dashboard", Action.VIEW_PARTNER_DASHBOARD),
            Entry("Clients", "clients.index", Action.VIEW_CLIENTS),
            Entry("Partners", "clients.partners", Action.VIEW_PARTNERS),
            Entry("Products", "billing.products", Action.VIEW_PRODUCTS),
            Entry("Renewals", "renewals.index", Action.VIEW_RENEWALS),
            Entry("Client renewals", "renewals.partner", Action.VIEW_CLIENT_RENEWALS),
            Entry("Billing", "billing.invoices", Action.VIEW_BILLING),
            # deposits and payouts
            Entry("Prepaid account", "billing.prepaid", Action.VIEW_BILLING),
            Entry("Reports", "exports.index", Action.EXPORT_BILLING),
            Entry("Tenders", "tenders.inbox", Action.VIEW_PARTNER_TENDERS),
            Entry("Tenders", "tenders.mine", Action.VIEW_POSTED_TENDERS),
            Entry("Programme", "partners.programme", Action.VIEW_PROGRAMME),
            Entry("Directory listing", "directory.listing", Action.MANAGE_LISTING),
            Entry("Affiliate", "partners.affiliate", Action.VIEW_AFFILIATE),
        ),
    ),
    Group(
        "Organisation",
        (
            Entry("Members", "organisations.members", Action.VIEW_MEMBERS),
            Entry("Teams", "organisations.teams", Action.VIEW_ORGANISATION),
            Entry("Audit log", "audit.log", Action.VIEW_AUDIT),
            Entry("Webhooks", "webhooks.index", Action.MANAGE_WEBHOOKS),
            Entry("Settings", "organisations.settings", Action.VIEW_ORGANISATION),
        ),
    ),
    Group(
        "Staff",
        (
            Entry("Applications", "partners.staff", Action.STAFF_REVIEW),
            Entry("Programme settings", "partners.settings", Action.EDIT_PROGRAMME_SETTINGS),
            Entry("VAT rates", "billing.staff.vat", Action.EDIT_PROGRAMME_SETTINGS),
            Entry("Payments", "billing.staff.payments", Action.MANAGE_PAYMENTS),
            Entry("Invoices", "billing.staff.invoices", Action.CREDIT_INVOICES),
            Entry("Outbox", "mail.outbox", Action.READ_MAIL_OUTBOX),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str
    current: bool  # the section of the page shown (aria-current)


@dataclass(frozen=True, slots=True)
class ShownGroup:
    label: str
    links: tuple[Link, ...]


def menu_for(
    actor: Actor,
    path: str,
    url_of: Callable[[str], str],
    routes: Collection[str],
) -> tuple[ShownGroup, ...]:
    """ACTOR's menu on the page at PATH: the entries they may follow whose route the app has
    (ROUTES: the outbox exists in development mode only), URLs from URL_OF (a route name's
    URL). The current section is the entry whose URL is the longest start of PATH."""
    shown = [
        (group, [e for e in group.entries if e.route in routes and may_here(actor, e.action)])
        for group in MENU
    ]
    urls = {entry.route: url_of(entry.route) for _, entries in shown for entry in entries}
    section = current_section(path, urls.values())
    return tuple(
        ShownGroup(
            group.label,
            tuple(Link(e.label, urls[e.route], urls[e.route] == section) for e in entries),
        )
        for group, entries in shown
        if entries
    )


def current_section(path: str, urls: Collection[str]) -> str | None:
    """The URL among URLS that PATH is in: itself, or the longest one PATH continues ("/" only
    for itself: every path continues it)."""
    within = [url for url in urls if path == url or (url != "/" and path.startswith(url + "/"))]
    return max(within, key=len, default=None)
