"""Every request is run again once when PostgreSQL rolled it back for a deadlock or a
serialisation failure (portal.database.CONFLICTS): the person sees the answer of the second
run, not an error.

The error page marks the request when it answers such a conflict (web.error_page); this
middleware then drops that answer before any byte of it leaves and runs the request again
on a fresh copy of its scope, replaying the body the first run read. A body too large to
keep, or an answer already under way (a streamed download), is never run twice."""

from __future__ import annotations

import copy

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import CONNECTION_STATE_KEY

CONFLICT_MARK = "portal.database_conflict"
# A body larger than this is refused by the app anyway (request_max_body_size).
MAX_REPLAYED_BODY = 2 * 1024 * 1024


def mark_conflict(scope: Scope) -> None:
    """Called by the error page: this answer reports a conflict and may be dropped."""
    scope.setdefault("state", {})[CONFLICT_MARK] = True


def retry_conflicts(app: ASGIApp) -> ASGIApp:
    """The middleware (Litestar's `middleware=[...]`)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        fresh_scope = _scope_copy(scope)
        body = _RecordedBody(receive)
        first = _DroppableAnswer(send, scope, body)
        await app(scope, body.receive, first.send)
        if first.dropped:
            await app(fresh_scope, body.replay(), send)

    return middleware


def _scope_copy(scope: Scope) -> Scope:
    """The scope as the request arrived, for a second run: the connection state the router
    set (handlers, route) without what the first run cached in it (body, form, answer)."""
    state = dict(scope.get("state", {}))
    if CONNECTION_STATE_KEY in state:
        connection_state = copy.copy(state[CONNECTION_STATE_KEY])
        connection_state.log_context = dict(connection_state.log_context)
        connection_state.flash_messages = list(connection_state.flash_messages)
        connection_state._compat_ns = dict(connection_state._compat_ns)
        state[CONNECTION_STATE_KEY] = connection_state
    return {**scope, "state": state}


class _RecordedBody:
    """The request's messages as the first run reads them, to be read again."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._messages: list[Message] = []
        self._size = 0

    @property
    def replayable(self) -> bool:
        return self._size <= MAX_REPLAYED_BODY

    async def receive(self) -> Message:
        message = await self._receive()
        if self.replayable:
            self._messages.append(message)
            self._size += len(message.get("body", b""))
        return message

    def replay(self) -> Receive:
        pending = list(self._messages)

        async def receive() -> Message:
            return pending.pop(0) if pending else await self._receive()

        return receive


class _DroppableAnswer:
    """Sends the first run's answer on, unless it is the error page of a conflict."""

    def __init__(self, send: Send, scope: Scope, body: _RecordedBody) -> None:
        self._send = send
        self._scope = scope
        self._body = body
        self.dropped = False

    async def send(self, message: Message) -> None:
        if (
            message["type"] == "http.response.start"
            and self._scope.get("state", {}).get(CONFLICT_MARK)
            and self._body.replayable
        ):
            self.dropped = True
        if not self.dropped:
            await self._send(message)
