"""A tender's JSON in the API, byte for byte, as the database holds it: the inbox list and
the detail serialise the same tender the same way."""

from __future__ import annotations

import json

from portal.api.paging import encode
from portal.tenders.tables import Tender
from tests.factories.api import ALPINE, bearer, make_token, organisation_id

NEWEST_ROUTED_SQL = """
SELECT t.id, t.title, t.category, t.budget_min::text AS budget_min,
       t.budget_max::text AS budget_max, t.currency, t.language, t.country, t.region,
       t.deadline,
       CASE WHEN t.status = 'open' AND t.deadline <= now() THEN 'expired' ELSE t.status END
           AS status,
       r.read_at IS NULL AND q.id IS NULL AS new, q.status AS quote_status
FROM tender_recipient r JOIN tender t ON t.id = r.tender
LEFT JOIN quote q ON q.tender = t.id AND q.partner = r.partner
WHERE r.partner = {} ORDER BY t.id DESC LIMIT 2
"""


def as_json(row: dict) -> str:
    """The tender as the API writes it: money as text, UTC times with a Z, compact."""
    fields = {**row, "deadline": row["deadline"].isoformat().replace("+00:00", "Z")}
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


async def test_a_tender_serialises_exactly_in_the_inbox_and_the_detail(client, demo_world):
    alpine = await organisation_id(ALPINE)
    newest, second = await Tender.raw(NEWEST_ROUTED_SQL, alpine)
    token = await make_token("alice@demo.partner-portal.test", ALPINE)

    listed = await client.get("/api/v1/tenders?limit=1", headers=bearer(token))
    detail = await client.get(f"/api/v1/tenders/{newest['id']}", headers=bearer(token))

    summary = as_json(newest)[:-1]  # without its closing brace
    cursor = encode(newest["id"])
    assert listed.content.decode() == f'{{"data":[{summary}}}],"next_cursor":"{cursor}"}}'
    assert detail.content.decode().startswith(f'{summary},"description":')
    assert second["id"] < newest["id"]
