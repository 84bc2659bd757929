"""A session records the browser's address: behind a trusted proxy, the one it forwarded."""

import dataclasses

import httpx
import pytest

from portal.proxies import trusted_networks
from tests.factories.accounts import sign_up

FORWARDED = {"X-Forwarded-For": "10.9.9.9, 198.51.100.1"}


@pytest.fixture
async def proxied_client(settings):
    """The test client connects from 127.0.0.1, declared here as the portal's proxy."""
    from portal.app import create_app

    behind_proxy = dataclasses.replace(settings, trusted_proxies=trusted_networks("127.0.0.1"))
    transport = httpx.ASGITransport(app=create_app(behind_proxy))
    async with httpx.AsyncClient(
        transport=transport, base_url="https://portal.test", headers=FORWARDED
    ) as client:
        yield client


async def test_behind_the_trusted_proxy_the_forwarded_address_is_recorded(proxied_client):
    await sign_up(proxied_client)
    page = (await proxied_client.get("/account/sessions")).text
    assert "198.51.100.1" in page and "10.9.9.9" not in page


async def test_a_line_the_browser_forged_is_not_believed(proxied_client):
    # the browser's own header line comes first; the proxy adds its line after it
    proxied_client.headers = httpx.Headers(
        [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.1")]
    )
    await sign_up(proxied_client)
    page = (await proxied_client.get("/account/sessions")).text
    assert "198.51.100.1" in page and "6.6.6.6" not in page


async def test_from_anyone_else_the_header_is_ignored(client):
    client.headers.update(FORWARDED)
    await sign_up(client)
    page = (await client.get("/account/sessions")).text
    assert "127.0.0.1" in page and "198.51.100.1" not in page
