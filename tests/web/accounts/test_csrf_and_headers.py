"""CSRF on every unsafe request, cookie attributes, and the security headers of pages."""

from __future__ import annotations

import re

import pytest

from tests.factories.accounts import log_in, log_out, sign_up
from tests.factories.web import browser_at, csrf, post_form, set_cookie_headers

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def unsafe_routes(app) -> list[tuple[str, str]]:
    """Every unsafe method and path of the pages, path parameters filled in. (The API under
    /api/ takes no cookie, so no CSRF token: a request without its token is a 401.)"""
    found = []
    for route in app.routes:
        if route.path.startswith("/api/"):
            continue
        path = re.sub(r"\{[^}:]+:int\}", "1", route.path)
        path = re.sub(r"\{[^}]+\}", "x", path)
        found += [(method, path) for method in sorted(route.methods & UNSAFE)]
    return found


async def test_every_unsafe_request_without_a_csrf_token_is_refused(client, app):
    await sign_up(client)
    routes = unsafe_routes(app)
    assert ("POST", "/account/two-factor/disable") in routes
    for method, path in routes:
        response = await client.request(method, path, data={"password": "x"})
        assert response.status_code == 403, (method, path)
        assert "This form has expired" in response.text


async def test_a_wrong_csrf_token_is_refused(client):
    await sign_up(client)
    response = await client.post(
        "/account/sessions/end-others", data={"_csrf_token": "forged" + csrf(client)[6:]}
    )
    assert response.status_code == 403


async def test_a_token_from_another_browser_is_refused(client, app):
    await sign_up(client)
    async with browser_at(app) as other:
        await other.get("/login")
        foreign = csrf(other)
    response = await client.post("/account/sessions/end-others", data={"_csrf_token": foreign})
    assert response.status_code == 403


async def test_htmx_sends_the_token_in_a_header(client):
    await sign_up(client)
    response = await client.post(
        "/account/sessions/end-others",
        headers={"hx-request": "true", "x-csrftoken": csrf(client)},
    )
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/account/sessions"


async def test_every_page_has_the_token_for_htmx_on_its_body(client):
    page = await client.get("/login")
    assert f'hx-headers=\'{{"x-csrftoken": "{csrf(client)}"}}\'' in page.text


# --- cookies -------------------------------------------------------------------------------


async def cookies_of_a_visit(client) -> list[str]:
    """Every Set-Cookie header of: first page, sign-up, log-out, the page showing the flash
    (which clears it), log-in, log-out."""
    responses = [await client.get("/login"), await signed_up_and_logged_in(client)]
    responses.append(await log_out(client))
    responses.append(await client.get("/login"))
    responses.append(await log_in(client, "anna@example.ch"))
    responses.append(await log_out(client))
    return [header for r in responses for header in r.headers.get_list("set-cookie")]


async def signed_up_and_logged_in(client):
    await sign_up(client)
    return await log_in(client, "anna@example.ch")


async def test_every_cookie_is_host_prefixed_secure_httponly_lax_and_site_wide(client):
    headers = await cookies_of_a_visit(client)
    names = {header.split("=", 1)[0] for header in headers}
    assert {"__Host-csrf", "__Host-session", "__Host-device", "__Host-flash"} <= names
    for header in headers:
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        assert header.startswith("__Host-"), header
        assert "secure" in attributes, header
        assert "httponly" in attributes, header
        assert "samesite=lax" in attributes, header
        assert "path=/" in attributes, header
        assert not any(a.startswith("domain=") for a in attributes), header


async def test_the_session_cookie_lasts_as_long_as_the_browser_only(client):
    await client.get("/login")
    header = set_cookie_headers(await signed_up_and_logged_in(client))["__Host-session"]
    assert "max-age" not in header.lower() and "expires" not in header.lower()


# --- security headers ----------------------------------------------------------------------


def assert_security_headers(response) -> None:
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in {"same-origin", "strict-origin-when-cross-origin"}
    assert "HX-Request" in response.headers["vary"]


@pytest.mark.parametrize("path", ["/login", "/signup", "/password/forgot"])
async def test_public_pages_carry_the_security_headers(client, path):
    assert_security_headers(await client.get(path))


@pytest.mark.parametrize("path", ["/account/security", "/account/sessions"])
async def test_pages_behind_login_are_never_stored(client, path):
    await sign_up(client)
    response = await client.get(path)
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["cache-control"] == "no-store"
    assert 'hx-history="false"' in response.text


async def test_a_form_with_errors_carries_the_headers_too(client):
    await sign_up(client)
    invalid = await post_form(client, "/account/two-factor/disable", {"password": "wrong-1"})
    assert invalid.status_code == 422
    assert_security_headers(invalid)
    assert invalid.headers["cache-control"] == "no-store"


# --- https only, once served over https ------------------------------------------------------

HSTS = "max-age=31536000; includeSubDomains"


async def test_with_an_https_base_url_every_answer_asks_for_https_only(client):
    """The tests' portal lives at https://portal.test: pages, redirects, errors, static files
    and the health check all carry Strict-Transport-Security for a year."""
    answers = [
        await client.get("/login"),
        await client.get("/account/security"),  # a redirect to log in
        await client.get("/no/such/page"),
        await client.get("/static/app.css"),
        await client.get("/health"),
    ]
    assert [a.status_code for a in answers] == [200, 303, 404, 200, 200]
    for answer in answers:
        assert answer.headers["strict-transport-security"] == HSTS


async def test_with_an_http_base_url_no_answer_asks_for_https_only(settings):
    import dataclasses

    import httpx

    from portal.app import create_app

    app = create_app(dataclasses.replace(settings, base_url="http://127.0.0.1:8000"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
    ) as plain:
        for path in ("/login", "/no/such/page", "/health"):
            assert "strict-transport-security" not in (await plain.get(path)).headers
