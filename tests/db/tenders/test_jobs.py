"""The hourly jobs and a partner's record: expiry is written down and told, unconfirmed
tenders go after 7 days, and received / answered / won are counted per partner."""

from datetime import UTC, datetime, timedelta

from portal.tenders import queries, services
from portal.tenders.rules import TenderRecord, quote_version
from portal.tenders.tables import Quote, Tender
from tests.factories.tenders import (
    SETTINGS,
    client_current,
    mails_to,
    partner_current,
    posted_by_client,
    quote_input,
    tender_input,
)


async def test_close_expired_tenders_writes_the_expiry_and_tells_author_and_quoters(db):
    author = await client_current()
    quoting = await partner_current("Quoting AG", "q@quoting.ch", categories=("email",))
    await partner_current("Silent AG", "s@silent.ch", categories=("email",))
    due = await posted_by_client(author, days=2)
    later = await posted_by_client(author, title="Later", days=30)
    await services.submit_quote(SETTINGS, quoting, due, quote_input())

    assert await services.close_expired_tenders(datetime.now(UTC), SETTINGS) == 0
    in_three_days = datetime.now(UTC) + timedelta(days=3)
    assert await services.close_expired_tenders(in_three_days, SETTINGS) == 1
    assert await services.close_expired_tenders(in_three_days, SETTINGS) == 0  # once

    statuses = {t["id"]: t["status"] for t in await Tender.select(Tender.id, Tender.status)}
    assert statuses == {due: "expired", later: "open"}
    author_mails = [m["subject"] for m in await mails_to("cleo@client.ch")]
    assert "Your tender closed at its deadline: Move our mail to the host" in author_mails
    assert (await mails_to("q@quoting.ch"))[-1]["subject"].startswith("Tender closed:")
    assert all(not m["subject"].startswith("Tender closed") for m in await mails_to("s@silent.ch"))


async def test_purge_removes_only_unconfirmed_tenders_older_than_seven_days(db):
    author = await client_current()
    opened = await posted_by_client(author)
    await services.post_as_visitor(
        SETTINGS,
        tender_input(author_name="Vera", author_email="vera@example.ch"),
        "10.0.0.2",
    )
    now = datetime.now(UTC)
    assert await services.purge_unconfirmed_tenders(now + timedelta(days=6)) == 0
    assert await services.purge_unconfirmed_tenders(now + timedelta(days=7, minutes=1)) == 1
    assert [t["id"] for t in await Tender.select(Tender.id)] == [opened]


async def test_tender_records_count_received_answered_and_won(db):
    author = await client_current()
    winner = await partner_current("Winner AG", "w@winner.ch", categories=("email",))
    loser = await partner_current("Loser AG", "l@loser.ch", categories=("email",))
    silent = await partner_current("Silent AG", "s@silent.ch", categories=("email", "hosting"))
    first = await posted_by_client(author)
    await posted_by_client(author, title="Hosting", category="hosting")
    await services.submit_quote(SETTINGS, winner, first, quote_input("800"))
    await services.submit_quote(SETTINGS, loser, first, quote_input("900"))
    winning = (
        await Quote.select(Quote.id, Quote.updated_at).where(
            Quote.partner == winner.organisation.id
        )
    )[0]
    await services.accept_quote(
        SETTINGS,
        services.Author(current=author),
        first,
        winning["id"],
        quote_version(winning["updated_at"]),
    )

    records = await queries.tender_records()
    assert records == {
        winner.organisation.id: TenderRecord(1, 1, 1),
        loser.organisation.id: TenderRecord(1, 1, 0),
        silent.organisation.id: TenderRecord(2, 0, 0),
    }
    assert await queries.tender_records([loser.organisation.id, 10**12]) == {
        loser.organisation.id: TenderRecord(1, 1, 0)
    }
    assert await queries.tender_record(author.organisation.id) == TenderRecord()


async def test_routed_partners_are_mailed_once_by_the_queued_job(db):
    from portal.tenders.tables import TenderRecipient
    from tests.factories.tenders import queued_notifications

    author = await client_current()
    await partner_current("Told AG", "t@told.ch", categories=("email",))
    tender_id = await posted_by_client(author)
    assert await queued_notifications() == 1  # queued with the routing, in its transaction
    assert await mails_to("t@told.ch") == []

    assert await services.notify_recipients(SETTINGS, tender_id) == 1
    assert await services.notify_recipients(SETTINGS, tender_id) == 0  # a retry mails nobody
    assert [m["subject"] for m in await mails_to("t@told.ch")] == [
        "New tender: Move our mail to the host"
    ]
    assert await TenderRecipient.count().where(TenderRecipient.mailed_at.is_null()) == 0
    assert await services.notify_recipients(SETTINGS, 10**6) == 0  # deleted since


async def test_a_tender_nobody_receives_queues_nothing(db):
    from tests.factories.tenders import queued_notifications

    await posted_by_client(await client_current())
    assert await queued_notifications() == 0


async def test_a_partner_flagged_after_the_routing_is_not_mailed_by_the_job(db):
    """It can no longer open the tender (404): an excerpt by mail would tell it of a tender
    it may not answer."""
    from portal.organisations.tables import Organisation
    from portal.tenders.tables import TenderRecipient

    author = await client_current()
    await partner_current("Told AG", "t@told.ch", categories=("email",))
    flagged = await partner_current("Flagged AG", "f@flagged.ch", categories=("email",))
    tender_id = await posted_by_client(author)  # routed to both
    await Organisation.update({Organisation.partner_status: "flagged"}).where(
        Organisation.id == flagged.organisation.id
    )

    assert await services.notify_recipients(SETTINGS, tender_id) == 1
    assert await mails_to("f@flagged.ch") == []
    assert len(await mails_to("t@told.ch")) == 1
    unmailed = await TenderRecipient.select(TenderRecipient.partner).where(
        TenderRecipient.mailed_at.is_null()
    )
    assert unmailed == [{"partner": flagged.organisation.id}]
