"""The main menu's table and its current section (portal/core/navigation.py)."""

from __future__ import annotations

import pytest

from portal.app import create_app
from portal.core.navigation import MENU, current_section
from portal.settings import Settings
from portal.web import route_names

URLS = ["/", "/clients", "/staff", "/staff/programme", "/organisation/members"]


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/", "/"),
        ("/clients", "/clients"),
        ("/clients/12/people/invite", "/clients"),
        ("/clientsx", None),  # a longer word is another page
        ("/staff/organisations/3", "/staff"),
        ("/staff/programme", "/staff/programme"),  # the longest start wins
        ("/organisation/members/4/products", "/organisation/members"),
        ("/organisation/partners", None),  # "/" is the overview only, not every page
    ],
)
def test_the_current_section_is_the_longest_start_of_the_path(path, section):
    assert current_section(path, URLS) == section


def test_every_entry_of_the_menu_names_a_route_of_the_app():
    app = create_app(Settings(secret_key="test", development=True))
    names = route_names(app)
    missing = [e.route for group in MENU for e in group.entries if e.route not in names]
    assert missing == []
