"""Schemathesis against /api/v1/openapi.json, with a read-write token of the demo partner's
legal representative, on the production server: no answer is a 5xx, every answer's status,
content type, headers and body conform to the document. Bounded in examples and time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import ExitStack

from portal.access import ALL_SCOPES
from tests.factories.api import ALPINE, make_token, start_server

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_headers_conformance,response_schema_conformance"
)
MAX_EXAMPLES = "25"
TIME_LIMIT = 420  # seconds for the whole run


async def test_every_operation_conforms_to_the_document(demo_world, tmp_path, monkeypatch):
    token = await make_token("alice@demo.partner-portal.test", ALPINE, ALL_SCOPES)
    monkeypatch.setenv("PORTAL_API_REQUESTS_PER_MINUTE", "1000000")  # the limit has its test
    executable = shutil.which("schemathesis") or shutil.which("st")
    command = [executable] if executable else [sys.executable, "-m", "schemathesis.cli"]
    with ExitStack() as stack:
        base = start_server(stack, demo_world, tmp_path)
        result = subprocess.run(
            [*command, "run", f"{base}/api/v1/openapi.json",
             "--header", f"Authorization: Bearer {token}",
             "--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--workers", "1",
             "--request-timeout", "20", "--phases", "examples,coverage,fuzzing",
             "--suppress-health-check", "all", "--no-color"],
            capture_output=True, text=True, timeout=TIME_LIMIT, cwd=tmp_path,  # its cache
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        )  # fmt: skip
    report = result.stdout[-8000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert "No issues found" in result.stdout or " passed" in result.stdout, report
