"""The whole life of a link through HTTP: request → grant other rights → change → withdraw a
product → stop; with mails queued by each change and delivered by the worker to a real SMTP
server."""

import lxml.html

from portal.clients.tables import PartnerLink
from portal.jobs.rules import AWAITED_MAIL_PRIORITY, MAIL_PRIORITY
from tests.factories.accounts import log_in, log_out, sign_up
from tests.factories.clients import give_products, make_partner
from tests.factories.mail import delivered_by_the_worker
from tests.factories.web import link_in, post_form


def assert_asks_first(html: str, action: str, question: str) -> None:
    """The form posting to ACTION is behind a closed confirmation step that asks QUESTION:
    plain HTML (<details>), so it works without JavaScript."""
    [form] = lxml.html.fromstring(html).xpath(f'//form[@action="{action}"]')
    [step] = form.xpath('ancestor::details[@class="confirm"]')
    assert step.get("open") is None and step.find("summary") is not None
    assert question in form.text_content()


async def test_link_lifecycle(mail_client, mail_settings, smtp):
    client = mail_client

    async def mailed(email: str, priority: int = MAIL_PRIORITY) -> str:
        return await delivered_by_the_worker(mail_settings, smtp, email, priority)

    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await make_partner("Partner AG")
    await log_out(client)
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    products = await give_products("Client GmbH", "web-pro", "domain-ch", "mail-5")
    await log_out(client)

    await log_in(client, "paula@partner.ch")
    response = await post_form(
        client,
        "/clients/invite",
        {
            "email": "carl@client.ch",
            "access": "restricted",
            "families": ["web_hosting", "domain"],
        },
    )
    assert response.status_code == 303, response.text
    await log_out(client)

    invitation = link_in(
        await mailed("carl@client.ch", AWAITED_MAIL_PRIORITY), "/links/invitations/"
    )
    await log_in(client, "carl@client.ch")
    page = await client.get(invitation)
    assert page.status_code == 200 and "Partner AG" in page.text
    granted = await post_form(
        client,
        invitation + "/grant",
        {
            "access": "restricted",
            "products": [str(products["web-pro"])],
        },
    )
    assert granted.status_code == 303, granted.text
    assert "granted" in (await mailed("paula@partner.ch")).lower()
    link_path = granted.headers["location"]
    link_id = int(link_path.rsplit("/", 1)[1])

    changed = await post_form(
        client,
        f"/organisation/partners/{link_id}/change",
        {
            "access": "restricted",
            "products": [str(products["web-pro"]), str(products["mail-5"])],
        },
    )
    assert changed.status_code == 303, changed.text
    assert "changed" in await mailed("paula@partner.ch")
    withdrawal = f"/organisation/partners/{link_id}/products/{products['mail-5']}/withdraw"
    page = await client.get(f"/organisation/partners/{link_id}")
    assert_asks_first(page.text, withdrawal, "Withdraw mail-5.example from Partner AG?")
    withdrawn = await post_form(client, withdrawal)
    assert withdrawn.status_code == 303, withdrawn.text
    assert "Now:    Restricted: 1 selected product" in await mailed("paula@partner.ch")
    await log_out(client)

    await log_in(client, "paula@partner.ch")
    detail = await client.get(f"/clients/{link_id}")
    # the products the partner manages now (its history names the products it managed then)
    managed = detail.text.split('id="products"', 1)[1].split("</section>", 1)[0]
    assert "web-pro.example" in managed
    assert "mail-5.example" not in managed and "domain-ch.example" not in detail.text
    assert "Web hosting, Domains" in detail.text or "Domains, Web hosting" in detail.text
    stopped = await post_form(client, f"/clients/{link_id}/stop", {"password": "wrong-one"})
    assert (await client.get(f"/clients/{link_id}")).status_code == 200  # still active
    stopped = await post_form(
        client, f"/clients/{link_id}/stop", {"password": "Correct-Horse-Battery-9"}
    )
    assert stopped.status_code == 303
    assert "ended" in await mailed("carl@client.ch")
    listing = await client.get("/clients")
    assert "has ended" in listing.text  # the flash
    assert "No client yet" in listing.text
    assert (await client.get(f"/clients/{link_id}/products/1/rename")).status_code in {404, 405}


async def test_declines_requests_answers_and_user_invitations_mail_through_the_worker(
    mail_client, mail_settings, smtp
):
    client = mail_client

    async def mailed(email: str, priority: int = MAIL_PRIORITY) -> str:
        return await delivered_by_the_worker(mail_settings, smtp, email, priority)

    async def as_person(email: str) -> None:
        await log_out(client)
        assert (await log_in(client, email)).status_code == 303

    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    partner_id = await make_partner("Partner AG")
    await log_out(client)
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")

    # the partner invites, the client declines
    await as_person("paula@partner.ch")
    invited = await post_form(
        client, "/clients/invite", {"email": "carl@client.ch", "access": "full"}
    )
    assert invited.status_code == 303, invited.text
    invitation = link_in(
        await mailed("carl@client.ch", AWAITED_MAIL_PRIORITY), "/links/invitations/"
    )
    await as_person("carl@client.ch")
    assert (await post_form(client, invitation + "/decline")).status_code == 303
    assert "Client GmbH declined your request" in await mailed("paula@partner.ch")

    # the client asks the partner twice: refused, then accepted
    for answer in ("refuse", "accept"):
        await as_person("carl@client.ch")
        added = await post_form(
            client,
            "/organisation/partners/add",
            {"partner": str(partner_id), "access": "full", "billing_mode": "client"},
        )
        assert added.status_code == 303, added.text
        assert "would like your organisation" in await mailed("paula@partner.ch")
        waiting = (
            await PartnerLink.select(PartnerLink.id)
            .where(PartnerLink.status == "awaiting_partner")
            .first()
        )
        await as_person("paula@partner.ch")
        answered = await post_form(client, f"/clients/{waiting['id']}/{answer}")
        assert answered.status_code == 303, answered.text
        verdict = {"refuse": "refused", "accept": "accepted"}[answer]
        assert f"Partner AG {verdict} to become your partner" in await mailed("carl@client.ch")

    # the partner invites a user into its client
    people = await post_form(
        client, f"/clients/{waiting['id']}/people/invite", {"email": "nina@client.ch"}
    )
    assert people.status_code == 303, people.text
    body = await mailed("nina@client.ch", AWAITED_MAIL_PRIORITY)
    assert "invites you to join Client GmbH" in body and "/invitations/" in body


async def test_huge_or_foreign_ids_answer_404(client):
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await make_partner("Partner AG")
    for path in [
        "/clients/99999999999",
        "/organisation/partners/99999999999",
        "/clients/1",
        "/billing/invoices/99999999999",
        "/billing/invoices/1",
    ]:
        assert (await client.get(path)).status_code == 404, path
    response = await post_form(client, "/products/99999999999/renew")
    assert response.status_code == 404


async def test_without_javascript_the_partner_search_posts_and_keeps_the_choices(client):
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await make_partner("Partner AG")
    await log_out(client)
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    chosen = {"q": "Partner", "access": "restricted", "families": ["domain"], "message": "Hi"}
    page = await post_form(client, "/organisation/partners/search", chosen)
    assert page.status_code == 200 and "<html" in page.text
    assert "Partner AG" in page.text and 'name="partner"' in page.text
    assert 'value="domain" checked' in page.text and ">Hi</textarea>" in page.text
    assert 'formmethod="get"' not in page.text  # the form's CSRF token never goes in a URL
    nothing = await post_form(client, "/organisation/partners/search", {"q": "Part\x00ner"})
    assert nothing.status_code == 422 and 'name="partner"' not in nothing.text


async def test_htmx_fragments_of_the_delegation_pages_render_alone(client):
    """Each block an htmx request asks for renders without the rest of its page."""
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await make_partner("Partner AG")
    await post_form(client, "/clients/invite", {"email": "c@client.ch", "access": "full"})
    htmx = {"HX-Request": "true"}
    for path in [
        "/clients?access=full",
        "/clients?search=x",
        "/account/sessions",
        "/organisation/partners/search?q=Partner",
    ]:
        response = await client.get(path, headers=htmx)
        assert response.status_code == 200, (path, response.text[:300])
        assert "<html" not in response.text, path
    link_id = (await PartnerLink.select(PartnerLink.id).first())["id"]
    detail = await client.get(f"/clients/{link_id}", headers=htmx)
    assert detail.status_code == 200 and "<html" not in detail.text
