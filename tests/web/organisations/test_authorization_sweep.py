"""Every route not marked public sends an anonymous visitor to the login page: a redirect
(303 to /login), never a page (200) and never a crash (500). New routes are swept too."""

from __future__ import annotations

from litestar.routes import HTTPRoute

from tests.factories.web import csrf

PLACEHOLDERS = {int: "1", str: "x"}  # anything else (a path) gets "x" too
NOT_SWEPT = {"OPTIONS", "HEAD"}  # CORS preflight and bodiless GETs: no content to protect


def private_endpoints(app) -> list[tuple[str, str]]:
    """(method, concrete path) of every route handler whose opt lacks public: True."""
    endpoints = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.opt.get("public") is True:
                continue
            for method in set(handler.http_methods) - NOT_SWEPT:
                endpoints.add((method, concrete_path(route)))
    return sorted(endpoints)


def concrete_path(route: HTTPRoute) -> str:
    path = route.path
    for parameter in route.path_parameters.values():
        path = path.replace("{" + parameter.full + "}", PLACEHOLDERS.get(parameter.type, "x"))
    return path


async def test_the_sweep_covers_the_organisation_routes(app):
    endpoints = private_endpoints(app)
    assert ("POST", "/organisation/teams/1/members/1/remove") in endpoints
    assert ("GET", "/organisation/audit/export.csv") in endpoints
    assert ("POST", "/organisations/switch") in endpoints
    assert not any(path.startswith("/invitations/") for _method, path in endpoints)  # public


async def test_every_private_route_sends_an_anonymous_visitor_to_log_in(app, client):
    await client.get("/login")  # a CSRF cookie, so that POSTs reach the handlers
    token = csrf(client)
    assert token
    wrong = []
    for method, path in private_endpoints(app):
        if method == "GET":
            response = await client.get(path)
        elif path.startswith("/api/"):  # the API takes JSON (a form is a 415 before all else)
            response = await client.request(method, path, json={})
        else:
            response = await client.request(method, path, data={"_csrf_token": token})
        location = response.headers.get("location", "")
        if path.startswith("/api/"):  # a program, not a person: no login page, a 401 problem
            if response.status_code != 401:
                wrong.append(f"{method} {path} → {response.status_code}")
        elif response.status_code != 303 or not location.startswith("/login"):
            wrong.append(f"{method} {path} → {response.status_code} {location}")
    assert wrong == [], "\n".join(wrong)


async def test_an_anonymous_htmx_request_is_told_to_load_the_login_page(client):
    response = await client.get("/organisation/members", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login?next=%2Forganisation%2Fmembers"
