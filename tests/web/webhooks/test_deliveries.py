"""Webhooks against a real https receiver on 127.0.0.1 (a certificate of a test authority):
a change reaches the endpoint signed; a 500 is tried again; a redelivery carries the same
event id, so that the receiver keeps exactly one per event; a rolled-back change sends
nothing; private addresses are refused. The pages: managers only, another organisation's
endpoints and deliveries answer 404, a rotated secret signs beside the previous one."""

from __future__ import annotations

import json
import re
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from piccolo.querystring import QueryString

from portal.access import Actor, Role
from portal.core.current import Current, OrganisationSummary
from portal.piccolo_conf import DB
from portal.webhooks import delivery, rules, services
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType
from tests.factories.api import ALICE, ALPINE, HUBER, demo_browser, organisation_id, scalar
from tests.factories.servers import free_port
from tests.factories.web import post_form

DAVID = "david@demo.partner-portal.test"  # a plain user of Alpine Web Studio
ELISE = "elise@demo.partner-portal.test"  # manages Lumière Digital, not Alpine Web Studio
URL = "https://tickets.example.ch/in"


async def work_off_queue(settings, jobs) -> None:
    """Run the worker until no delivery job is due (a retry's job waits for its time)."""
    import asyncio
    import time

    from portal.jobs.worker import run_worker

    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, stop, jobs=jobs, periodic=()))
    try:
        deadline = time.monotonic() + 30
        while await scalar(
            "SELECT count(*) FROM pgqueuer WHERE entrypoint = {} AND execute_after <= now()",
            "webhooks.deliver",
        ) or await scalar("SELECT count(*) FROM webhook_delivery WHERE status = 'sending'"):
            assert time.monotonic() < deadline, "the due deliveries were not worked off"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=30)


class Receiver:
    """An https server that keeps every request and answers with the statuses queued in
    `answers` (then 200)."""

    def __init__(self, ca: trustme.CA) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"thanks" if status == 200 else b"try later")

            def log_message(self, *args) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/hooks"

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(tmp_path, monkeypatch) -> Iterator[Receiver]:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.setenv(delivery.ALLOW_PRIVATE_ENV, "1")  # the receiver is on loopback
    server = Receiver(ca)
    yield server
    server.stop()


async def current_of(email: str, organisation: str) -> Current:
    organisation_id_ = await organisation_id(organisation)
    account = await scalar("SELECT id FROM account WHERE email = {}", email)
    summary = OrganisationSummary(organisation_id_, organisation, "CHF", "CH", "active")
    return Current(
        0,
        account,
        email,
        "Alice",
        False,
        False,
        summary,
        (),
        Actor(account, organisation_id_, Role.LEGAL_REPRESENTATIVE, in_programme=True),
    )


async def endpoint(settings, url: str, events=tuple(EventType)) -> tuple[int, str]:
    alice = await current_of(ALICE, ALPINE)
    entered = services.EndpointInput(url, "CRM", tuple(e.value for e in events))
    return await services.create_endpoint(settings, alice, entered)


async def deliveries() -> list[dict]:
    return await DB.run_querystring(
        QueryString("SELECT id, status, attempts FROM webhook_delivery ORDER BY id")
    )


async def make_retries_due() -> None:
    await DB.run_querystring(
        QueryString(
            "UPDATE pgqueuer SET execute_after = now() WHERE entrypoint = {}", "webhooks.deliver"
        )
    )


async def test_a_stopped_link_reaches_the_endpoint_signed(client, settings, demo_world, receiver):
    _, secret = await endpoint(settings, receiver.url, [EventType.LINK_STOPPED])
    link = await scalar(
        "SELECT id FROM partner_link WHERE partner = {} AND client = {} AND status = 'active'",
        await organisation_id(ALPINE),
        await organisation_id(HUBER),
    )
    browser = await demo_browser(client, ALICE)
    try:
        stopped = await post_form(
            browser, f"/clients/{link}/stop", {"password": "Alpine-Demo-2026"}
        )
        assert stopped.status_code == 303, stopped.text
    finally:
        await browser.aclose()
    await work_off_queue(settings, delivery.JOBS)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    header = request["headers"]["portal-signature"]
    assert rules.verify(secret, header, request["body"], datetime.now(UTC))
    assert not rules.verify("whsec_another", header, request["body"], datetime.now(UTC))
    event = receiver.events()[0]
    assert event["type"] == "link.stopped" and event["data"]["link_id"] == link
    assert event["id"] == request["headers"]["portal-event-id"]
    assert [d["status"] for d in await deliveries()] == ["delivered"]


async def emit_one(organisation: str, event_type=EventType.INVOICE_ISSUED) -> None:
    async with DB.transaction():
        await emit(event_type, await organisation_id(organisation), {"amount": "10.00"})


async def test_a_500_is_tried_again_and_a_redelivery_keeps_the_event_id(
    client, settings, demo_world, receiver
):
    await endpoint(settings, receiver.url)
    receiver.answers = [500]
    await emit_one(ALPINE)
    await work_off_queue(settings, delivery.JOBS)
    assert [(d["status"], d["attempts"]) for d in await deliveries()] == [("retrying", 1)]
    waiting = await scalar(
        "SELECT execute_after > now() + interval '20 seconds' FROM pgqueuer WHERE entrypoint = {}",
        "webhooks.deliver",
    )
    assert waiting  # the retry waits its back-off (30 s)
    await make_retries_due()
    await work_off_queue(settings, delivery.JOBS)
    assert [(d["status"], d["attempts"]) for d in await deliveries()] == [("delivered", 2)]
    browser = await demo_browser(client, ALICE)
    try:
        first = (await deliveries())[0]["id"]
        again = await post_form(browser, f"/organisation/webhooks/deliveries/{first}/redeliver")
        assert again.status_code == 303, again.text
        page = await browser.get(again.headers["location"])
        assert "500" in page.text and "try later" in page.text  # the answers are listed
    finally:
        await browser.aclose()
    await work_off_queue(settings, delivery.JOBS)
    ids = [event["id"] for event in receiver.events()]
    assert len(ids) == 3 and len(set(ids)) == 1  # three copies of one event: one after de-dup
    statuses = [d["status"] for d in await deliveries()]
    assert statuses == ["delivered", "delivered"]


async def test_each_event_is_delivered_once(client, settings, demo_world, receiver):
    await endpoint(settings, receiver.url)
    for _ in range(5):
        await emit_one(ALPINE)
    await work_off_queue(settings, delivery.JOBS)
    await work_off_queue(settings, delivery.JOBS)  # a second worker pass sends nothing more
    ids = [event["id"] for event in receiver.events()]
    assert len(ids) == 5 and len(set(ids)) == 5


async def test_a_rolled_back_change_sends_nothing(client, settings, demo_world, receiver):
    await endpoint(settings, receiver.url)
    with pytest.raises(RuntimeError):
        async with DB.transaction():
            await emit(EventType.INVOICE_ISSUED, await organisation_id(ALPINE), {"n": 1})
            raise RuntimeError("the change failed")
    await emit_one(HUBER)  # another organisation's event: not this endpoint's
    await work_off_queue(settings, delivery.JOBS)
    assert receiver.requests == []
    assert await scalar("SELECT count(*) FROM webhook_event") == 0


async def test_a_change_that_fails_after_its_event_sends_nothing(
    client, settings, demo_world, receiver, monkeypatch
):
    """Stopping a link emits link.stopped, then the mail to the other side fails: the whole
    change rolls back, the event with it."""
    from portal.clients import services as link_services

    await endpoint(settings, receiver.url, [EventType.LINK_STOPPED])
    link = await scalar(
        "SELECT id FROM partner_link WHERE partner = {} AND client = {} AND status = 'active'",
        await organisation_id(ALPINE),
        await organisation_id(HUBER),
    )

    async def mail_fails(*_args) -> None:
        raise RuntimeError("the mail could not be queued")

    monkeypatch.setattr(link_services, "mail_side", mail_fails)
    with pytest.raises(RuntimeError):
        await link_services.stop_link(
            settings, await current_of(ALICE, ALPINE), link, "Alpine-Demo-2026"
        )
    await work_off_queue(settings, delivery.JOBS)
    assert receiver.requests == []
    assert await scalar("SELECT count(*) FROM webhook_event") == 0
    assert await scalar("SELECT status FROM partner_link WHERE id = {}", link) == "active"


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.ch/x",
        "https://10.0.0.1/hooks",
        "https://localhost/hooks",
        "https://crm.intranet/hooks",
        "https://[::ffff:192.168.1.1]/hooks",
        "https://user:pw@hooks.example.ch/",
    ],
)
async def test_an_endpoint_must_be_a_public_https_address(client, settings, demo_world, url):
    from portal.errors import FormErrors

    with pytest.raises(FormErrors) as refused:
        await endpoint(settings, url)
    assert "url" in refused.value.errors


async def test_a_name_leading_to_a_private_address_is_not_reached(settings, demo_world):
    """Typed as a public name, resolved at delivery to loopback: refused, never sent."""
    endpoint_id, _ = await endpoint(settings, "https://localhost.example.test/x")
    await DB.run_querystring(
        QueryString(
            "UPDATE webhook_endpoint SET url = {} WHERE id = {}", "https://localhost/x", endpoint_id
        )
    )
    await emit_one(ALPINE)
    await work_off_queue(settings, delivery.JOBS)
    error = await scalar("SELECT error FROM webhook_attempt")
    assert error.startswith("Refused")


# --- the pages ---------------------------------------------------------------------------


async def test_a_plain_user_reaches_no_webhook_page(client, settings, demo_world):
    endpoint_id, _ = await endpoint(settings, URL)
    browser = await demo_browser(client, DAVID)
    try:
        assert (await browser.get("/organisation/webhooks")).status_code == 403
        assert (await browser.get(f"/organisation/webhooks/{endpoint_id}")).status_code == 403
        created = await post_form(
            browser, "/organisation/webhooks", {"url": URL, "event_types": "link.granted"}
        )
        assert created.status_code == 403
        rotated = await post_form(browser, f"/organisation/webhooks/{endpoint_id}/rotate")
        assert rotated.status_code == 403
    finally:
        await browser.aclose()
    assert await scalar("SELECT count(*) FROM webhook_endpoint") == 1
    assert await scalar("SELECT previous_secret IS NULL FROM webhook_endpoint")


async def test_another_organisations_endpoint_and_delivery_are_404(client, settings, demo_world):
    endpoint_id, _ = await endpoint(settings, URL)
    await emit_one(ALPINE)
    delivery_id = (await deliveries())[0]["id"]
    secret_before = await scalar("SELECT secret FROM webhook_endpoint")
    browser = await demo_browser(client, ELISE)
    try:
        base = f"/organisation/webhooks/{endpoint_id}"
        assert (await browser.get(base)).status_code == 404
        for action in ("rotate", "switch-off", "remove"):
            assert (await post_form(browser, f"{base}/{action}")).status_code == 404, action
        redelivered = await post_form(
            browser, f"/organisation/webhooks/deliveries/{delivery_id}/redeliver"
        )
        assert redelivered.status_code == 404
        assert URL not in (await browser.get("/organisation/webhooks")).text
    finally:
        await browser.aclose()
    assert await scalar("SELECT secret FROM webhook_endpoint") == secret_before
    assert await scalar("SELECT active FROM webhook_endpoint")
    assert len(await deliveries()) == 1


async def test_a_rotated_secret_signs_beside_the_previous_one(
    client, settings, demo_world, receiver
):
    endpoint_id, first_secret = await endpoint(settings, receiver.url)
    browser = await demo_browser(client, ALICE)
    try:
        rotated = await post_form(browser, f"/organisation/webhooks/{endpoint_id}/rotate")
        assert rotated.status_code == 200, rotated.text
        found = re.search(r'data-testid="webhook-secret">([^<]+)<', rotated.text)
        assert found and found[1] != first_secret
        new_secret = found[1]
        await emit_one(ALPINE)
        await work_off_queue(settings, delivery.JOBS)
        first = await deliveries()
        again = await post_form(
            browser, f"/organisation/webhooks/deliveries/{first[0]['id']}/redeliver"
        )
        assert again.status_code == 303, again.text
    finally:
        await browser.aclose()
    request = receiver.requests[0]
    header, now = request["headers"]["portal-signature"], datetime.now(UTC)
    assert header.count("v1=") == 2
    assert rules.verify(new_secret, header, request["body"], now)
    assert rules.verify(first_secret, header, request["body"], now)
    logged = await scalar(
        "SELECT count(*) FROM audit_event WHERE organisation = {} AND action = {}",
        await organisation_id(ALPINE),
        "webhook.redelivered",
    )
    assert logged == 1


async def test_a_payout_is_told_once_approved_and_a_rejected_one_never(
    client, settings, demo_world, receiver
):
    from decimal import Decimal

    from portal.billing.payments import services as payments
    from portal.billing.payments.services import PayoutRequest
    from portal.demo import DEMO_PASSWORD
    from tests.factories.billing import credit, staff_member

    await endpoint(settings, receiver.url, [EventType.PAYOUT_APPROVED])
    alpine = await organisation_id(ALPINE)
    await credit(alpine, Decimal("100.00"))
    alice, staff = await current_of(ALICE, ALPINE), await staff_member()
    iban = "CH93 0076 2011 6238 5295 7"

    async def payout(amount: str) -> int:
        request = PayoutRequest(Decimal(amount), "CHF", "iban", iban, ALPINE)
        return await payments.request_payout(alice, request, DEMO_PASSWORD, "")

    rejected, approved = await payout("10.00"), await payout("40.00")
    await payments.decide_payout(settings, staff, rejected, False, "Not this account.")
    await work_off_queue(settings, delivery.JOBS)
    assert receiver.requests == []  # requested and rejected: nothing to tell
    await payments.decide_payout(settings, staff, approved, True, "")
    await work_off_queue(settings, delivery.JOBS)
    assert [event["type"] for event in receiver.events()] == ["payout.approved"]
    data = receiver.events()[0]["data"]
    assert data["payout_id"] == approved and data["amount"] == "40.00"
