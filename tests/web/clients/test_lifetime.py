"""A delegation's life beyond grant and stop, through HTTP: a new client signs up from the
invitation mail and finds the request in its inbox; temporary full access approved with the
password and the second factor, with a countdown on both sides; an end date extended in one
step; a client moved to another partner with a transfer code; many clients asked at once with a
template; the Ended lists; the dashboard's "ending soon"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from portal.clients.tables import LinkRequest, PartnerLink
from portal.mail.tables import OutboxMail
from tests.factories.accounts import (
    PASSWORD,
    log_in,
    log_out,
    sign_up,
    totp_code,
    turn_on_two_factor,
)
from tests.factories.clients import give_products, make_partner
from tests.factories.organisations import outbox_link
from tests.factories.web import another_browser, post_form

TOMORROW = datetime.now(UTC).date() + timedelta(days=1)


async def partner_and_client(client, *, products=("web-pro", "mail-5")) -> dict:
    """Partner AG (Paula) in the programme, Client GmbH (Carl) with products; Carl is logged
    in at the end."""
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await make_partner("Partner AG")
    await log_out(client)
    await sign_up(client, "carl@client.ch", name="Carl Client", organisation="Client GmbH")
    return await give_products("Client GmbH", *products)


async def restricted_link(client, paula, products) -> int:
    """Paula invites Carl; Carl grants web hosting and the mail product."""
    await post_form(
        paula,
        "/clients/invite",
        {"email": "carl@client.ch", "access": "restricted", "families": ["web_hosting"]},
    )
    invitation = await outbox_link("carl@client.ch", "/links/invitations/")
    granted = await post_form(
        client,
        invitation + "/grant",
        {
            "access": "restricted",
            "families": ["web_hosting"],
            "products": [str(products["mail-5"])],
        },
    )
    assert granted.status_code == 303, granted.text
    return (await PartnerLink.select(PartnerLink.id).first())["id"]


async def test_a_client_who_signs_up_from_the_invitation_mail_finds_it_in_its_inbox(client):
    await sign_up(client, "paula@partner.ch", name="Paula Partner", organisation="Partner AG")
    await make_partner("Partner AG")
    asked = await post_form(
        client,
        "/clients/invite",
        {
            "email": "nina@newclient.ch",
            "access": "restricted",
            "families": ["domain"],
            "requested_days": "90",
        },
    )
    assert asked.status_code == 303, asked.text
    await log_out(client)
    invitation = await outbox_link("nina@newclient.ch", "/links/invitations/")

    # Nina has no account: the invitation sends her to log in, the login to sign up, and the
    # sign-up keeps the way back.
    to_login = await client.get(invitation)
    assert to_login.status_code == 303
    login = await client.get(to_login.headers["location"])
    signup_link = re.search(r'href="(/signup\?next=[^"]+)"', login.text)[1]
    signup = await client.get(signup_link.replace("&amp;", "&"))
    assert 'name="next" value="' + invitation + '"' in signup.text
    made = await post_form(
        client,
        "/signup",
        {
            "full_name": "Nina Neu",
            "email": "nina@newclient.ch",
            "password": PASSWORD,
            "organisation_name": "Neu GmbH",
            "kind": "company",
            "country": "CH",
            "currency": "CHF",
            "terms": "on",
            "next": invitation,
        },
    )
    assert made.status_code == 303 and made.headers["location"] == invitation
    page = await client.get(invitation)
    assert page.status_code == 200 and "Partner AG asks to be your partner" in page.text
    assert 'value="' + (datetime.now(UTC).date() + timedelta(days=90)).isoformat() in page.text

    # She looks around first: the request waits on her overview and her Partners page.
    for path in ("/", "/organisation/partners"):
        waiting = await client.get(path)
        assert 'id="inbox"' in waiting.text, path
        assert (
            "Partner AG</strong> asks to manage your products: Restricted: Domains, for 90 days"
            in waiting.text
        )
    link = (await PartnerLink.select().first())["id"]
    review = await client.get(f"/organisation/partners/{link}")
    assert f'action="/organisation/partners/{link}/grant"' in review.text
    granted = await post_form(
        client,
        f"/organisation/partners/{link}/grant",
        {"access": "restricted", "families": ["domain"], "ends_on": TOMORROW.isoformat()},
    )
    assert granted.status_code == 303, granted.text
    row = await PartnerLink.select().where(PartnerLink.id == link).first()
    assert row["status"] == "active" and row["ends_at"] is not None
    assert 'id="inbox"' not in (await client.get("/")).text


async def test_temporary_full_access_with_the_password_and_the_second_factor(client):
    products = await partner_and_client(client)
    carl_two_factor = await turn_on_two_factor(client)
    async with another_browser(client) as paula:
        await log_in(paula, "paula@partner.ch")
        link = await restricted_link(client, paula, products)
        asked = await post_form(
            paula,
            f"/clients/{link}/elevation",
            {"length": "2", "unit": "hours", "reason": "Moving the mailboxes to the new plan."},
        )
        assert asked.status_code == 303, asked.text
        assert (
            "asks for temporary full access"
            in (
                await OutboxMail.select(OutboxMail.subject)
                .order_by(OutboxMail.id, ascending=False)
                .first()
            )["subject"]
        )
        request_id = (await LinkRequest.select(LinkRequest.id).first())["id"]

        page = await client.get(f"/organisation/partners/{link}")
        assert "Moving the mailboxes to the new plan." in page.text
        assert "Code from your authenticator app" in page.text  # the second factor is on
        approve = f"/organisation/partners/{link}/requests/{request_id}/approve"
        without_code = await post_form(client, approve, {"password": PASSWORD})
        assert without_code.status_code == 422
        assert "Enter the code of your authenticator app, or a backup code." in without_code.text
        wrong_password = await post_form(
            client, approve, {"password": "Not-The-Password-1", "code": "123456"}
        )
        assert wrong_password.status_code == 422
        assert (await PartnerLink.select().first())["access"] == "restricted"
        approved = await post_form(
            client,
            approve,
            {"password": PASSWORD, "code": totp_code(carl_two_factor.secret, steps_ahead=1)},
        )
        assert approved.status_code == 303, approved.text
        assert (await PartnerLink.select().first())["access"] == "full"

        for browser, path in (
            (client, f"/organisation/partners/{link}"),
            (paula, f"/clients/{link}"),
        ):
            shown = (await browser.get(path)).text
            assert 'data-countdown-until="' in shown and "1 h 59 min left" in shown, path
        order_form = (await paula.get(f"/clients/{link}")).text
        assert f'action="/clients/{link}/order"' in order_form  # full access orders

        ended = await post_form(paula, f"/clients/{link}/elevation/end")
        assert ended.status_code == 303
        row = await PartnerLink.select().first()
        assert (row["access"], row["families"]) == ("restricted", ["web_hosting"])
        assert f'action="/clients/{link}/order"' not in (await paula.get(f"/clients/{link}")).text


async def test_the_client_sets_an_end_date_and_extends_it_in_one_step(client):
    products = await partner_and_client(client)
    async with another_browser(client) as paula:
        await log_in(paula, "paula@partner.ch")
        link = await restricted_link(client, paula, products)
        in_ten_days = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
        saved = await post_form(
            client,
            f"/organisation/partners/{link}/ending",
            {"ends_on": in_ten_days, "auto_extend": "on"},
        )
        assert saved.status_code == 303, saved.text
        for browser, path in (
            (client, f"/organisation/partners/{link}"),
            (paula, f"/clients/{link}"),
        ):
            page = (await browser.get(path)).text
            assert 'data-testid="ending-soon"' in page and "ends in 10 days" in page, path
        dashboard = (await paula.get("/partner/dashboard")).text
        assert "Client GmbH</a>: ends on" in dashboard
        extended = await post_form(client, f"/organisation/partners/{link}/extend", {"days": "90"})
        assert extended.status_code == 303
        page = (await client.get(f"/organisation/partners/{link}")).text
        assert 'data-testid="ending-soon"' not in page
        too_far = await post_form(
            client,
            f"/organisation/partners/{link}/ending",
            {"ends_on": (datetime.now(UTC).date() + timedelta(days=731)).isoformat()},
        )
        assert too_far.status_code == 422 and "at most 730 days ahead" in too_far.text
        full = await post_form(
            client,
            f"/organisation/partners/{link}/change",
            {"access": "full", "billing_mode": "client"},
        )
        assert full.status_code == 303
        assert (await PartnerLink.select().first())["auto_extend"] is False  # never for full


async def test_a_client_moves_to_another_partner_with_a_transfer_code(client):
    products = await partner_and_client(client)
    async with another_browser(client) as paula, another_browser(client) as otto:
        await log_in(paula, "paula@partner.ch")
        link = await restricted_link(client, paula, products)
        await sign_up(otto, "otto@other.ch", name="Otto Other", organisation="Other Partner AG")
        other = await make_partner("Other Partner AG")
        made = await post_form(
            client,
            f"/organisation/partners/{link}/transfer",
            {"q": "Other Partner", "keep_grant": "yes"},
        )
        assert made.status_code == 200, made.text
        code = re.search(r'data-testid="transfer-code"><code>([A-Z0-9-]+)</code>', made.text)[1]
        assert (
            "wants to move to you"
            in (
                await OutboxMail.select(OutboxMail.subject)
                .where(OutboxMail.recipient == "otto@other.ch")
                .first()
            )["subject"]
        )

        wrong = await paula.get("/clients/transfer", params={"code": code})
        assert wrong.status_code == 422  # the code is Other Partner AG's only
        confirm = await otto.get("/clients/transfer", params={"code": code.lower()})
        assert confirm.status_code == 200 and "Take over Client GmbH" in confirm.text
        taken = await post_form(otto, "/clients/transfer", {"code": code})
        assert taken.status_code == 303, taken.text
        again = await post_form(otto, "/clients/transfer", {"code": code})
        assert again.status_code == 303 and again.headers["location"] == "/clients"

        links = {row["partner"]: row for row in await PartnerLink.select()}
        assert links[other]["status"] == "active" and links[other]["families"] == ["web_hosting"]
        old = next(row for partner, row in links.items() if partner != other)
        assert old["status"] == "transferred"
        told = await OutboxMail.select(OutboxMail.subject).where(
            OutboxMail.recipient == "paula@partner.ch"
        )
        assert "Client GmbH moved to another partner" in [m["subject"] for m in told]
        ended = (await paula.get("/clients")).text
        assert 'id="ended"' in ended and "The client moved to another partner" in ended
        client_side = (await client.get("/organisation/partners")).text
        assert "Moved to another partner by Carl Client" in client_side
        log = (await client.get("/organisation/audit", params={"action": "link."})).text
        assert "Other Partner AG took over from Partner AG with your transfer code" in log


async def test_many_clients_are_asked_at_once_and_templates_fill_invitations(client):
    products = await partner_and_client(client)
    async with another_browser(client) as paula:
        await log_in(paula, "paula@partner.ch")
        link = await restricted_link(client, paula, products)
        in_twenty_days = (datetime.now(UTC).date() + timedelta(days=20)).isoformat()
        await post_form(
            client, f"/organisation/partners/{link}/ending", {"ends_on": in_twenty_days}
        )
        saved = await post_form(
            paula,
            "/clients/templates",
            {"name": "Mail and domains", "families": ["mail_service", "domain"]},
        )
        assert saved.status_code == 303
        template = re.search(
            r'<option value="(\d+)">Restricted to the categories of “Mail and domains”</option>',
            (await paula.get("/clients")).text,
        )[1]
        asked = await post_form(
            paula, "/clients/bulk", {"links": [str(link)], "kind": "extension", "days": "180"}
        )
        assert asked.status_code == 303
        changed = await post_form(
            paula, "/clients/bulk", {"links": [str(link)], "kind": "change", "template": template}
        )
        assert changed.status_code == 303
        kinds = {
            (r["kind"], r["days"], tuple(r["requested_families"]))
            for r in await LinkRequest.select()
        }
        assert kinds == {("extension", 180, ()), ("change", None, ("domain", "mail_service"))}
        inbox = (await client.get("/organisation/partners")).text
        assert "asks to extend your collaboration by 180 days" in inbox
        assert "asks for other access: Restricted: Domains, Mail service" in inbox
        invited = await post_form(
            paula,
            "/clients/invite",
            {"email": "new@client.ch", "template": template, "access": "restricted"},
        )
        assert invited.status_code == 303
        request = (
            await PartnerLink.select().where(PartnerLink.invited_email == "new@client.ch").first()
        )
        assert request["requested_families"] == ["domain", "mail_service"]
