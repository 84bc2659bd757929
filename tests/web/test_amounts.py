"""Money fields read 1'000.50 and 1 000.50, refuse 1,000 with a message that says how to
write the amount (it was read as 1.00), and refuse huge numbers clearly; nothing is written."""

from __future__ import annotations

import pytest

from portal.accounts.tables import Account
from portal.billing import queries as billing_queries
from portal.billing.tables import LedgerEntry, PaymentRequest
from portal.forms import AMOUNT_TOO_LARGE, COMMA_IN_AMOUNT
from portal.tenders.tables import Tender
from tests.factories.accounts import sign_up
from tests.factories.tenders import tender_form
from tests.factories.web import post_form


def shown(message: str) -> str:
    return message.replace("'", "&#39;")


async def deposits() -> list:
    """The deposits asked for (payment requests: nothing is credited before the bank's
    statement shows them paid)."""
    assert await LedgerEntry.count() == 0
    return [row["amount"] for row in await PaymentRequest.select(PaymentRequest.amount)]


@pytest.mark.parametrize("typed", ["1,000", "1000,50", "1.000,50"])
async def test_a_deposit_with_a_comma_is_explained(client, typed):
    await sign_up(client)
    response = await post_form(client, "/billing/prepaid/deposit", {"amount": typed})
    assert response.status_code == 422
    assert shown(COMMA_IN_AMOUNT) in response.text
    assert await deposits() == []


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("1000", "1000"), ("1000.5", "1000.5"), ("1'000.50", "1000.50"), ("1’000.50", "1000.50")]
    + [("1 000.50", "1000.50"), ("1\u00a0000.50", "1000.50")],
)
async def test_a_deposit_written_as_people_do_is_read(client, typed, amount):
    from decimal import Decimal

    await sign_up(client)
    response = await post_form(
        client, "/billing/prepaid/deposit", {"amount": typed, "currency": "CHF"}
    )
    assert response.status_code == 303
    assert await deposits() == [Decimal(amount)]


@pytest.mark.parametrize("typed", ["9" * 13, "9" * 400])
async def test_a_huge_deposit_is_refused_clearly(client, typed):
    await sign_up(client)
    response = await post_form(client, "/billing/prepaid/deposit", {"amount": typed})
    assert response.status_code == 422 and shown(AMOUNT_TOO_LARGE) in response.text
    assert await deposits() == []


async def test_a_tender_budget_with_a_comma_is_explained(client):
    response = await post_form(client, "/tenders/new", tender_form(budget_max="5,000"))
    assert response.status_code == 422 and shown(COMMA_IN_AMOUNT) in response.text
    assert await Tender.count() == 0
    grouped = await post_form(client, "/tenders/new", tender_form(budget_max="5'000.50"))
    assert grouped.status_code == 303
    assert str((await Tender.select(Tender.budget_max).first())["budget_max"]) == "5000.50"


async def test_a_tier_threshold_with_a_comma_is_explained(client):
    await sign_up(client, "sam@host.ch", name="Sam Staff", organisation="Host SA")
    await Account.update({Account.is_staff: True}).where(Account.email == "sam@host.ch")
    rows = {
        "CHF_name": ["Start", "Gold"],
        "CHF_rate": ["15", "20"],
        "CHF_threshold": ["2000", "10,000"],  # read as 10.00 once
        "EUR_name": ["Start"],
        "EUR_rate": ["15"],
        "EUR_threshold": ["1800"],
    }
    before = await billing_queries.tiers("CHF")
    response = await post_form(client, "/staff/programme/tiers", rows)
    assert response.status_code == 422 and "point for decimals" in response.text
    assert await billing_queries.tiers("CHF") == before
    rows["CHF_threshold"] = ["2000", "10'000"]
    assert (await post_form(client, "/staff/programme/tiers", rows)).status_code == 303
    assert [t.threshold for t in await billing_queries.tiers("CHF")] == [2000, 10000]
