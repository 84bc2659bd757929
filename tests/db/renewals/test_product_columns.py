"""What the database keeps current on a product whoever changes it: automatic renewal by the
family's policy, when the renewal run looks next (again from a new date), and which partner
manages it as links and delegated products change."""

from datetime import timedelta

from portal.clients.tables import DelegatedProduct, PartnerLink
from portal.products.tables import Product
from portal.renewals.rules import first_look
from tests.factories.renewals import DATE, link, organisation, product, row


async def test_automatic_renewal_is_on_by_default_for_domains_only(db):
    client = await organisation("Client AG")
    domain = await product(client, "domain-ch")
    hosting = await product(client, "web-pro")
    chosen = await product(client, "web-pro", automatic=True)
    refused = await product(client, "domain-com", automatic=False)
    assert [(await row(p))["automatic_renewal"] for p in (domain, hosting, chosen, refused)] == [
        True,
        False,
        True,
        False,
    ]


async def test_the_run_first_looks_at_the_first_reminder_and_again_from_a_new_date(db):
    client = await organisation("Client AG")
    yearly = await product(client, "web-pro")
    monthly = await product(client, "web-pro", period="monthly")
    assert (await row(yearly))["next_renewal_check"] == first_look(DATE, "yearly")
    assert (await row(monthly))["next_renewal_check"] == first_look(DATE, "monthly")

    await Product.update({Product.renewal_step: 5, Product.next_renewal_check: DATE}).where(
        Product.id == yearly
    )
    later = DATE + timedelta(days=365)
    await Product.update({Product.renews_on: later}).where(Product.id == yearly)
    renewed = await row(yearly)
    assert renewed["renewal_step"] == 0 and renewed["next_renewal_check"] == first_look(
        later, "yearly"
    )


async def test_the_managing_partner_follows_links_and_delegated_products(db):
    client = await organisation("Client AG")
    partner = await organisation("Partner AG", partner=True)
    hosting = await product(client, "web-pro")
    domain = await product(client, "domain-ch")
    mail = await product(client, "mail-5")
    assert (await row(hosting))["managed_by"] is None

    restricted = await link(partner, client, "restricted", families=["web_hosting"])
    assert [(await row(p))["managed_by"] for p in (hosting, domain, mail)] == [partner, None, None]

    await DelegatedProduct.insert(DelegatedProduct(link=restricted, product=mail, client=client))
    assert (await row(mail))["managed_by"] == partner
    later = await product(client, "web-starter")  # a new product of a delegated family
    assert (await row(later))["managed_by"] == partner

    await PartnerLink.update(
        {PartnerLink.access: "full", PartnerLink.billing_mode: "client"}
    ).where(PartnerLink.id == restricted)
    assert (await row(domain))["managed_by"] == partner

    await PartnerLink.update({PartnerLink.status: "stopped"}).where(PartnerLink.id == restricted)
    assert {(await row(p))["managed_by"] for p in (hosting, domain, mail, later)} == {None}
