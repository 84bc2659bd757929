"""One name per concept: every route's name starts with the package that serves it (README,
Layout), so a name says where its code lives."""

from __future__ import annotations


def test_every_route_is_named_after_its_package(app):
    wrong = []
    for route in app.routes:
        for handler in route.route_handlers:
            module = handler.fn.__module__
            if not module.startswith("portal.") or module == "portal.app":
                continue  # Litestar's static files; the app's own /health
            package = module.split(".")[1]
            if not (handler.name or "").startswith(f"{package}."):
                wrong.append(f"{route.path}: {handler.name!r} served by {module}")
    assert wrong == []
