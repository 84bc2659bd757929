"""60 requests a minute per token, counted in PostgreSQL: two server processes (granian, as
in production) share the count; the 61st request of the minute answers 429 with Retry-After,
and every answer says where the token stands."""

from __future__ import annotations

from contextlib import ExitStack

import httpx

from tests.factories.api import bearer, make_token, start_server
from tests.factories.organisations import insert_organisation, insert_person


async def test_the_61st_request_of_a_minute_is_refused_whichever_process_answers(db, tmp_path):
    organisation = await insert_organisation("Limit AG")
    await insert_person("lim@example.ch", organisation, "legal_representative")
    token = await make_token("lim@example.ch", organisation)
    with ExitStack() as stack:
        servers = [start_server(stack, db, tmp_path) for _ in range(2)]
        answers = []
        with httpx.Client(timeout=10) as http:
            for number in range(60):
                base = servers[number % 2]
                answers.append(http.get(base + "/api/v1/organisation", headers=bearer(token)))
            last = http.get(servers[0] + "/api/v1/organisation", headers=bearer(token))
            other = http.get(servers[1] + "/api/v1/organisation", headers=bearer(token))
    assert [a.status_code for a in answers] == [200] * 60
    assert [int(a.headers["ratelimit-remaining"]) for a in answers] == list(range(59, -1, -1))
    assert last.status_code == 429 and other.status_code == 429
    assert 1 <= int(last.headers["retry-after"]) <= 60
    assert last.headers["content-type"].startswith("application/problem+json")
    assert last.headers["ratelimit-remaining"] == "0"
