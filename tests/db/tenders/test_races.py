"""Two acceptances racing (two clicks, two tabs, two quotes): exactly one quote wins, the
other request is told the tender is decided, and the database holds one accepted quote."""

import asyncio

import asyncpg
import pytest

from portal.errors import Conflict
from portal.tenders import services
from portal.tenders.rules import quote_version
from portal.tenders.tables import Quote, Tender
from tests.factories.tenders import (
    SETTINGS,
    client_current,
    partner_current,
    posted_by_client,
    quote_input,
)


async def outcome(coroutine) -> str:
    try:
        await coroutine
    except Conflict as error:
        return "refused: " + error.detail
    return "won"


async def two_quotes():
    author = await client_current()
    first = await partner_current("First AG", "first@first.ch", categories=("email",))
    second = await partner_current("Second AG", "second@second.ch", categories=("email",))
    tender_id = await posted_by_client(author)
    await services.submit_quote(SETTINGS, first, tender_id, quote_input("900"))
    await services.submit_quote(SETTINGS, second, tender_id, quote_input("1100"))
    quotes = await Quote.select(Quote.id).order_by(Quote.id)
    return author, tender_id, [q["id"] for q in quotes]


async def seen(quote_id: int) -> str:
    """The quote's version as the author's page shows it."""
    row = await Quote.select(Quote.updated_at).where(Quote.id == quote_id).first()
    return quote_version(row["updated_at"])


async def test_two_different_quotes_accepted_at_once_one_wins(db):
    author, tender_id, quote_ids = await two_quotes()
    author_ = services.Author(current=author)

    results = await asyncio.gather(
        *[
            outcome(services.accept_quote(SETTINGS, author_, tender_id, q, await seen(q)))
            for q in quote_ids
        ]
    )

    assert sorted(r.split(":")[0] for r in results) == ["refused", "won"]
    assert any("decided" in r for r in results)
    statuses = sorted(q["status"] for q in await Quote.select(Quote.status))
    assert statuses == ["accepted", "declined"]
    tender = await Tender.select(Tender.status).first()
    assert tender["status"] == "decided"


async def test_a_double_click_on_one_quote_accepts_it_once(db):
    author, tender_id, quote_ids = await two_quotes()
    author_ = services.Author(current=author)

    version = await seen(quote_ids[0])
    results = await asyncio.gather(
        *[
            outcome(services.accept_quote(SETTINGS, author_, tender_id, quote_ids[0], version))
            for _click in range(2)
        ]
    )

    assert sorted(r.split(":")[0] for r in results) == ["refused", "won"]
    assert await Quote.count().where(Quote.status == "accepted") == 1


async def test_the_database_itself_refuses_a_second_accepted_quote(db):
    """Should a future code path forget the row lock, the partial unique index still holds."""
    _author, _tender_id, quote_ids = await two_quotes()
    await Quote.update({Quote.status: "accepted"}).where(Quote.id == quote_ids[0])
    with pytest.raises(asyncpg.UniqueViolationError):
        await Quote.update({Quote.status: "accepted"}).where(Quote.id == quote_ids[1])


async def test_a_partner_answers_once_even_when_two_quotes_race(db):
    author = await client_current()
    first = await partner_current("First AG", "first@first.ch", categories=("email",))
    tender_id = await posted_by_client(author)

    results = await asyncio.gather(
        outcome(services.submit_quote(SETTINGS, first, tender_id, quote_input("900"))),
        outcome(services.submit_quote(SETTINGS, first, tender_id, quote_input("950"))),
    )

    assert sorted(r.split(":")[0] for r in results) == ["refused", "won"]
    assert await Quote.count() == 1
