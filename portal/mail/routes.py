"""The development outbox: mails the portal would have sent, when no SMTP server is set."""

from __future__ import annotations

from litestar import Request, Response, get

from portal.errors import NotFound
from portal.mail.services import recent_outbox
from portal.web import PUBLIC, page


@get("/dev/outbox", name="mail.outbox", opt=PUBLIC)
async def outbox(request: Request) -> Response:
    if not request.app.state.settings.outbox_visible:
        raise NotFound()
    return page(request, "mail/outbox.html", {"mails": await recent_outbox()})


ROUTES = [outbox]
