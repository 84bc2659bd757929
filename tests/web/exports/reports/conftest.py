"""Fixtures of the report pages: the app and an in-process worker share a data folder."""

from dataclasses import replace

import pytest

from tests.factories.jobs import start_worker  # noqa: F401


@pytest.fixture
def settings(settings, tmp_path):
    return replace(settings, data_dir=tmp_path / "data")
