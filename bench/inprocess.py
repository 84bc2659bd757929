"""CPU per request, in-process: the portal's and the reference's ASGI apps called directly (no
HTTP, no server, one request at a time), alternating over rounds, against the demo data.

On a shared, busy machine, req/s moves a lot from run to run; the CPU time one request costs
the app (and PostgreSQL) moves much less, so this is the figure to compare before and after a
change. With --profile, cProfile shows where the portal's time goes. With --checklist, the
request is the programme's live checklist (POST /programme/checklist as htmx sends it).

    python -m bench.inprocess [--path / | --checklist] [--size 2000] [--requests 800]
                              [--rounds 3] [--profile] [--portal-only]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import asyncpg
import uvloop
from litestar.middleware.csrf import generate_csrf_token

from bench import harness, reference
from bench.pages import csrf_of, htmx
from portal.core.tokens import token_hash
from portal.demo import ALICE

WARM_UP_REQUESTS = 100


@dataclass(frozen=True)
class CpuPerRequest:
    app_ms: float
    database_ms: float
    wall_ms: float


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    with harness.embedded_postgres() as postgres:
        url = harness.demo_database(postgres, args.size)
        os.environ.update(DATABASE_URL=url, PORTAL_SECRET_KEY=secrets.token_urlsafe(48))
        cookie = asyncio.run(session_cookie(url))
        runs = measure(args, cookie, postgres.get_pid())
    report(args, runs)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--path", default="/", help="/ (the dashboard) or /health")
    parser.add_argument("--size", type=int, default=2000, help="generated demo organisations")
    parser.add_argument("--requests", type=int, default=800, help="measured requests per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile the portal's requests")
    parser.add_argument(
        "--portal-only",
        action="store_true",
        help="measure the portal alone, for pages the reference does not serve",
    )
    parser.add_argument(
        "--checklist", action="store_true", help="POST /programme/checklist (htmx) instead"
    )
    args = parser.parse_args(argv)
    if args.checklist:
        args.path = "/programme/checklist"
    return args


async def session_cookie(url: str) -> str:
    """A logged-in session of the demo's Alice in her first organisation, as a Cookie header."""
    token = secrets.token_urlsafe(32)
    connection = await asyncpg.connect(url)
    try:
        account = await connection.fetchval("SELECT id FROM account WHERE email = $1", ALICE.email)
        organisation = await connection.fetchval(
            """SELECT organisation FROM membership WHERE account = $1
               ORDER BY created_at, id LIMIT 1""",
            account,
        )
        await connection.execute(
            """INSERT INTO web_session (token_hash, account, organisation_id,
                   second_factor_pending, user_agent, ip_address)
               VALUES ($1, $2, $3, false, 'bench', '127.0.0.1')""",
            token_hash(token),
            account,
            organisation,
        )
    finally:
        await connection.close()
    # A browser has a valid one (signed with the app's secret); without it every page sets one.
    csrf = generate_csrf_token(os.environ["PORTAL_SECRET_KEY"])
    return f"{harness.SESSION_COOKIE}={token}; {harness.CSRF_COOKIE}={csrf}"


def measure(
    args: argparse.Namespace, cookie: str, database_pid: int
) -> dict[str, list[CpuPerRequest]]:
    from portal.app import app_from_environment

    factories = {"portal": app_from_environment, "reference": reference.create_app}
    if args.portal_only:
        del factories["reference"]
    profile = cProfile.Profile() if args.profile else None
    runs: dict[str, list[CpuPerRequest]] = {name: [] for name in factories}
    for round_number in range(args.rounds):
        order = list(factories) if round_number % 2 == 0 else list(factories)[::-1]
        for name in order:
            harness.say(f"round {round_number + 1}: {name} {args.path} ...")
            run = serve_requests(
                factories[name](),
                args.path,
                cookie,
                args.checklist,
                args.requests,
                database_pid,
                profile if name == "portal" else None,
            )
            runs[name].append(uvloop.run(run))
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    return runs


async def serve_requests(
    app, path, cookie, checklist, count, database_pid, profile
) -> CpuPerRequest:
    headers = [(b"host", b"127.0.0.1")]
    if path != "/health":  # a load balancer sends no cookie
        headers.append((b"cookie", cookie.encode()))
    body = b""
    if checklist:
        from bench.money import FORM

        body = urlencode(FORM).encode()
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            *[(k.lower().encode(), v.encode()) for k, v in htmx(csrf_of(cookie))],
        ]
    async with app.lifespan():
        for _ in range(WARM_UP_REQUESTS):
            await call(app, path, headers, body)
        if profile:
            profile.enable()
        database = harness.cpu_seconds(database_pid)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            await call(app, path, headers, body)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        database = harness.cpu_seconds(database_pid) - database
        if profile:
            profile.disable()
    return CpuPerRequest(cpu * 1000 / count, database * 1000 / count, wall * 1000 / count)


async def call(app, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> None:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip
    statuses = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    if statuses != [200]:
        raise RuntimeError(f"{path} answered {statuses}")


def report(args: argparse.Namespace, runs: dict[str, list[CpuPerRequest]]) -> None:
    medians = {name: harness.median_figures(values) for name, values in runs.items()}
    rows = [
        [name, args.path, m.app_ms, m.database_ms, m.app_ms + m.database_ms, m.wall_ms]
        for name, m in medians.items()
    ]
    print(f"\nsize {args.size}, {args.requests} requests x {args.rounds} rounds, medians")
    headers = ["app", "path", "app CPU ms/req", "db CPU ms/req", "total CPU ms/req", "wall ms/req"]
    print(harness.format_table(headers, rows))
    total = {name: m.app_ms + m.database_ms for name, m in medians.items()}
    if "reference" not in total:
        return
    print(f"CPU per request portal ÷ reference: {total['portal'] / total['reference']:.2f}")


if __name__ == "__main__":
    main()
