"""Does the public directory's deep results page cost what its first does? This measures,
with 10,000 listed partners (COPY, as bench/directory.py loads them), the first page of a few
searches and the page after their DEPTH-th result (980: what page 50 was when the directory
paged by number, with OFFSET), paired (one request at a time on each page in turn, by blocks
of 25), as the htmx fragment a visitor's browser fetches, with the directory's cache off.

    python -m bench.directory_depth [--partners 10000] [--depth 980]

The target (bench/README.md): the deep page under 25 ms p99 and within 1.3x of the first.
"""

from __future__ import annotations

import argparse
import asyncio
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
    parser.add_argument("--depth", type=int, default=980, help="results before the deep page")
    args = parser.parse_args(argv)
    say(f"load average at the start: {os.getloadavg()}")
    os.environ["PORTAL_DIRECTORY_CACHE"] = "0"
    with harness.embedded_postgres() as postgres:
        url = load(postgres, args.partners)
        depths = asyncio.run(deep_pages(url, args.depth))
        plans = asyncio.run(deep_plans(url, depths))
        with harness.granian_server(harness.PORTAL_FACTORY, url) as server:
            figures = measure(server.base_url, depths)
    report(depths, figures, plans, os.getloadavg())


def _search(params: dict) -> rules.Search:
    from portal.core.reference import countries

    return rules.parse_search(params, countries()).search


def path_of(search: rules.Search) -> str:
    return search.url("/directory")


async def deep_pages(url: str, depth: int) -> dict[str, tuple[int, int, rules.Search]]:
    """Per search: how many partners it finds, how many results come before its deep page,
    and that page (after the place of the last of them)."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        found = {}
        for name, params in SEARCHES.items():
            search = _search(params)
            sql, values = queries.search_sql(search)
            unpaged = dollar_placeholders(sql.rsplit(" LIMIT ", 1)[0])
            rows = await connection.fetch(
                f"SELECT * FROM ({unpaged}) found "
                "ORDER BY rank_window, rank_score DESC, rank_tiebreak, id",
                *values[:-1],
            )
            before = min(depth, max(len(rows) - rules.PAGE_SIZE, 1))
            place = rules.place_of(rows[before - 1])
            found[name] = (len(rows), before, search.moved(after=place))
        return found
    finally:
        await connection.close()


async def deep_plans(url: str, depths: dict) -> dict[str, str]:
    plans = {}
    for name, params in SEARCHES.items():
        for label, search in (("first", _search(params)), ("deep", depths[name][2])):
            sql, values = queries.search_sql(search)
            plan = await harness.explain(url, dollar_placeholders(sql), tuple(values))
            plans[f"{name} {label}"] = plan
    return plans


def measure(base_url: str, depths: dict) -> dict:
    figures = {}
    for name, params in SEARCHES.items():
        _, before, deep_search = depths[name]
        paths = [path_of(_search(params)), path_of(deep_search)]
        for path in paths:
            harness.check_page(base_url, path, None, MARKER, HTMX)
        say(f"{name}: the first page and the one after result {before}, paired ...")
        first, deep = paired(base_url, paths)
        figures[name] = {"first": first.__dict__, "deepest": deep.__dict__, "page": before}
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
        checks.append([f"{name}: deep p99 < {MAX_P99_MS:.0f} ms", deep["p99_ms"],
                       verdict(deep["p99_ms"] < MAX_P99_MS)])  # fmt: skip
        checks.append([f"{name}: deep ÷ first p99 <= {MAX_DEPTH_RATIO}", round(ratio, 2),
                       verdict(ratio <= MAX_DEPTH_RATIO)])  # fmt: skip
    print(
        format_table(
            ["search", "found", "deep page after", "first p50", "first p99", "deep p50",
             "deep p99", "p99 deep ÷ first"],
            rows,
        )
    )  # fmt: skip
    print(format_table(["plan", "summary"], [[k, plan_summary(v)] for k, v in plans.items()]))
    print(format_table(["target", "figure", "verdict"], checks))
    say(f"load average at the end: {load_average}")


if __name__ == "__main__":
    main()
