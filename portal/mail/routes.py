"""The development outbox: the mails the portal wrote, for the host's staff, in development
mode only (`portal serve --demo`, the tests). The app of a production portal has no such
route: the outbox holds reset links and invitation tokens."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency

from portal.access import Action, StaffResource, require
from portal.core.current import Current
from portal.mail.services import recent_outbox
from portal.web import page


@get("/dev/outbox", name="mail.outbox")
async def outbox(request: Request, current: NamedDependency[Current]) -> Response:
    require(current.actor, Action.READ_MAIL_OUTBOX, StaffResource())
    return page(request, "mail/outbox.html", {"mails": await recent_outbox()})


DEVELOPMENT_ROUTES = [outbox]
