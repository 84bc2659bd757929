"""Report scoping and totals against the real database: what each actor gets, and sums that
equal the portal's invoices and ledger to the cent."""

from datetime import date
from decimal import Decimal

import pytest
from piccolo.querystring import QueryString

from portal.core.current import actor_in
from portal.errors import Forbidden, FormErrors, NotFound
from portal.exports.billing_report import (
    ReportRequest,
    count_report_lines,
    exportable_clients,
    load_report,
)
from portal.piccolo_conf import DB
from tests.factories.exports import build_world

Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def request_for(world, email, *, client_ids=(), period=Q3, **more) -> ReportRequest:
    return ReportRequest(
        world.partner,
        *period,
        client_ids=tuple(client_ids),
        requested_by=world.people[email],
        **more,
    )


async def test_a_legal_representative_gets_every_client_line_of_the_period(db):
    world = await build_world()
    report = await load_report(None, request_for(world, "legal@muster.ch"))
    lines = report.lines
    assert sorted(lines["client_id"].unique()) == sorted(
        [world.full_client, world.restricted_client, world.partner_paid_client, world.former_client]
    )
    assert len(lines) == 5 == await count_report_lines(None, request_for(world, "legal@muster.ch"))
    assert lines["issued_on"].min() >= pd_timestamp(Q3[0])
    assert report.partner_name == "Muster Web AG"


def pd_timestamp(day):
    import pandas as pd

    return pd.Timestamp(day)


async def test_client_paid_invoices_of_restricted_or_former_clients_are_cashback_only(db):
    world = await build_world()
    lines = (await load_report(None, request_for(world, "legal@muster.ch"))).lines
    hidden = lines[lines["client_id"].isin([world.restricted_client, world.former_client])]
    assert len(hidden) == 2
    assert not hidden["shown"].any()
    assert (hidden[["public_price", "amount", "discount", "vat", "volume_rate"]] == 0).all().all()
    assert set(hidden["invoice_number"]) == {""} and set(hidden["vat_rule"]) == {""}
    assert sorted(hidden["cashback"]) == [200, 4000]
    full = lines[lines["client_id"] == world.full_client]
    assert full["shown"].all() and full["amount"].tolist() == [10005, 3333]
    paid = lines[lines["client_id"] == world.partner_paid_client]
    assert paid["partner_paid"].all() and paid["discount"].tolist() == [1000]


async def test_totals_equal_the_database_to_the_cent(db):
    world = await build_world()
    lines = (await load_report(None, request_for(world, "legal@muster.ch"))).lines
    shown = lines[lines["shown"]]
    invoice_ids = [int(i) for i in shown["invoice_id"].unique()]
    sums = (
        await DB.run_querystring(
            QueryString(
                "SELECT sum(net) AS net, sum(vat) AS vat, sum(gross) AS gross FROM invoice "
                "WHERE id = ANY({})",
                invoice_ids,
            )
        )
    )[0]
    assert Decimal(int(shown["amount"].sum())) / 100 == sums["net"]
    assert Decimal(int(shown["vat"].sum())) / 100 == sums["vat"]
    assert Decimal(int((shown["amount"] + shown["vat"]).sum())) / 100 == sums["gross"]
    ledger = (
        await DB.run_querystring(
            QueryString(
                "SELECT sum(e.amount) AS cashback FROM ledger_entry e JOIN invoice i "
                "ON i.id = e.invoice WHERE e.organisation = {} AND e.kind = 'cashback' "
                "AND i.issued_on BETWEEN {} AND {}",
                world.partner,
                *Q3,
            )
        )
    )[0]
    assert Decimal(int(lines["cashback"].sum())) / 100 == ledger["cashback"]


async def test_a_collaborator_gets_only_the_clients_given_to_them(db):
    world = await build_world()
    request = request_for(world, "helper@muster.ch")
    lines = (await load_report(None, request)).lines
    assert set(lines["client_id"]) == {world.full_client}
    with pytest.raises(NotFound):
        await load_report(
            None, request_for(world, "helper@muster.ch", client_ids=[world.restricted_client])
        )


async def test_a_selection_narrows_the_report(db):
    world = await build_world()
    request = request_for(world, "admin@muster.ch", client_ids=[world.partner_paid_client])
    lines = (await load_report(None, request)).lines
    assert set(lines["client_id"]) == {world.partner_paid_client}


async def test_a_user_with_billing_rights_but_no_client_gets_an_empty_report(db):
    world = await build_world()
    assert await count_report_lines(None, request_for(world, "billing@muster.ch")) == 0
    assert (await load_report(None, request_for(world, "billing@muster.ch"))).line_count == 0


@pytest.mark.parametrize("who", ["other_client", "unknown", "huge"])
async def test_a_client_that_is_not_the_partners_is_not_found(db, who):
    world = await build_world()
    client_id = {"other_client": world.other_client, "unknown": 999_999, "huge": 2**40}[who]
    with pytest.raises(NotFound):
        await count_report_lines(
            None, request_for(world, "legal@muster.ch", client_ids=[client_id])
        )


async def test_users_without_billing_rights_may_not_export(db):
    world = await build_world()
    with pytest.raises(Forbidden):
        await load_report(None, request_for(world, "plain@muster.ch"))


async def test_another_partner_cannot_ask_for_this_partners_report(db):
    world = await build_world()
    rival = await actor_in(world.people["legal@rival.de"], world.other_partner)
    with pytest.raises(NotFound):
        await load_report(rival, request_for(world, "legal@muster.ch"))
    # nor by naming this partner with its own account
    with pytest.raises(NotFound):
        await load_report(None, request_for(world, "legal@rival.de"))


async def test_a_client_organisation_may_not_export(db):
    world = await build_world()
    owner = await actor_in(world.people["owner@alpha.ch"], world.full_client)
    with pytest.raises(Forbidden):
        await exportable_clients(owner, world.full_client)


async def test_bad_periods_are_field_errors(db):
    world = await build_world()
    with pytest.raises(FormErrors) as reversed_period:
        await load_report(
            None,
            request_for(world, "legal@muster.ch", period=(date(2026, 9, 30), date(2026, 7, 1))),
        )
    assert "period_end" in reversed_period.value.errors
    with pytest.raises(FormErrors):
        await load_report(
            None, request_for(world, "legal@muster.ch", period=(date(2000, 1, 1), date(2026, 7, 1)))
        )


async def test_without_a_requester_there_is_no_report(db):
    world = await build_world()
    request = ReportRequest(world.partner, *Q3)
    with pytest.raises(NotFound):
        await load_report(None, request)


async def test_a_revoked_role_stops_the_next_report(db):
    from portal.organisations.tables import Membership

    world = await build_world()
    request = request_for(world, "helper@muster.ch")
    assert await count_report_lines(None, request) == 2
    await Membership.update({Membership.billing_rights: False}).where(
        Membership.account == world.people["helper@muster.ch"]
    )
    with pytest.raises(Forbidden):
        await count_report_lines(None, request)


async def test_an_empty_period_gives_an_empty_report(db):
    world = await build_world()
    report = await load_report(
        None, request_for(world, "legal@muster.ch", period=(date(2020, 1, 1), date(2020, 12, 31)))
    )
    assert report.line_count == 0


async def test_request_round_trips_through_a_job_payload():
    request = ReportRequest(7, date(2026, 7, 1), date(2026, 9, 30), (3, 4), "csv", True, 12)
    assert ReportRequest.from_dict(request.as_dict()) == request


async def test_a_credit_note_takes_back_the_cashback_of_a_hidden_line_in_the_report(db):
    """A restricted client's invoice shows only as cashback; its credit note must show the
    cashback taken back, or the report would pay the partner twice."""
    from datetime import UTC, datetime

    from portal.billing.credit_notes import issue_credit_note
    from portal.billing.tables import Invoice
    from tests.factories.billing import member, organisation

    world = await build_world()
    staff = await member(await organisation("Cloud Host SA"), "staff@host.ch", staff=True)
    invoice = await Invoice.select().where(Invoice.client == world.restricted_client).first()
    await issue_credit_note(staff, invoice["id"], [], "Cancelled")
    today = datetime.now(UTC).date()
    period = (Q3[0], max(today, Q3[1]))
    lines = (await load_report(None, request_for(world, "legal@muster.ch", period=period))).lines
    restricted = lines[lines["client_id"] == world.restricted_client]
    cashback = sorted(restricted["cashback"])
    assert cashback[0] == -cashback[-1] < 0 and not restricted["shown"].any()
