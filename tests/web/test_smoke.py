from tests.factories.accounts import log_in, log_out, sign_up
from tests.factories.web import post_form


async def test_sign_up_log_out_and_in_again(client):
    await sign_up(client)
    home = await client.get("/")
    assert home.status_code == 200
    assert "Muster Web AG" in home.text
    await log_out(client)
    assert (await client.get("/organisation/members")).status_code == 303
    response = await log_in(client, "anna@example.ch")
    assert response.status_code == 303
    assert "Anna Muster" in (await client.get("/organisation/members")).text


async def test_post_without_csrf_token_is_refused(client):
    await client.get("/login")
    response = await client.post("/login", data={"email": "a@b.ch", "password": "x"})
    assert response.status_code == 403
    assert "expired" in response.text


async def test_wrong_password_says_nothing_about_the_account(client):
    await sign_up(client)
    await log_out(client)
    wrong = await post_form(client, "/login", {"email": "anna@example.ch", "password": "nope-nope"})
    unknown = await post_form(
        client, "/login", {"email": "nobody@example.ch", "password": "x12345678"}
    )
    assert wrong.status_code == unknown.status_code == 422
    assert "not right" in wrong.text and "not right" in unknown.text


async def test_error_pages_carry_the_security_headers_too(client):
    for response in [await client.get("/no-such-page"), await client.delete("/login")]:
        assert response.status_code in {404, 405}
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
