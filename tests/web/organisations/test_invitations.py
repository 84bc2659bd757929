"""Inviting people by email and accepting: as a newcomer, as an existing user, or wrongly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.accounts.tables import Account
from portal.jobs.rules import AWAITED_MAIL_PRIORITY
from portal.organisations.tables import Invitation
from tests.factories.accounts import log_in, log_out, sign_up
from tests.factories.jobs import work_off_queue
from tests.factories.mail import queued_mails_to
from tests.factories.organisations import invite, join_by_signing_up, membership_id, outbox_link
from tests.factories.web import another_browser, link_in, post_form


async def test_a_newcomer_follows_the_mailed_link_and_lands_in_the_organisation(
    mail_client, mail_settings, smtp
):
    await sign_up(mail_client)
    response = await invite(mail_client, "carl@example.ch", "administrator", billing_rights=True)
    assert response.status_code == 303
    assert smtp.messages == []  # queued in the request, before other mail
    (queued,) = await queued_mails_to("carl@example.ch")
    assert queued["priority"] == AWAITED_MAIL_PRIORITY and queued["sent_at"] is None
    await work_off_queue(mail_settings)
    body = smtp.last_body("carl@example.ch")
    assert "Muster Web AG" in body and "Welcome aboard" in body
    path = link_in(body, "/invitations/")
    async with another_browser(mail_client) as carl:
        joined = await join_by_signing_up(carl, path, "Carl Neu")
        assert joined.status_code == 303
        home = await carl.get("/")
        assert "Muster Web AG" in home.text and "you are Administrator" in home.text
        members = await carl.get("/organisation/members")
        assert "Invite someone" in members.text  # an administrator manages members
    members = (await mail_client.get("/organisation/members")).text
    assert "carl@example.ch" in members
    assert "No invitation is waiting." in members


async def test_an_existing_user_accepts_while_logged_in(client):
    await sign_up(client)
    await invite(client, "bert@example.ch", "user", billing_rights=True)
    async with another_browser(client) as bert:
        await sign_up(bert, "bert@example.ch", name="Bert Alt", organisation="Alt GmbH")
        path = await outbox_link("bert@example.ch", "/invitations/")
        shown = await bert.get(path)
        assert "Accept the invitation" in shown.text
        accepted = await post_form(bert, path + "/accept")
        assert accepted.status_code == 303
        home = await bert.get("/")
        assert "Muster Web AG" in home.text and "you are User" in home.text
        assert "Alt GmbH" in home.text  # still in their own organisation: the switcher
    members = (await client.get("/organisation/members")).text
    bert_id = await membership_id(client, "bert@example.ch")
    assert f'id="member-{bert_id}"' in members


async def test_an_anonymous_accept_is_sent_to_log_in_first(client):
    await sign_up(client)
    await invite(client, "bert@example.ch")
    path = await outbox_link("bert@example.ch", "/invitations/")
    async with another_browser(client) as stranger:
        response = await post_form(stranger, path + "/accept")
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


async def test_accepting_with_the_wrong_account_is_a_conflict_that_says_why(client):
    await sign_up(client)
    await invite(client, "bert@example.ch")
    path = await outbox_link("bert@example.ch", "/invitations/")
    async with another_browser(client) as dora:
        await sign_up(dora, "dora@example.ch", name="Dora", organisation="Dora SA")
        assert "this invitation is for bert@example.ch" in (await dora.get(path)).text
        response = await post_form(dora, path + "/accept")
        assert response.status_code == 409
        assert "sent to bert@example.ch" in response.text
        assert "Muster Web AG" not in (await dora.get("/")).text


async def test_a_used_invitation_cannot_be_used_again(client):
    await sign_up(client)
    await invite(client, "carl@example.ch")
    path = await outbox_link("carl@example.ch", "/invitations/")
    async with another_browser(client) as carl:
        assert (await join_by_signing_up(carl, path, "Carl")).status_code == 303
        again = await carl.get(path)
        assert again.status_code == 409 and "accepted already" in again.text
        assert (await post_form(carl, path + "/accept")).status_code == 409


async def test_a_withdrawn_invitation_is_refused(client):
    await sign_up(client)
    await invite(client, "carl@example.ch")
    path = await outbox_link("carl@example.ch", "/invitations/")
    invitation = await Invitation.select(Invitation.id).first()
    withdrawn = await post_form(
        client, f"/organisation/members/invitations/{invitation['id']}/withdraw"
    )
    assert withdrawn.status_code == 303
    async with another_browser(client) as carl:
        response = await carl.get(path)
        assert response.status_code == 409 and "withdrawn" in response.text
        signup = await post_form(carl, path + "/signup", {"full_name": "C", "password": "x"})
        assert signup.status_code == 409


async def test_an_expired_invitation_is_refused_and_a_resent_one_works(client):
    await sign_up(client)
    await invite(client, "carl@example.ch")
    old_path = await outbox_link("carl@example.ch", "/invitations/")
    await Invitation.update(
        {Invitation.expires_at: datetime.now(UTC) - timedelta(minutes=1)}, force=True
    )
    async with another_browser(client) as carl:
        expired = await carl.get(old_path)
        assert expired.status_code == 409 and "expired" in expired.text
        invitation = await Invitation.select(Invitation.id).first()
        resent = await post_form(
            client, f"/organisation/members/invitations/{invitation['id']}/resend"
        )
        assert resent.status_code == 303
        first, again = await queued_mails_to("carl@example.ch")
        assert first["priority"] == again["priority"] == AWAITED_MAIL_PRIORITY
        new_path = await outbox_link("carl@example.ch", "/invitations/")
        assert new_path != old_path
        assert (await carl.get(old_path)).status_code == 409
        assert (await join_by_signing_up(carl, new_path, "Carl")).status_code == 303


async def test_an_unknown_invitation_link_is_refused(client):
    response = await client.get("/invitations/not-a-real-token")
    assert response.status_code in {404, 409}
    assert "not valid" in response.text


async def test_signing_up_by_invitation_with_a_taken_address_says_to_log_in(client):
    await sign_up(client)
    await invite(client, "bert@example.ch")
    path = await outbox_link("bert@example.ch", "/invitations/")
    async with another_browser(client) as bert:
        await sign_up(bert, "bert@example.ch", name="Bert", organisation="Bert AG")
        await log_out(bert)
        response = await join_by_signing_up(bert, path, "Bert")
        assert response.status_code == 422
        assert "exists already" in response.text
        await log_in(bert, "bert@example.ch")
        assert (await post_form(bert, path + "/accept")).status_code == 303


async def test_inviting_a_member_or_a_waiting_address_again_is_refused(client):
    await sign_up(client)
    assert (await invite(client, "carl@example.ch")).status_code == 303
    again = await invite(client, "Carl@Example.ch")
    assert again.status_code == 422 and "already waiting" in again.text
    member = await invite(client, "anna@example.ch")
    assert member.status_code == 422 and "already a member" in member.text


async def test_an_unknown_role_in_the_invite_form_is_a_form_error(client):
    await sign_up(client)
    response = await invite(client, "carl@example.ch", "owner")
    assert response.status_code == 422
    assert "Choose a role from the list." in response.text


async def test_an_inviter_whose_name_has_a_line_break_still_sends_a_clean_mail(
    mail_client, mail_settings, smtp
):
    await sign_up(mail_client)
    await Account.update({Account.full_name: "Anna\nBcc: evil@example.com"}).where(
        Account.email == "anna@example.ch"
    )
    response = await invite(mail_client, "carl@example.ch")
    assert response.status_code == 303
    await work_off_queue(mail_settings)
    (mail,) = smtp.to("carl@example.ch")
    assert str(mail["Subject"]).strip().startswith("Anna Bcc: evil@example.com invites you")
    assert mail["Bcc"] is None
