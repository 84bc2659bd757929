"""The mails written outside the app (`portal worker`, the commands) link pages through the
same route names as the app: every page the app serves has its address there too."""

from __future__ import annotations

from litestar import Litestar

from portal.app import DEPENDENCIES, PAGES, create_app
from portal.settings import Settings


def named_paths(app: Litestar) -> set[tuple[str, str]]:
    return {
        (handler.name, route.path)
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if handler.name
    }


def test_every_page_of_the_app_has_an_address_for_mails():
    app = create_app(Settings(secret_key="s" * 32, development=False))
    pages = Litestar(route_handlers=PAGES, dependencies=DEPENDENCIES, openapi_config=None)
    served = {
        (name, path) for name, path in named_paths(app) if not path.startswith(("/api/", "/static"))
    }
    assert served - named_paths(pages) == set()
    assert ("renewals.partner", "/partner/renewals") in named_paths(pages)
