"""60 requests a minute per token, counted in PostgreSQL: two server processes (granian, as
in production) share the count; the 61st request of the minute answers 429 with Retry-After,
and every answer says where the token stands."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack

import httpx

from tests.conftest import ROOT, free_port
from tests.helpers import insert_organisation, insert_person
from tests.web.api.conftest import bearer, make_token


def start_server(stack: ExitStack, database_url: str, data_dir) -> str:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--factory",
         "portal.app:app_from_environment", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    stack.callback(_stop, process)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not start")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


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
