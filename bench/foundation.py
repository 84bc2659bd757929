"""The foundation's benchmark: the logged-in dashboard (GET /) and GET /health, portal against
the floor reference, at one demo size (and at 10x with --scale-check).

    python -m bench.foundation [--size 2000] [--scale-check] [--rounds 1] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
from collections import defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime

from bench import harness, reference
from bench.harness import EndpointFigures, format_table, say, verdict
from portal.demo import ALICE, DEMO_PASSWORD, NAMED_ORGANISATIONS

APPS = {"portal": harness.PORTAL_FACTORY, "reference": reference.FACTORY}
# name: (path, whether the page needs the login cookie, text the real page contains)
ENDPOINTS = {
    "dashboard": ("/", True, NAMED_ORGANISATIONS[0][0]),
    "health": ("/health", False, '"ok"'),
}
MIN_THROUGHPUT_RATIO = 0.60
MAX_SEQUENTIAL_P99_MS = 25.0
MAX_SCALE_RATIO = 1.3

Results = dict[str, dict[str, EndpointFigures]]  # app -> endpoint -> figures


def main(argv: list[str] | None = None) -> None:
    args = parse_arguments(argv)
    sizes = [args.size, args.size * 10] if args.scale_check else [args.size]
    by_size: dict[int, Results] = {}
    plans: dict[int, dict[str, str]] = {}
    with harness.embedded_postgres() as postgres:
        for size in sizes:
            by_size[size], plans[size] = measure_size(
                postgres, size, rounds=args.rounds, explain=args.explain
            )
    report(by_size, plans, args.rounds)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.foundation", description=__doc__)
    parser.add_argument("--size", type=int, default=2000, help="generated demo organisations")
    parser.add_argument(
        "--scale-check", action="store_true", help="also measure at 10x the size (ratio 10x/1x)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each endpoint N times; report medians"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print EXPLAIN ANALYZE of the dashboard's SQL"
    )
    return parser.parse_args(argv)


def measure_size(
    postgres: object, size: int, *, rounds: int, explain: bool
) -> tuple[Results, dict[str, str]]:
    """Both apps at one demo size, both servers up, measured back to back per endpoint (the
    first alternating by round) so that the machine's noise hits both alike; with several
    rounds, each figure is the median. The reference reuses the portal login's session."""
    url = harness.demo_database(postgres, size)
    runs: dict[tuple[str, str], list[EndpointFigures]] = defaultdict(list)
    with ExitStack() as stack:
        servers = {
            app: stack.enter_context(harness.granian_server(factory, url))
            for app, factory in APPS.items()
        }
        cookie = harness.log_in(servers["portal"].base_url, ALICE.email, DEMO_PASSWORD)
        for round_number in range(rounds):
            for endpoint, (path, needs_login, marker) in ENDPOINTS.items():
                for app in alternating(list(APPS), round_number):
                    say(f"size {size}, round {round_number + 1}: {app} {endpoint} ({path}) ...")
                    runs[app, endpoint].append(
                        harness.measure_endpoint(
                            servers[app], path, cookie if needs_login else None, marker,
                            postgres.get_pid(),
                        )
                    )  # fmt: skip
    results: Results = {
        app: {endpoint: harness.median_figures(runs[app, endpoint]) for endpoint in ENDPOINTS}
        for app in APPS
    }
    plans = asyncio.run(query_plans(url, session_token(cookie))) if explain else {}
    return results, plans


def alternating(items: list[str], round_number: int) -> list[str]:
    return items if round_number % 2 == 0 else items[::-1]


def session_token(cookie: str) -> str:
    pairs = dict(part.split("=", 1) for part in cookie.split("; "))
    return pairs[harness.SESSION_COOKIE]


async def query_plans(url: str, token: str) -> dict[str, str]:
    """EXPLAIN ANALYZE of each query of the dashboard, with the benchmark session's values."""
    sql, args = reference.session_query(token)
    plans = {"session": await harness.explain(url, sql, args)}
    organisation_id = await harness.fetch_value(
        url, f"SELECT organisation_id FROM ({sql}) AS s", *args
    )
    captured = await reference.capture_dashboard_sql()
    queries = reference.dashboard_queries(captured, organisation_id, datetime.now(UTC))
    for name, (sql, args) in queries.items():
        plans[name] = await harness.explain(url, sql, args)
    return plans


# --- report ---------------------------------------------------------------------------------


def report(by_size: dict[int, Results], plans: dict[int, dict[str, str]], rounds: int) -> None:
    targets = target_rows(by_size)
    scale = scale_rows(by_size) if len(by_size) > 1 else []
    print_plans(plans)
    print()
    print(format_table(FIGURE_HEADERS, figure_rows(by_size)))
    print()
    print(format_table(TARGET_HEADERS, targets))
    if scale:
        print()
        print(format_table(SCALE_HEADERS, scale))
    payload = results_payload(by_size, plans, targets, scale, rounds)
    path = harness.write_results("foundation", payload)
    print(f"\nWritten to {path.relative_to(harness.ROOT)}")


FIGURE_HEADERS = [
    "size", "endpoint", "app", "req/s", "load p50 ms", "load p99 ms", "seq p50 ms",
    "seq p99 ms", "errors", "bytes", "CPU ms/req server", "CPU ms/req db", "req/s portal÷ref",
    "CPU/req portal÷ref",
]  # fmt: skip


def figure_rows(by_size: dict[int, Results]) -> list[list[object]]:
    rows = []
    for size, results in by_size.items():
        for endpoint in ENDPOINTS:
            for app in APPS:
                figures = results[app][endpoint]
                load, sequential, cpu = figures.load, figures.sequential, figures.cpu
                rows.append(
                    [
                        size, endpoint, app, load.requests_per_s, load.p50_ms, load.p99_ms,
                        sequential.p50_ms, sequential.p99_ms, load.errors, figures.response_bytes,
                        cpu.server_ms_per_request, cpu.database_ms_per_request,
                        f"{throughput_ratio(results, endpoint):.2f}" if app == "portal" else "",
                        f"{cpu_ratio(results, endpoint):.2f}" if app == "portal" else "",
                    ]
                )  # fmt: skip
    return rows


def throughput_ratio(results: Results, endpoint: str) -> float:
    portal = results["portal"][endpoint].load.requests_per_s
    return portal / results["reference"][endpoint].load.requests_per_s


def cpu_ratio(results: Results, endpoint: str) -> float:
    """Server + database CPU per request, portal over reference."""

    def total(app: str) -> float:
        cpu = results[app][endpoint].cpu
        return cpu.server_ms_per_request + cpu.database_ms_per_request

    return total("portal") / total("reference")


TARGET_HEADERS = ["size", "target", "figure", "verdict"]


def target_rows(by_size: dict[int, Results]) -> list[list[object]]:
    rows = []
    for size, results in by_size.items():
        for endpoint in ENDPOINTS:
            ratio = throughput_ratio(results, endpoint)
            rows.append(
                [
                    size,
                    f"{endpoint}: throughput >= {MIN_THROUGHPUT_RATIO:.0%} of reference",
                    f"{ratio:.1%}",
                    verdict(ratio >= MIN_THROUGHPUT_RATIO),
                ]
            )
        for endpoint in ENDPOINTS:
            p99 = results["portal"][endpoint].sequential.p99_ms
            rows.append(
                [
                    size,
                    f"{endpoint}: sequential p99 < {MAX_SEQUENTIAL_P99_MS:.0f} ms",
                    f"{p99:.2f} ms",
                    verdict(p99 < MAX_SEQUENTIAL_P99_MS),
                ]
            )
    return rows


SCALE_HEADERS = [
    "endpoint", "app", "seq p50 1x", "seq p50 10x", "p50 10x÷1x", "seq p99 10x÷1x",
    "load p50 10x÷1x", f"p50 ratio <= {MAX_SCALE_RATIO}",
]  # fmt: skip


def scale_rows(by_size: dict[int, Results]) -> list[list[object]]:
    small, large = (by_size[size] for size in sorted(by_size))
    rows = []
    for endpoint in ENDPOINTS:
        for app in APPS:
            one, ten = small[app][endpoint], large[app][endpoint]
            p50_ratio = ten.sequential.p50_ms / one.sequential.p50_ms
            rows.append(
                [
                    endpoint, app, one.sequential.p50_ms, ten.sequential.p50_ms,
                    f"{p50_ratio:.2f}", f"{ten.sequential.p99_ms / one.sequential.p99_ms:.2f}",
                    f"{ten.load.p50_ms / one.load.p50_ms:.2f}",
                    verdict(p50_ratio <= MAX_SCALE_RATIO),
                ]
            )  # fmt: skip
    return rows


def print_plans(plans: dict[int, dict[str, str]]) -> None:
    for size, by_query in plans.items():
        for name, plan in by_query.items():
            print(f"\n--- size {size}: EXPLAIN ANALYZE {name}\n{plan}")


def results_payload(
    by_size: dict[int, Results],
    plans: dict[int, dict[str, str]],
    targets: list[list[object]],
    scale: list[list[object]],
    rounds: int,
) -> dict:
    return {
        "benchmark": "foundation",
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "method": {
            "workers": harness.WORKERS,
            "wrk": " ".join(harness.WRK_ARGS) + f" -d{harness.LOAD_SECONDS}s",
            "warm_up_s": harness.WARM_UP_SECONDS,
            "sequential_requests": harness.SEQUENTIAL_REQUESTS,
            "rounds": rounds,
        },
        "figures": {
            str(size): {
                app: {endpoint: figures.as_dict() for endpoint, figures in by_app.items()}
                for app, by_app in results.items()
            }
            for size, results in by_size.items()
        },
        "targets": [dict(zip(TARGET_HEADERS, row, strict=True)) for row in targets],
        "scale": [dict(zip(SCALE_HEADERS, row, strict=True)) for row in scale],
        "plans": {str(size): by_query for size, by_query in plans.items()},
    }


if __name__ == "__main__":
    main()
