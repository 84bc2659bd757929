"""Does the public directory's deepest results page cost what its first does? Its results are
ranked and paged by number (OFFSET, at most rules.LAST_PAGE pages): this measures, with 10,000
listed partners (COPY, as bench/directory.py loads them), the first and the deepest page of a
few searches, paired (one request at a time on each page in turn, by blocks of 25), as the
htmx fragment a visitor's browser fetches, with the directory's cache off.

    python -m bench.directory_depth [--partners 10000]

The rule (bench/README.md): OFFSET stays if every deepest page answers under 25 ms p99 and
within 1.3x of its first page; otherwise the directory moves to keyset paging.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os

from bench import harness
from bench.directory import load
from bench.harness import Request, format_table, say, verdict
from bench.reference import dollar_placeholders
from portal.directory import queries, rules

HTMX = Request(headers=(("HX-Request", "true"),))
MARKER = 'id="results"'
SEARCHES = {
    "everyone (ranking index)": {},
    "country=CH (facet)": {"country": "CH"},
    "language=de (facet)": {"language": "de"},
    "q=web (words)": {"q": "web"},
    "speciality=e_shop (facet)": {"speciality": "e_shop"},
}
MAX_P99_MS = 25.0
MAX_DEPTH_RATIO = 1.3
REQUESTS = int(os.environ.get("BENCH_REQUESTS", harness.SEQUENTIAL_REQUESTS))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.directory_depth", description=__doc__)
    parser.add_argument("--partners", type=int, default=10_000)
    args = parser.parse_args(argv)
    say(f"load average at the start: {os.getloadavg()}")
    os.environ["PORTAL_DIRECTORY_CACHE"] = "0"
    with harness.embedded_postgres() as postgres:
        url = load(postgres, args.partners)
        depths = asyncio.run(deepest_pages(url))
        plans = asyncio.run(deep_plans(url, depths))
        with harness.granian_server(harness.PORTAL_FACTORY, url) as server:
            figures = measure(server.base_url, depths)
    report(depths, figures, plans, os.getloadavg())


def path_of(params: dict, page: int) -> str:
    query = "&".join(f"{key}={value}" for key, value in {**params, "page": page}.items())
    return f"/directory?{query}"


def _search(params: dict, page: int = 1) -> rules.Search:
    from portal.core.reference import countries

    return rules.parse_search({**params, "page": str(page)}, countries()).search


async def deepest_pages(url: str) -> dict[str, tuple[int, int]]:
    """Per search: how many partners it finds and the deepest page a visitor can open."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        found = {}
        for name, params in SEARCHES.items():
            sql, values = queries.search_sql(_search(params))
            unpaged = dollar_placeholders(sql.rsplit(" LIMIT ", 1)[0])
            count = await connection.fetchval(
                f"SELECT count(*) FROM ({unpaged}) found", *values[:-2]
            )
            found[name] = (count, min(rules.LAST_PAGE, max(1, math.ceil(count / rules.PAGE_SIZE))))
        return found
    finally:
        await connection.close()


async def deep_plans(url: str, depths: dict) -> dict[str, str]:
    plans = {}
    for name, params in SEARCHES.items():
        for page in (1, depths[name][1]):
            sql, values = queries.search_sql(_search(params, page))
            plan = await harness.explain(url, dollar_placeholders(sql), tuple(values))
            plans[f"{name} page {page}"] = plan
    return plans


def measure(base_url: str, depths: dict) -> dict:
    figures = {}
    for name, params in SEARCHES.items():
        deepest = depths[name][1]
        paths = [path_of(params, 1), path_of(params, deepest)]
        for path in paths:
            harness.check_page(base_url, path, None, MARKER, HTMX)
        say(f"{name}: page 1 and page {deepest}, paired ...")
        first, deep = paired(base_url, paths)
        figures[name] = {"first": first.__dict__, "deepest": deep.__dict__, "page": deepest}
    return figures


def paired(base_url: str, paths: list[str], block: int = harness.SEQUENTIAL_BLOCK) -> list:
    """One request at a time on each path in turn, BLOCK each: both live through the same
    moments of the shared machine."""
    headers = HTMX.all_headers(None)
    connections = [harness._connection(base_url) for _ in paths]
    timings: list[list[float]] = [[] for _ in paths]
    try:
        for connection, path in zip(connections, paths, strict=True):
            harness._timed_requests(connection, path, headers, HTMX, harness.SEQUENTIAL_WARM_UP)
        for _ in range(0, REQUESTS, block):
            for connection, path, kept in zip(connections, paths, timings, strict=True):
                kept += harness._timed_requests(connection, path, headers, HTMX, block)
    finally:
        for connection in connections:
            connection.close()
    return [harness._sequential_figures(kept) for kept in timings]


def report(depths: dict, figures: dict, plans: dict, load_average) -> None:
    from bench.big_tenants import plan_summary

    rows, checks = [], []
    for name, found in figures.items():
        first, deep = found["first"], found["deepest"]
        ratio = deep["p99_ms"] / first["p99_ms"]
        rows.append(
            [name, f"{depths[name][0]:,}", found["page"], first["p50_ms"], first["p99_ms"],
             deep["p50_ms"], deep["p99_ms"], round(ratio, 2)]
        )  # fmt: skip
        checks.append([f"{name}: deepest p99 < {MAX_P99_MS:.0f} ms", deep["p99_ms"],
                       verdict(deep["p99_ms"] < MAX_P99_MS)])  # fmt: skip
        checks.append([f"{name}: deepest ÷ first p99 <= {MAX_DEPTH_RATIO}", round(ratio, 2),
                       verdict(ratio <= MAX_DEPTH_RATIO)])  # fmt: skip
    print(
        format_table(
            ["search", "found", "deepest page", "first p50", "first p99", "deepest p50",
             "deepest p99", "p99 deepest ÷ first"],
            rows,
        )
    )  # fmt: skip
    print(format_table(["plan", "summary"], [[k, plan_summary(v)] for k, v in plans.items()]))
    print(format_table(["target", "figure", "verdict"], checks))
    say(f"load average at the end: {load_average}")


if __name__ == "__main__":
    main()
