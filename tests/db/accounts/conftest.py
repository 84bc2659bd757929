"""Accounts made straight through the services, for tests below the HTTP layer."""

from __future__ import annotations

import pytest

from portal.accounts import services
from portal.core.origin import Origin
from portal.organisations.rules import OrganisationDetails
from portal.organisations.services import sign_up as sign_up_with_organisation
from portal.settings import Settings

PASSWORD = "Correct-Horse-Battery-9"
HERE = Origin(ip_address="192.0.2.10", user_agent="pytest browser")


async def new_account(email: str = "anna@example.ch", name: str = "Anna Muster") -> int:
    details = OrganisationDetails(name=f"{name} GmbH", kind="company", country="CH", currency="CHF")
    await sign_up_with_organisation(name, email, PASSWORD, details, HERE)
    account = await services.queries.account_by_email(email)
    return account["id"]


@pytest.fixture
def account_settings(db: str) -> Settings:
    """Settings without SMTP: mails go to the outbox table only."""
    return Settings(secret_key="test-secret-key", base_url="https://portal.test", database_url=db)
