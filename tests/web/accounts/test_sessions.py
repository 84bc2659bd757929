"""Sessions over HTTP: idle and absolute timeouts, the "my sessions" page, ending sessions."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.accounts.tables import WebSession
from portal.core.tokens import token_hash
from tests.factories.accounts import is_logged_in, log_in, sign_up
from tests.factories.web import browser_at, post_form, session_cookie


async def set_session_times(client, **ago: timedelta) -> None:
    """Move CLIENT's session into the past: last_seen_at and/or created_at, AGO before now."""
    hashed = token_hash(session_cookie(client))
    for column, delta in ago.items():
        await WebSession.raw(
            f"UPDATE web_session SET {column} = now() - {{}}::interval WHERE token_hash = {{}}",
            delta,
            hashed,
        )


async def session_ids(client) -> list[int]:
    page = await client.get("/account/sessions")
    return [int(n) for n in re.findall(r'action="/account/sessions/(\d+)/end"', page.text)]


async def test_a_session_idle_for_30_minutes_is_over(client):
    await sign_up(client)
    await set_session_times(client, last_seen_at=timedelta(minutes=29))
    assert await is_logged_in(client)
    await set_session_times(client, last_seen_at=timedelta(minutes=30, seconds=1))
    response = await client.get("/account/security")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_activity_keeps_a_session_alive(client):
    await sign_up(client)
    await set_session_times(client, last_seen_at=timedelta(minutes=20))
    assert await is_logged_in(client)  # refreshes last_seen_at
    rows = await WebSession.raw(
        "SELECT now() - last_seen_at < interval '1 minute' AS fresh FROM web_session "
        "WHERE token_hash = {}",
        token_hash(session_cookie(client)),
    )
    assert rows[0]["fresh"]


async def test_a_session_ends_after_12_hours_however_active(client):
    await sign_up(client)
    await set_session_times(client, created_at=timedelta(hours=11, minutes=59))
    assert await is_logged_in(client)
    await set_session_times(client, created_at=timedelta(hours=12, seconds=1))
    response = await client.get("/account/sessions")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount%2Fsessions"


PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


async def test_my_sessions_lists_each_device_and_marks_this_one(client, app):
    await sign_up(client)
    async with browser_at(app, "198.51.100.23", PHONE) as phone:
        await log_in(phone, "anna@example.ch")
        page = await client.get("/account/sessions")
    assert page.status_code == 200
    assert ">Chrome Mobile on Android</td>" in page.text and "198.51.100.23" in page.text
    assert f">{PHONE}<" not in page.text  # the user agent itself only as the cell's title
    assert page.text.count("This session") == 1
    assert len(await session_ids(client)) == 1  # the other one, with its End button


async def test_ending_another_session_logs_that_browser_out(client, app):
    await sign_up(client)
    async with browser_at(app, user_agent="Phone Browser 7") as phone:
        await log_in(phone, "anna@example.ch")
        [phone_session] = await session_ids(client)
        response = await post_form(client, f"/account/sessions/{phone_session}/end")
        assert response.status_code == 303
        assert response.headers["location"] == "/account/sessions"
        assert not await is_logged_in(phone)
    assert await is_logged_in(client)
    assert await session_ids(client) == []


async def test_ending_a_session_with_htmx_answers_the_table_only(client, app):
    await sign_up(client)
    async with browser_at(app) as phone:
        await log_in(phone, "anna@example.ch")
        [phone_session] = await session_ids(client)
        response = await client.post(
            f"/account/sessions/{phone_session}/end",
            headers={"hx-request": "true", "x-csrftoken": client.cookies["__Host-csrf"]},
        )
        assert not await is_logged_in(phone)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="sessions">')
    assert "<html" not in response.text


async def test_end_all_other_sessions(client, app):
    await sign_up(client)
    async with browser_at(app) as phone, browser_at(app) as laptop:
        await log_in(phone, "anna@example.ch")
        await log_in(laptop, "anna@example.ch")
        response = await post_form(client, "/account/sessions/end-others")
        assert response.status_code == 303
        assert not await is_logged_in(phone) and not await is_logged_in(laptop)
    page = await client.get("/account/sessions")
    assert "2 other sessions ended." in page.text
    assert await is_logged_in(client)


async def test_a_session_of_someone_else_cannot_be_ended(client, app):
    await sign_up(client)
    async with browser_at(app) as bea:
        await sign_up(bea, "bea@example.ch", name="Bea Beispiel", organisation="Bea AG")
        async with browser_at(app) as bea_phone:
            await log_in(bea_phone, "bea@example.ch")
            [bea_phone_session] = await session_ids(bea)
            response = await post_form(client, f"/account/sessions/{bea_phone_session}/end")
            assert response.status_code == 404
            assert await is_logged_in(bea_phone)


async def test_this_session_is_ended_by_logging_out_not_from_the_list(client):
    await sign_up(client)
    rows = await WebSession.select(WebSession.id).where(
        WebSession.token_hash == token_hash(session_cookie(client))
    )
    response = await post_form(client, f"/account/sessions/{rows[0]['id']}/end")
    assert response.status_code == 404
    assert await is_logged_in(client)
