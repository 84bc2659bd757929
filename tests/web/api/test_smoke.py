"""The API answers its operations for a partner's legal representative (the demo world)."""

from __future__ import annotations

from tests.web.api.conftest import ALPINE, bearer, make_token


async def test_every_list_answers_with_a_token_of_every_scope(client, demo_world):
    token = await make_token("alice@demo.partner-portal.test", ALPINE)
    paths = [
        "/api/v1/organisation",
        "/api/v1/clients",
        "/api/v1/partners",
        "/api/v1/products",
        "/api/v1/invoices",
        "/api/v1/ledger/balances",
        "/api/v1/ledger/entries?currency=CHF",
        "/api/v1/reports/lines?from=2020-01-01&to=2029-12-31",
        "/api/v1/tenders",
    ]
    for path in paths:
        response = await client.get(path, headers=bearer(token))
        assert response.status_code == 200, (path, response.text)
        assert response.headers["ratelimit-limit"] == "60"
    clients = (await client.get("/api/v1/clients", headers=bearer(token))).json()
    assert clients["data"], clients
    link = clients["data"][0]["link_id"]
    assert (await client.get(f"/api/v1/links/{link}", headers=bearer(token))).status_code == 200
    products = await client.get(f"/api/v1/links/{link}/products", headers=bearer(token))
    assert products.status_code == 200, products.text


async def test_no_token_is_401_as_a_problem(client, demo_world):
    response = await client.get("/api/v1/clients")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 401
