"""What the page benchmarks of delegation and money share (bench/delegation.py, bench/money.py):
endpoints measured on the portal and the floor reference back to back, and their tables of
figures, targets and the 10x/1x scale ratio. The method is foundation.py's (bench/README.md)."""

from __future__ import annotations

import asyncio
import os
import platform
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import harness, reference
from bench.foundation import alternating
from bench.harness import (
    EndpointFigures,
    Request,
    SequentialFigures,
    format_table,
    say,
    verdict,
)

APPS = {"portal": harness.PORTAL_FACTORY, "reference": reference.FACTORY}
MIN_THROUGHPUT_RATIO = 0.60
MAX_SEQUENTIAL_P99_MS = 25.0
MAX_SCALE_RATIO = 1.3

Results = dict[str, dict[str, EndpointFigures]]  # app -> endpoint -> figures
# (app, endpoint) -> the sequential figures at 1x and at 10x, measured in turn
Paired = dict[tuple[str, str], tuple[SequentialFigures, SequentialFigures]]


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    marker: str  # text the real page contains
    request: Request = harness.PLAIN_GET


def htmx(csrf: str = "", **extra: str) -> tuple[tuple[str, str], ...]:
    """The headers htmx sends: HX-Request, and the CSRF header of a POST."""
    headers = {"HX-Request": "true", **extra}
    if csrf:
        headers["X-CSRFToken"] = csrf
    return tuple(headers.items())


def csrf_of(cookie: str) -> str:
    pairs = dict(part.split("=", 1) for part in cookie.split("; "))
    return pairs[harness.CSRF_COOKIE]


def measure_endpoints(
    url: str,
    database_pid: int,
    log_in: tuple[str, str],
    endpoints,
    *,
    rounds: int,
    label: str,
    broken: dict[str, str],
) -> Results:
    """Both apps up, measured back to back per endpoint (the first alternating by round), logged
    in as LOG_IN (email, password); ENDPOINTS is a list of Endpoint, or a function of the cookie
    giving it. With several rounds, each figure is the median. An endpoint that does not answer
    its real page in either app is not measured: it goes into BROKEN (name: why)."""
    runs: dict[tuple[str, str], list[EndpointFigures]] = defaultdict(list)
    with ExitStack() as stack:
        servers = {
            app: stack.enter_context(harness.granian_server(factory, url))
            for app, factory in APPS.items()
        }
        cookie = harness.log_in(servers["portal"].base_url, *log_in)
        chosen = endpoints(cookie) if callable(endpoints) else endpoints
        chosen = [e for e in chosen if works(servers, e, cookie, broken, label)]
        for round_number in range(rounds):
            for endpoint in chosen:
                for app in alternating(list(APPS), round_number):
                    say(f"{label}, round {round_number + 1}: {app} {endpoint.name} ...")
                    runs[app, endpoint.name].append(
                        harness.measure_endpoint(
                            servers[app], endpoint.path, cookie, endpoint.marker, database_pid,
                            endpoint.request,
                        )
                    )  # fmt: skip
    return {
        app: {e.name: harness.median_figures(runs[app, e.name]) for e in chosen} for app in APPS
    }


def works(
    servers: dict, endpoint: Endpoint, cookie: str, broken: dict[str, str], label: str
) -> bool:
    for app, server in servers.items():
        try:
            harness.check_page(
                server.base_url, endpoint.path, cookie, endpoint.marker, endpoint.request
            )
        except RuntimeError as error:
            broken[f"{label}: {endpoint.name}"] = f"{app}: {str(error)[:300]}"
            say(f"NOT MEASURED, broken: {endpoint.name} in {app}")
            return False
    return True


# --- tables ---------------------------------------------------------------------------------

FIGURE_HEADERS = [
    "data", "endpoint", "app", "req/s", "load p50 ms", "load p99 ms", "seq p50 ms",
    "seq p99 ms", "errors", "bytes", "CPU ms/req server", "CPU ms/req db", "req/s portal÷ref",
    "CPU/req portal÷ref",
]  # fmt: skip


def throughput_ratio(results: Results, endpoint: str) -> float:
    portal = results["portal"][endpoint].load.requests_per_s
    return portal / results["reference"][endpoint].load.requests_per_s


def cpu_ratio(results: Results, endpoint: str) -> float:
    def total(app: str) -> float:
        cpu = results[app][endpoint].cpu
        return cpu.server_ms_per_request + cpu.database_ms_per_request

    return total("portal") / total("reference")


def figure_rows(by_data: dict[str, Results]) -> list[list[object]]:
    rows = []
    for data, results in by_data.items():
        for endpoint in results["portal"]:
            for app in APPS:
                figures = results[app][endpoint]
                load, sequential, cpu = figures.load, figures.sequential, figures.cpu
                portal = app == "portal"
                rows.append(
                    [
                        data, endpoint, app, load.requests_per_s, load.p50_ms, load.p99_ms,
                        sequential.p50_ms, sequential.p99_ms, load.errors, figures.response_bytes,
                        cpu.server_ms_per_request, cpu.database_ms_per_request,
                        f"{throughput_ratio(results, endpoint):.2f}" if portal else "",
                        f"{cpu_ratio(results, endpoint):.2f}" if portal else "",
                    ]
                )  # fmt: skip
    return rows


TARGET_HEADERS = ["data", "target", "figure", "verdict"]


def target_rows(by_data: dict[str, Results]) -> list[list[object]]:
    rows = []
    for data, results in by_data.items():
        for endpoint in results["portal"]:
            ratio = throughput_ratio(results, endpoint)
            p99 = results["portal"][endpoint].sequential.p99_ms
            rows.append(
                [
                    data,
                    f"{endpoint}: throughput >= {MIN_THROUGHPUT_RATIO:.0%} of reference",
                    f"{ratio:.1%}",
                    verdict(ratio >= MIN_THROUGHPUT_RATIO),
                ]
            )
            rows.append(
                [
                    data,
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
# With a paired run (harness.run_sequential_paired) the verdict is read from it.
PAIRED_SCALE_HEADERS = [
    *SCALE_HEADERS[:-1], "paired p50 1x", "paired p50 10x", "paired p50 10x÷1x",
    f"paired p50 ratio <= {MAX_SCALE_RATIO}",
]  # fmt: skip


def scale_rows(small: Results, large: Results, paired: Paired | None = None) -> list[list]:
    rows = []
    for endpoint in small["portal"]:
        for app in APPS:
            one, ten = small[app][endpoint], large[app][endpoint]
            p50_ratio = ten.sequential.p50_ms / one.sequential.p50_ms
            row = [
                endpoint, app, one.sequential.p50_ms, ten.sequential.p50_ms,
                f"{p50_ratio:.2f}", f"{ten.sequential.p99_ms / one.sequential.p99_ms:.2f}",
                f"{ten.load.p50_ms / one.load.p50_ms:.2f}",
            ]  # fmt: skip
            if paired is None:
                rows.append([*row, verdict(p50_ratio <= MAX_SCALE_RATIO)])
                continue
            at_one, at_ten = paired[app, endpoint]
            paired_ratio = at_ten.p50_ms / at_one.p50_ms
            rows.append(
                [
                    *row, at_one.p50_ms, at_ten.p50_ms, f"{paired_ratio:.2f}",
                    verdict(paired_ratio <= MAX_SCALE_RATIO),
                ]
            )  # fmt: skip
    return rows


def report(
    name: str,
    by_data: dict[str, Results],
    plans: dict[str, dict[str, str]],
    rounds: int,
    extra: dict,
    broken: dict[str, str],
    *,
    paired: Paired | None = None,
) -> None:
    for data, by_query in plans.items():
        for query, plan in by_query.items():
            print(f"\n--- {data}: EXPLAIN (ANALYZE, BUFFERS) {query}\n{plan}")
    print()
    print(format_table(FIGURE_HEADERS, figure_rows(by_data)))
    targets = target_rows(by_data)
    print()
    print(format_table(TARGET_HEADERS, targets))
    for where, why in broken.items():
        targets.append([where, "answers its real page", why.split("\n")[0], verdict(False)])
        print(f"{where}: NOT MEASURED, the page is broken: {why}")
    scale = []
    scale_headers = SCALE_HEADERS if paired is None else PAIRED_SCALE_HEADERS
    if len(by_data) > 1:
        small, large = list(by_data.values())[:2]
        scale = scale_rows(small, large, paired)
        print()
        print(format_table(scale_headers, scale))
    payload = {
        "benchmark": name,
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "method": {
            "workers": harness.WORKERS,
            "wrk": " ".join(harness.WRK_ARGS) + f" -d{harness.LOAD_SECONDS}s",
            "warm_up_s": harness.WARM_UP_SECONDS,
            "sequential_requests": harness.SEQUENTIAL_REQUESTS,
            "rounds": rounds,
        },
        **extra,
        "figures": {
            data: {
                app: {endpoint: figures.as_dict() for endpoint, figures in by_app.items()}
                for app, by_app in results.items()
            }
            for data, results in by_data.items()
        },
        "targets": [dict(zip(TARGET_HEADERS, row, strict=True)) for row in targets],
        "broken": broken,
        "scale": [dict(zip(scale_headers, row, strict=True)) for row in scale],
        "plans": plans,
    }
    path = harness.write_results(name, payload)
    print(f"\nWritten to {path.relative_to(harness.ROOT)}")


async def explain_calls(url: str, sql: dict[str, list[str]], calls: reference.Calls, prefix=""):
    """EXPLAIN (ANALYZE, BUFFERS) of each statement of reference CALLS, by name."""
    plans = {}
    for name, (_, arguments) in calls.items():
        for number, (text, args) in enumerate(zip(sql[prefix + name], arguments, strict=True)):
            key = name if number == 0 else f"{name} ({number + 1})"
            plans[key] = await harness.explain(url, text, args)
    return plans


def run(coroutine):
    return asyncio.run(coroutine)
