"""The API answers its operations for a partner's legal representative (the demo world)."""

from __future__ import annotations

from tests.factories.api import ALPINE, bearer, make_token


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


async def test_a_write_with_an_idempotency_key_happens_once(client, demo_world):
    from tests.factories.api import scalar

    token = await make_token("alice@demo.partner-portal.test", ALPINE)
    link = (await client.get("/api/v1/clients", headers=bearer(token))).json()["data"][0]
    products = await client.get(f"/api/v1/links/{link['link_id']}/products", headers=bearer(token))
    product = products.json()["data"][0]["id"]
    path = f"/api/v1/links/{link['link_id']}/products/{product}"
    headers = {**bearer(token), "Idempotency-Key": "rename-1"}
    audit_before = await scalar("SELECT count(*) FROM audit_event")
    first = await client.patch(path, json={"name": "shop.example"}, headers=headers)
    again = await client.patch(path, json={"name": "shop.example"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await scalar("SELECT count(*) FROM audit_event") == audit_before + 2  # both sides, once
    other = await client.patch(path, json={"name": "another.example"}, headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["errors"]
    form = await client.patch(path, data={"name": "x"}, headers=bearer(token))
    assert form.status_code == 415


async def test_a_foreign_id_is_404_and_an_out_of_scope_call_403(client, demo_world):
    from portal.access import ApiArea, ApiLevel, scope
    from tests.factories.api import scalar

    token = await make_token(
        "alice@demo.partner-portal.test", ALPINE, {scope(ApiArea.PRODUCTS, ApiLevel.READ)}
    )
    assert (await client.get("/api/v1/invoices", headers=bearer(token))).status_code == 403
    full = await make_token("alice@demo.partner-portal.test", ALPINE)
    foreign = await client.get("/api/v1/invoices/999999", headers=bearer(full))
    assert foreign.status_code == 404 and foreign.json()["status"] == 404
    huber_invoice = await scalar(
        "SELECT i.id FROM invoice i JOIN organisation o ON o.id = i.payer "
        "WHERE o.name = 'Bäckerei Huber AG' LIMIT 1"
    )
    if huber_invoice:
        seen = await client.get(f"/api/v1/invoices/{huber_invoice}", headers=bearer(full))
        assert seen.status_code == 404


async def test_a_name_with_control_characters_is_a_field_error_that_writes_nothing(
    client, demo_world
):
    from tests.factories.api import scalar

    token = await make_token("alice@demo.partner-portal.test", ALPINE)
    link = (await client.get("/api/v1/clients", headers=bearer(token))).json()["data"][0]
    products = await client.get(f"/api/v1/links/{link['link_id']}/products", headers=bearer(token))
    product = products.json()["data"][0]
    path = f"/api/v1/links/{link['link_id']}/products/{product['id']}"
    audit_before = await scalar("SELECT count(*) FROM audit_event")
    refused = await client.patch(path, json={"name": "Bron\x00ze"}, headers=bearer(token))
    assert refused.status_code == 422 and "name" in refused.json()["errors"]
    assert await scalar("SELECT name FROM product WHERE id = {}", product["id"]) == product["name"]
    assert await scalar("SELECT count(*) FROM audit_event") == audit_before
    as_text = await client.patch(path, content=b"x", headers={"Content-Type": "text/plain"})
    assert as_text.status_code == 415  # refused before the token is even looked at
