"""Addresses of the portal's pages in mails: the configured base URL, then the path of a
route name, from the app's own route reverse. Services and jobs write mails without a request
at hand; the app (`create_app`) and the other processes (`portal worker`, the commands)
install the routes' reverse here when they start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

_reverse: Callable[..., str] | None = None


class HasBaseUrl(Protocol):
    base_url: str


def install(reverse: Callable[..., str]) -> None:
    """REVERSE (a Litestar app's `route_reverse`) makes the paths from now on."""
    global _reverse
    _reverse = reverse


def page_url(settings: HasBaseUrl, name: str, **path_parameters: Any) -> str:
    """The public address of the route NAME, e.g. page_url(settings, "clients.show", link_id=3)."""
    if _reverse is None:
        raise RuntimeError("The portal's routes are not installed (portal.core.urls.install).")
    return settings.base_url + _reverse(name, **path_parameters)
