import pytest

from portal.directory import cache, services


@pytest.fixture(autouse=True)
def no_background_refresh(monkeypatch, db):
    """A refresh task of one test must not run into the next test's truncation; the tests
    that need a refresh call it themselves."""
    monkeypatch.setattr(services, "BACKGROUND_REFRESH", False)
    cache.clear()
    yield
    cache.clear()
