"""A quote through the API: the tenders scope's write level, 404 for a tender not routed to
the partner, field errors that write nothing, one quote per Idempotency-Key. And the two doors
stay apart: a page's session opens no API call, a token opens no page."""

from __future__ import annotations

from portal.access import ApiArea, ApiLevel, scope
from portal.demo import DEMO_PASSWORD
from tests.factories.accounts import log_in
from tests.factories.api import ALPINE, bearer, make_token, scalar

ALICE = "alice@demo.partner-portal.test"
ELISE = "elise@demo.partner-portal.test"
LUMIERE = "Lumière Digital SARL"
QUOTE = {
    "price": "1500.00",
    "currency": "CHF",
    "timeline": "Four weeks from the order.",
    "message": "We build it on your hosting.",
    "only_host_products": True,
}


async def open_tender(client, token: str) -> dict:
    """A tender in the partner's inbox it has not answered and still may."""
    tenders = (await client.get("/api/v1/tenders?limit=200", headers=bearer(token))).json()
    for tender in tenders["data"]:
        detail = await client.get(f"/api/v1/tenders/{tender['id']}", headers=bearer(token))
        if detail.json()["may_answer"] and detail.json()["quote"] is None:
            return tender
    raise AssertionError(f"no tender to answer in {tenders}")


async def quotes() -> int:
    return await scalar("SELECT count(*) FROM quote")


async def test_a_quote_needs_the_write_scope_and_is_made_once_per_key(client, demo_world):
    token = await make_token(ELISE, LUMIERE)
    reader = await make_token(ELISE, LUMIERE, {scope(ApiArea.TENDERS, ApiLevel.READ)})
    tender = await open_tender(client, token)
    quote = {**QUOTE, "currency": tender["currency"]}
    path = f"/api/v1/tenders/{tender['id']}/quote"
    before = await quotes()

    read_only = await client.post(path, json=quote, headers=bearer(reader))
    assert read_only.status_code == 403
    assert read_only.headers["content-type"].startswith("application/problem+json")
    alpines = await make_token(ALICE, ALPINE)
    alpine_tender = (await client.get("/api/v1/tenders", headers=bearer(alpines))).json()["data"][0]
    for foreign in (alpine_tender["id"], 999_999):  # routed to another partner; no such tender
        path_of_foreign = f"/api/v1/tenders/{foreign}"
        assert (await client.get(path_of_foreign, headers=bearer(token))).status_code == 404
        not_routed = await client.post(
            f"{path_of_foreign}/quote", json=quote, headers=bearer(token)
        )
        assert not_routed.status_code == 404
    wrong = await client.post(
        path, json={**quote, "price": "-1", "only_host_products": False}, headers=bearer(token)
    )
    assert wrong.status_code == 422
    assert {"price", "only_host_products"} <= set(wrong.json()["errors"])
    assert await quotes() == before

    headers = {**bearer(token), "Idempotency-Key": "quote-for-tender"}
    first = await client.post(path, json=quote, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["quote"]["price"] == "1500.00"
    again = await client.post(path, json=quote, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await quotes() == before + 1


async def test_a_session_opens_no_api_call_and_a_token_no_page(client, demo_world):
    token = await make_token(ALICE, ALPINE)
    assert (await log_in(client, ALICE, DEMO_PASSWORD)).status_code == 303
    assert (await client.get("/clients")).status_code == 200  # the session is good for pages
    with_session = await client.get("/api/v1/clients")
    assert with_session.status_code == 401
    assert with_session.headers["content-type"].startswith("application/problem+json")
    client.cookies.clear()
    page = await client.get("/clients", headers=bearer(token))
    assert page.status_code in (302, 303) and "/login" in page.headers["location"]
    assert (await client.get("/api/v1/clients", headers=bearer(token))).status_code == 200
