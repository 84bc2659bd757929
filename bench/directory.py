"""Issue 6's benchmark: the public directory's live-search fragment (what htmx fetches as a
visitor types), portal against the floor reference (bench/directory_reference.py: the same
SQL and template, nothing else), with 1,000 and 10,000 partners (listings loaded with COPY),
and the repeated-search path: the in-process cache and the conditional GET (304). The four
servers (two apps, two sizes) run at once and each endpoint is measured on them back to back.

    python -m bench.directory [--small 1000] [--rounds 1]

The uncached figures run the portal with PORTAL_DIRECTORY_CACHE=0, so that every request does
the search's work (as the reference does); the cached ones with the cache on, as production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict
from contextlib import ExitStack
from urllib.parse import urlsplit

from bench import directory_reference, harness, pages
from bench.foundation import alternating
from bench.harness import Request, format_table, say, verdict
from bench.pages import Endpoint, Results
from bench.reference import dollar_placeholders
from portal.directory import queries, rules

HTMX = (("HX-Request", "true"),)
ENDPOINTS = [
    # A visitor typing a town: few partners match, the GIN index finds them.
    Endpoint(
        "search q=lausanne (htmx)", "/directory?q=lausanne", 'id="results"', Request(headers=HTMX)
    ),
    # Two words (each a prefix) and a language filter.
    Endpoint(
        "search q=web shop&language=fr (htmx)",
        "/directory?q=web+shop&language=fr",
        'id="results"',
        Request(headers=HTMX),
    ),
    # Filters only: the GIN index's facets.
    Endpoint(
        "filter speciality=e_shop&region=CH-ZH (htmx)",
        "/directory?speciality=e_shop&region=CH-ZH",
        'id="results"',
        Request(headers=HTMX),
    ),
]  # fmt: skip
APPS = {"portal": harness.PORTAL_FACTORY, "reference": directory_reference.FACTORY}
CACHED_TARGET_RPS = 2000


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    sizes = [args.small, args.small * 10]
    by_data: dict[str, Results] = {}
    plans: dict[str, dict[str, str]] = {}
    cached: dict[str, dict] = {}
    broken: dict[str, str] = {}
    with harness.embedded_postgres() as postgres:
        urls = {f"{size:,} partners": load(postgres, size) for size in sizes}
        for label, url in urls.items():
            plans[label] = asyncio.run(query_plans(url))
        by_data, paired = measure_uncached(urls, postgres.get_pid(), args.rounds, broken)
        label, url = list(urls.items())[-1]
        cached[label] = measure_cached(url, postgres.get_pid())
    pages.report(
        "directory",
        by_data,
        plans,
        args.rounds,
        {"cached": cached, "sizes": sizes},
        broken,
        paired=paired,
    )
    print_cached(cached)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.directory", description=__doc__)
    parser.add_argument("--small", type=int, default=1000, help="partners at 1x (10x follows)")
    parser.add_argument("--rounds", type=int, default=1, help="measure N times; report medians")
    return parser.parse_args(argv)


def load(postgres, size: int) -> str:
    from portal.database import ensure_database

    url = ensure_database(postgres, f"bench_directory_{size}")
    started = time.perf_counter()
    asyncio.run(_migrate_and_load(url, size))
    say(f"{size:,} partners loaded with COPY in {time.perf_counter() - started:.1f} s")
    return url


async def _migrate_and_load(url: str, size: int) -> None:
    import sys
    from contextlib import redirect_stdout

    import asyncpg

    from portal import database
    from portal.directory.demo import bulk_partners

    database.bind(url)
    with redirect_stdout(sys.stderr):
        await database.migrate()
    connection = await asyncpg.connect(url)
    try:
        await bulk_partners(connection, size)
        # The evidence is synthetic: keep the portal's periodic refresh from recomputing it
        # (from the empty links) in the middle of a measurement.
        await connection.execute(
            "UPDATE directory_state SET refreshed_at = now() + interval '1 day'"
        )
    finally:
        await connection.close()
    await harness.execute(url, "VACUUM ANALYZE")


def measure_uncached(
    urls: dict[str, str], database_pid: int, rounds: int, broken
) -> tuple[dict[str, Results], pages.Paired]:
    """Both apps on both data sizes at once (four servers), each endpoint measured on the
    four back to back. The 10x/1x ratio is then measured apart, one request at a time on the
    1x and the 10x server of an app in turn (harness.run_sequential_paired): measured minutes
    apart, a busy moment of the machine on one side moved that ratio from 0.9 to 1.6."""
    os.environ["PORTAL_DIRECTORY_CACHE"] = "0"
    runs = defaultdict(list)
    paired_runs = defaultdict(list)
    try:
        with ExitStack() as stack:
            servers = {
                (label, app): stack.enter_context(harness.granian_server(factory, url))
                for label, url in urls.items()
                for app, factory in APPS.items()
            }
            chosen = [
                e
                for e in ENDPOINTS
                if all(
                    pages.works({app: servers[label, app] for app in APPS}, e, "", broken, label)
                    for label in urls
                )
            ]
            for round_number in range(rounds):
                for endpoint in chosen:
                    for label, app in alternating(list(servers), round_number):
                        say(f"{label}, round {round_number + 1}: {app} {endpoint.name} ...")
                        runs[label, app, endpoint.name].append(
                            harness.measure_endpoint(
                                servers[label, app], endpoint.path, None, endpoint.marker,
                                database_pid, endpoint.request,
                            )
                        )  # fmt: skip
                    for app in APPS:
                        say(f"paired 1x/10x, round {round_number + 1}: {app} {endpoint.name} ...")
                        both = [servers[label, app] for label in urls]
                        paired_runs[app, endpoint.name].append(
                            measure_paired(both, endpoint, round_number)
                        )
    finally:
        del os.environ["PORTAL_DIRECTORY_CACHE"]
    by_data = {
        label: {
            app: {e.name: harness.median_figures(runs[label, app, e.name]) for e in chosen}
            for app in APPS
        }
        for label in urls
    }
    paired = {
        key: tuple(harness.median_figures(list(sizes)) for sizes in zip(*pairs, strict=True))
        for key, pairs in paired_runs.items()
    }
    return by_data, paired


def measure_paired(servers: list, endpoint: Endpoint, round_number: int) -> list:
    """The sequential figures of the 1x and the 10x server, measured in turn; which goes
    first alternates with the rounds."""
    order = servers if round_number % 2 == 0 else servers[::-1]
    figures = harness.run_sequential_paired(
        [server.base_url for server in order], endpoint.path, None, endpoint.request
    )
    return figures if round_number % 2 == 0 else figures[::-1]


def measure_cached(url: str, database_pid: int) -> dict:
    """The portal as deployed (cache on): a repeated search answered from the cache, and a
    browser revalidating its copy (If-None-Match → 304)."""
    endpoint = ENDPOINTS[0]
    figures = {}
    with harness.granian_server(harness.PORTAL_FACTORY, url) as server:
        say(f"cached: {endpoint.name} ...")
        figures["cache hit (200)"] = harness.measure_endpoint(
            server, endpoint.path, None, endpoint.marker, database_pid, endpoint.request
        ).as_dict()
        tag = etag_of(server.base_url, endpoint)
        conditional = Request(headers=(*HTMX, ("If-None-Match", tag)))
        say("cached: conditional GET (304) ...")
        harness.warm_up(server.base_url + endpoint.path, None, conditional)
        load = harness.run_wrk(server.base_url + endpoint.path, None, conditional)
        figures["conditional GET (304)"] = {
            "load": load.__dict__,
            "sequential": sequential_304(server.base_url, endpoint.path, conditional),
        }
    return figures


def etag_of(base_url: str, endpoint: Endpoint) -> str:
    import http.client

    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", endpoint.path, headers=dict(endpoint.request.headers))
        response = connection.getresponse()
        response.read()
        return response.headers["ETag"]
    finally:
        connection.close()


def sequential_304(base_url: str, path: str, request: Request) -> dict:
    import http.client

    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    timings = []
    try:
        for number in range(harness.SEQUENTIAL_WARM_UP + harness.SEQUENTIAL_REQUESTS):
            started = time.perf_counter()
            connection.request("GET", path, headers=dict(request.headers))
            response = connection.getresponse()
            response.read()
            if response.status != 304:
                raise RuntimeError(f"{path} answered {response.status}, not 304")
            if number >= harness.SEQUENTIAL_WARM_UP:
                timings.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    timings.sort()
    return {
        "p50_ms": harness.percentile(timings, 50),
        "p99_ms": harness.percentile(timings, 99),
        "requests": len(timings),
    }


def print_cached(cached: dict) -> None:
    rows = []
    for label, by_kind in cached.items():
        for kind, figures in by_kind.items():
            load, sequential = figures["load"], figures["sequential"]
            rows.append(
                [
                    label, kind, load["requests_per_s"], load["p50_ms"], load["p99_ms"],
                    sequential["p50_ms"], sequential["p99_ms"], load["errors"],
                    verdict(load["requests_per_s"] >= CACHED_TARGET_RPS),
                ]
            )  # fmt: skip
    print()
    print(
        format_table(
            ["data", "repeated search", "req/s", "load p50 ms", "load p99 ms", "seq p50 ms",
             "seq p99 ms", "errors", f">= {CACHED_TARGET_RPS} req/s"],
            rows,
        )
    )  # fmt: skip


async def query_plans(url: str) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each endpoint's search as the portal sends it: the GIN
    index (directory_listing_find) must show, and the later ranking windows "never executed"."""
    plans = {}
    for endpoint in ENDPOINTS:
        params = dict(
            pair.split("=", 1) for pair in urlsplit(endpoint.path).query.split("&") if pair
        )
        params = {key: value.replace("+", " ") for key, value in params.items()}
        search = rules.parse_search(params, _countries()).search
        sql, values = queries.search_sql(search)
        plans[endpoint.name] = await harness.explain(url, dollar_placeholders(sql), tuple(values))
    return plans


def _countries():
    from portal.core.reference import countries

    return countries()


if __name__ == "__main__":
    main()
