import pytest

from portal.directory import cache, services
from portal.directory.tables import DirectoryState


@pytest.fixture(autouse=True)
async def fresh_directory(monkeypatch, db):
    """Each test starts with a directory never refreshed and an empty page cache. A refresh
    task of one test must not run into the next test's truncation: the tests that need a
    refresh call it themselves."""
    monkeypatch.setattr(services, "BACKGROUND_REFRESH", False)
    await DirectoryState.update(
        {DirectoryState.seed_week: 0, DirectoryState.refreshed_at: None}, force=True
    )
    cache.clear()
    yield
    cache.clear()
