"""Test fixtures: a real PostgreSQL (embedded unless DATABASE_URL is set), the app, a client
and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from argon2 import PasswordHasher

from portal import database
from portal.accounts import passwords
from portal.piccolo_conf import DB
from portal.settings import Settings
from tests.factories.database import remember_what_the_migrations_made, reset_database
from tests.factories.mail import MailCatcher
from tests.factories.servers import ROOT, free_port

# One database per test process, so that runs side by side never drop each other's.
TEST_DATABASE = f"portal_test_{os.getpid()}"


def _test_database_url() -> str:
    """A fresh, empty test database: on the server of DATABASE_URL if set, else embedded."""
    given = os.environ.get("DATABASE_URL")
    if given:
        return _recreate_database(given)
    server = database.start_embedded_postgres(ROOT / "var" / "test")
    server.psql(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE);")
    return database.ensure_database(server, TEST_DATABASE)


def _recreate_database(url: str) -> str:
    import asyncio

    import asyncpg

    async def recreate() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
            await connection.execute(f"CREATE DATABASE {TEST_DATABASE}")
        finally:
            await connection.close()

    asyncio.run(recreate())
    return urlunsplit(urlsplit(url)._replace(path=f"/{TEST_DATABASE}"))


@pytest.fixture(scope="session")
def database_url():
    url = _test_database_url()
    os.environ["PORTAL_TEST_DATABASE_URL"] = url
    yield url
    _drop_database(url)


def _drop_database(url: str) -> None:
    import asyncio

    import asyncpg

    async def drop() -> None:
        connection = await asyncpg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
        try:
            await connection.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
        finally:
            await connection.close()

    asyncio.run(drop())


@pytest.fixture(scope="session", autouse=True)
def page_addresses():
    """Services and jobs called without an app write the links of their mails from the
    route names, as `portal worker` does."""
    from portal.app import install_page_addresses

    install_page_addresses()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """argon2id still, with test-sized costs: hashing is exercised, not benchmarked."""
    passwords.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> AsyncIterator[str]:
    database.bind(database_url)
    await database.migrate()
    await DB.start_connection_pool(min_size=1, max_size=10)
    await remember_what_the_migrations_made()
    yield database_url
    await DB.close_connection_pool()


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[str]:
    """A database as the migrations left it, for one test (tests/factories/database.py)."""
    await reset_database()
    yield migrated


@pytest.fixture
def settings(db: str) -> Settings:
    """Development mode, as `portal serve --demo`: staff may read the mail outbox."""
    return Settings(
        secret_key="test-secret-key",
        base_url="https://portal.test",
        database_url=db,
        development=True,
    )


@pytest.fixture
async def app(settings: Settings):
    from portal.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app):
    """An HTTP client on the test's own event loop (the pool lives there). https, so that
    Secure cookies are sent, as a browser does."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://portal.test"
    ) as test_client:
        yield test_client


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    catcher = MailCatcher()
    catcher.port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    yield catcher
    controller.stop()


@pytest.fixture
def mail_settings(db: str, smtp: MailCatcher) -> Settings:
    """Settings that send mail to the test SMTP server."""
    return Settings(
        secret_key="test-secret-key",
        base_url="https://portal.test",
        database_url=db,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        development=True,
    )


@pytest.fixture
async def mail_client(mail_settings: Settings):
    from portal.app import create_app

    app = create_app(mail_settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://portal.test"
    ) as test_client:
        yield test_client
