"""Shared by the directory's database and web tests."""

import pytest

from portal.directory import cache
from portal.directory.tables import DirectoryState


@pytest.fixture(autouse=True)
async def fresh_directory(db):
    """Each test starts with a directory never refreshed and an empty page cache."""
    await DirectoryState.update(
        {DirectoryState.seed_week: 0, DirectoryState.refreshed_at: None}, force=True
    )
    cache.clear()
    yield
    cache.clear()
