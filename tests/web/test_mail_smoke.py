from tests.factories.accounts import sign_up
from tests.factories.jobs import work_off_queue
from tests.factories.web import link_in, post_form


async def test_reset_mail_reaches_the_smtp_server(mail_client, mail_settings, smtp):
    await sign_up(mail_client, "zoe@example.ch", name="Zoé Test")
    await post_form(mail_client, "/logout")
    response = await post_form(mail_client, "/password/forgot", {"email": "zoe@example.ch"})
    assert response.status_code == 200
    assert smtp.to("zoe@example.ch") == []  # queued in the request, handed over by the worker
    await work_off_queue(mail_settings)
    path = link_in(smtp.last_body("zoe@example.ch"), "/password/reset/")
    assert (await mail_client.get(path)).status_code == 200
