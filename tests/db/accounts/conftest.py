"""Accounts made straight through the services, for tests below the HTTP layer."""

from __future__ import annotations

import pytest

from portal.settings import Settings


@pytest.fixture
def account_settings(db: str) -> Settings:
    """Settings without SMTP: mails go to the outbox table only."""
    return Settings(secret_key="test-secret-key", base_url="https://portal.test", database_url=db)
