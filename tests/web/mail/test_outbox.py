"""The mail outbox holds reset links and invitation tokens: its page exists only in development
mode, and even there only the host's staff see it (404 to everyone else, like every hidden
thing). A portal without a mail server says so at start and to its staff."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal

import httpx
import pytest

from portal import cli
from portal.accounts.tables import Account
from portal.mail.services import Mail, queue_mail
from tests.factories.accounts import sign_up
from tests.factories.web import another_browser

RESET_MAIL = Mail(
    "victim@example.ch", "Reset your password", "https://portal.test/password/reset/s3cret"
)
FOOTER_LINK = 'href="/dev/outbox"'


async def make_staff(email: str) -> None:
    await Account.update({Account.is_staff: True}).where(Account.email == email)


@pytest.fixture
async def production_client(settings):
    """The portal as production runs it: no development mode, no SMTP server."""
    from portal.app import create_app

    app = create_app(dataclasses.replace(settings, development=False))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://portal.test"
    ) as client:
        yield client


async def test_in_production_the_outbox_page_does_not_exist_even_for_staff(production_client):
    await queue_mail(RESET_MAIL)
    anonymous = await production_client.get("/dev/outbox")
    assert anonymous.status_code == 404 and "s3cret" not in anonymous.text
    await sign_up(production_client, "sam@host.example", organisation="Host AG")
    await make_staff("sam@host.example")
    as_staff = await production_client.get("/dev/outbox")
    assert as_staff.status_code == 404 and "s3cret" not in as_staff.text
    home = await production_client.get("/")
    assert FOOTER_LINK not in home.text


async def test_in_development_only_staff_read_the_outbox(client):
    await queue_mail(RESET_MAIL)
    anonymous = await client.get("/dev/outbox")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

    await sign_up(client, "anna@example.ch")
    as_member = await client.get("/dev/outbox")
    assert as_member.status_code == 404 and "s3cret" not in as_member.text
    assert FOOTER_LINK not in (await client.get("/")).text

    async with another_browser(client) as staff:
        await sign_up(staff, "sam@host.example", organisation="Host AG")
        await make_staff("sam@host.example")
        as_staff = await staff.get("/dev/outbox")
        assert as_staff.status_code == 200
        assert "Reset your password" in as_staff.text and "s3cret" in as_staff.text
        assert FOOTER_LINK in (await staff.get("/")).text


async def test_without_a_mail_server_staff_pages_say_that_mail_is_held(client):
    await sign_up(client, "anna@example.ch")
    assert 'data-testid="mail-held"' not in (await client.get("/")).text  # not staff
    await make_staff("anna@example.ch")
    for path in ("/", "/staff", "/staff/programme"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert 'data-testid="mail-held"' in page.text, path
        assert "nobody receives them" in page.text


async def test_with_a_mail_server_staff_see_no_such_banner(mail_client):
    await sign_up(mail_client, "anna@example.ch")
    await make_staff("anna@example.ch")
    assert 'data-testid="mail-held"' not in (await mail_client.get("/staff")).text


def _serve(monkeypatch, capsys, *, demo: bool, smtp_host: str | None) -> str:
    """`portal serve`, up to where granian would start: what it printed on stderr."""
    monkeypatch.setenv("PORTAL_SECRET_KEY", "test")
    for name in ("PORTAL_DEVELOPMENT", "PORTAL_BASE_URL", "SMTP_HOST"):
        monkeypatch.setenv(name, "")  # whatever serve sets is undone after the test
        monkeypatch.delenv(name)
    if smtp_host:
        monkeypatch.setenv("SMTP_HOST", smtp_host)

    async def migrated() -> None:
        return None

    monkeypatch.setattr(cli, "_migrate", migrated)
    monkeypatch.setattr(cli, "_load_demo", lambda size: True)
    monkeypatch.setattr(cli, "_serve_web", lambda args: None)
    monkeypatch.setattr("portal.jobs.process.SupervisedWorker", NoWorker)
    ctrl_c = signal.getsignal(signal.SIGINT)
    cli.serve_portal(argparse.Namespace(host="127.0.0.1", port=8999, demo=demo))
    assert signal.getsignal(signal.SIGINT) == ctrl_c  # left as it was, for the tests after
    return capsys.readouterr().err


class NoWorker:
    """`serve`'s job worker, not started: these tests read what serve says."""

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


def test_serve_without_smtp_warns_loudly_and_stays_out_of_development_mode(monkeypatch, capsys):
    said = _serve(monkeypatch, capsys, demo=False, smtp_host=None)
    assert "NO MAIL SERVER" in said and "NOBODY RECEIVES THEM" in said
    assert "PORTAL_DEVELOPMENT" not in os.environ


def test_serve_demo_turns_on_development_mode(monkeypatch, capsys):
    said = _serve(monkeypatch, capsys, demo=True, smtp_host=None)
    assert os.environ["PORTAL_DEVELOPMENT"] == "1"
    assert "/dev/outbox" in said and "NO MAIL SERVER" not in said


def test_serve_with_smtp_says_nothing_of_mail(monkeypatch, capsys):
    said = _serve(monkeypatch, capsys, demo=False, smtp_host="mail.example.ch")
    assert said == "Stopped.\n"  # once the server has stopped, and nothing else
