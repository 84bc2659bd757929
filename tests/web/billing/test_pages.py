"""Money through HTTP: a client renews, the partner's cashback reaches its dashboard and
ledger; invoices are visible only to the payer; bad input is a 422, never a 500."""

from decimal import Decimal as D

import lxml.html

from portal.billing.tables import Invoice
from portal.organisations.tables import Organisation
from tests.factories.accounts import log_in, log_out, sign_up
from tests.factories.billing import linked_full
from tests.factories.clients import give_products, make_partner
from tests.factories.web import post_form


async def test_a_client_renewal_shows_as_cashback_for_the_partner(client):
    partner, _ = await linked_full(client)
    products = await give_products("Client GmbH", "cloud-2", "web-pro")
    for _ in range(8):  # enough managed volume for the first tier
        await give_products("Client GmbH", "cloud-2")
    renewed = await post_form(client, f"/products/{products['web-pro']}/renew")
    assert renewed.status_code == 303
    listing = await client.get("/billing")
    assert "INV-" in listing.text
    invoice = await Invoice.select().first()
    await log_out(client)

    await log_in(client, "paula@partner.ch")
    dashboard = await client.get("/partner/dashboard")
    assert dashboard.status_code == 200 and "<svg" in dashboard.text
    assert "Bronze" in dashboard.text
    tree = lxml.html.fromstring(dashboard.text)
    [chart] = tree.xpath("//svg")
    [title] = chart.xpath("title")
    assert chart.get("aria-labelledby") == title.get("id") and "Cashback" in title.text
    assert "23.81" in [text.text for text in chart.xpath(".//text")]  # the month's value
    assert "CHF\u00a023.81" in [cell.text for cell in tree.xpath("//details//td")]  # figures
    prepaid = await client.get("/billing/prepaid")
    assert "Cashback" in prepaid.text and "23.81" in prepaid.text
    assert (await client.get(f"/billing/invoices/{invoice['id']}")).status_code == 404


async def test_a_restricted_partner_cannot_order_for_its_client(client):
    from datetime import UTC, datetime, timedelta

    from portal.clients.tables import PartnerLink

    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    await log_out(client)
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    partner = await make_partner("Partner AG")
    client_id = (
        await Organisation.select(Organisation.id).where(Organisation.name == "Client GmbH").first()
    )["id"]
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=partner,
            client=client_id,
            status="active",
            initiated_by="client",
            requested_access="restricted",
            access="restricted",
            families=["vps"],
            expires_at=datetime.now(UTC) + timedelta(days=1),
        )
    ).returning(PartnerLink.id)
    from portal.products.tables import CatalogueItem

    vps = await CatalogueItem.select().where(CatalogueItem.code == "vps-lite").first()
    response = await post_form(
        client,
        f"/clients/{rows[0]['id']}/order",
        {"item": str(vps["id"]), "period": "yearly", "name": "x"},
    )
    assert response.status_code == 403  # it manages VPS, but restricted access cannot order
    assert await Invoice.count() == 0


async def test_an_affiliate_sees_its_commissions(client):
    from datetime import UTC, datetime

    from portal.organisations.tables import Referral

    await sign_up(client, "aff@example.ch", name="Ada Affiliate", organisation="Ada Keller")
    affiliate = (
        await Organisation.select(Organisation.id).where(Organisation.name == "Ada Keller").first()
    )["id"]
    assert "Join the affiliate programme" in (await client.get("/affiliate")).text
    joined = await post_form(client, "/affiliate/join", {})
    assert joined.status_code == 303
    assert (await Organisation.select(Organisation.is_affiliate).first())["is_affiliate"]
    again = await post_form(client, "/affiliate/join", {})
    assert again.status_code == 422 and "affiliate already" in again.text
    await log_out(client)
    await sign_up(client, "new@customer.ch", name="New Customer", organisation="Customer AG")
    customer = (
        await Organisation.select(Organisation.id).where(Organisation.name == "Customer AG").first()
    )["id"]
    await Referral.insert(
        Referral(affiliate=affiliate, customer=customer, referred_at=datetime.now(UTC))
    )
    await post_form(client, "/products/order", {"item": "8", "period": "yearly", "name": "c1"})
    await log_out(client)

    await log_in(client, "aff@example.ch")
    earnings = await client.get("/affiliate")
    assert earnings.status_code == 200
    net = (await Invoice.select(Invoice.net).first())["net"]
    assert f"{(net * D('0.25')).quantize(D('0.01'))}" in earnings.text.replace("’", "")


async def test_a_partner_cannot_join_the_affiliate_programme(client):
    from portal.audit.tables import AuditEvent

    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await make_partner("Partner AG")
    page = await client.get("/affiliate")
    assert "cannot be partner and affiliate at once" in page.text
    assert "Join the affiliate programme" not in page.text
    refused = await post_form(client, "/affiliate/join", {})
    assert refused.status_code == 422 and "cannot be an affiliate" in refused.text
    assert not (await Organisation.select(Organisation.is_affiliate).first())["is_affiliate"]
    assert not await AuditEvent.exists().where(AuditEvent.action == "affiliate.joined")


async def test_only_a_legal_representative_joins_the_affiliate_programme(client):
    from tests.factories.organisations import colleague

    await sign_up(client, "lea@keller.ch", name="Lea Keller", organisation="Keller Web")
    async with colleague(client, "adam@keller.ch", role="administrator") as admin:
        assert "A legal representative" in (await admin.get("/affiliate")).text
        refused = await post_form(admin, "/affiliate/join", {})
        assert refused.status_code == 403
    assert not (await Organisation.select(Organisation.is_affiliate).first())["is_affiliate"]


async def test_staff_edit_the_tier_table_with_history(client):
    from portal.accounts.tables import Account
    from portal.billing import queries as billing_queries

    await sign_up(client, "staff@host.ch", name="Sam Staff", organisation="Host SA")
    assert (await client.get("/staff/programme")).status_code == 404  # not staff yet
    await Account.update({Account.is_staff: True}).where(Account.email == "staff@host.ch")
    assert (await client.get("/staff/programme")).status_code == 200
    rows = {
        "CHF_name": ["Start", "Top"],
        "CHF_rate": ["15", "36"],
        "CHF_threshold": ["2000", "50000"],
        "EUR_name": ["Start"],
        "EUR_rate": ["15"],
        "EUR_threshold": ["1800"],
        "note": "test",
    }
    too_high = await post_form(client, "/staff/programme/tiers", rows)
    assert too_high.status_code == 422 and "35 %" in too_high.text
    for bad in ["1e999", "Infinity", "²", "-3"]:
        refused = await post_form(
            client, "/staff/programme/tiers", {**rows, "CHF_rate": [bad, "30"]}
        )
        assert refused.status_code == 422, bad
    rows["CHF_rate"] = ["15", "35"]
    saved = await post_form(client, "/staff/programme/tiers", rows)
    assert saved.status_code == 303
    assert [t.rate for t in await billing_queries.tiers("CHF")] == [D("0.15"), D("0.35")]
    assert len(await billing_queries.setting_history("tiers")) == 2
    bad_steps = await post_form(
        client, "/staff/programme/volume-discount", {"count": ["5", "10"], "rate": ["10", "5"]}
    )
    assert bad_steps.status_code == 422
    for count, rate in [("²", "10"), ("5", "1e999"), ("5", "NaN")]:
        refused = await post_form(
            client, "/staff/programme/volume-discount", {"count": [count], "rate": [rate]}
        )
        assert refused.status_code == 422, (count, rate)


async def test_a_referral_link_records_the_new_customer_for_an_affiliate(client):
    from portal.organisations.tables import Referral

    await sign_up(client, "aff@example.ch", name="Ada Affiliate", organisation="Ada Keller")
    affiliate = (
        await Organisation.select(Organisation.id).where(Organisation.name == "Ada Keller").first()
    )["id"]
    await Organisation.update({Organisation.is_affiliate: True}).where(Organisation.id == affiliate)
    await log_out(client)
    form = await client.get(f"/signup?ref={affiliate}")
    assert f'name="ref" value="{affiliate}"' in form.text
    for email, organisation, ref in [
        ("new@customer.ch", "Customer AG", str(affiliate)),
        ("x@made-up.ch", "Made Up AG", "99999999999"),
        ("y@not-affiliate.ch", "Plain AG", "²"),
    ]:
        response = await post_form(
            client,
            "/signup",
            {
                "full_name": "New Customer",
                "email": email,
                "password": "Correct-Horse-Battery-9",
                "organisation_name": organisation,
                "kind": "company",
                "country": "CH",
                "currency": "CHF",
                "terms": "on",
                "ref": ref,
            },
        )
        assert response.status_code == 303, response.text
        await log_out(client)
    referrals = await Referral.select()
    assert len(referrals) == 1 and referrals[0]["affiliate"] == affiliate


async def test_an_overdue_renewal_reads_as_overdue(client):
    from datetime import UTC, datetime, timedelta

    from portal.products.tables import Product

    await linked_full(client)
    products = await give_products("Client GmbH", "cloud-2", "web-pro")
    today = datetime.now(UTC).date()
    late, soon = today - timedelta(days=32), today + timedelta(days=5)
    await Product.update({Product.renews_on: late}).where(Product.id == products["cloud-2"])
    await Product.update({Product.renews_on: soon}).where(Product.id == products["web-pro"])
    mine = await client.get("/products")
    assert mine.text.count(">Overdue</span>") == 1
    assert mine.text.index("cloud-2.example") < mine.text.index("Overdue")
    await log_out(client)

    await log_in(client, "paula@partner.ch")
    dashboard = (await client.get("/partner/dashboard")).text
    # the attention list counts by state, each a link to the list it counts
    assert '<a href="/partner/renewals?state=due">Due within 30 days: 1</a>' in dashboard
    assert '<a href="/partner/renewals?state=grace">In grace: 0</a>' in dashboard
    # 32 days late, past a cloud server's 15 days of grace: suspended, whatever its status says
    assert '<a href="/partner/renewals?state=suspended">Suspended: 1</a>' in dashboard


async def test_the_prepaid_account_downloads_as_csv_for_those_who_see_the_money(client):
    import csv
    import io

    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB
    from tests.factories.organisations import colleague

    await sign_up(client, "anna@muster.ch", organisation="Muster Web AG")
    for amount in ("100.00", "0.10", "9999.00"):  # deposits as a bank statement books them
        await DB.run_querystring(
            QueryString(
                """INSERT INTO ledger_entry (organisation, currency, kind, amount, reference)
                   SELECT id, 'CHF', 'deposit', {}, 'Bank transfer' FROM organisation
                   WHERE name = 'Muster Web AG'""",
                amount,
            )
        )
    page = await client.get("/billing/prepaid")
    assert 'href="/billing/prepaid/export.csv?currency=CHF"' in page.text
    response = await client.get("/billing/prepaid/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["time_utc", "kind", "reference", "invoice", "amount", "currency"]
    assert [row[4] for row in rows[1:]] == ["9999.00", "0.10", "100.00"]  # newest first
    async with colleague(client, "ueli@muster.ch", "user") as ueli:
        assert (await ueli.get("/billing/prepaid/export.csv")).status_code == 403
