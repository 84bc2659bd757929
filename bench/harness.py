"""Reusable pieces of every benchmark (the method is in bench/README.md):

an embedded PostgreSQL loaded with demo data, a production-like granian server in a subprocess,
a logged-in cookie, wrk under load, a sequential client, a table and a JSON file of results.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout, suppress
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"
WORKERS = 2
WRK = shutil.which("wrk") or "/usr/bin/wrk"
WRK_ARGS = ["-t2", "-c32", "--latency"]
LOAD_SECONDS = 10
WARM_UP_SECONDS = 2
SEQUENTIAL_REQUESTS = 500
SEQUENTIAL_WARM_UP = 20
SEQUENTIAL_BLOCK = 25  # requests on one server before the next, in a paired run
SESSION_COOKIE = "__Host-session"
CSRF_COOKIE = "__Host-csrf"
PORTAL_FACTORY = "portal.app:app_from_environment"


def say(message: str) -> None:
    """Progress goes to stderr, so that stdout holds only the figures."""
    print(message, file=sys.stderr, flush=True)


# --- database -------------------------------------------------------------------------------


@contextmanager
def embedded_postgres() -> Iterator[object]:
    """A throw-away embedded PostgreSQL server in a temp folder, stopped and removed after."""
    from portal.database import start_embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    folder.chmod(0o755)  # as root the server runs as its own system user, which must get in
    server = start_embedded_postgres(folder)
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def demo_database(server: object, size: int) -> str:
    """The URL of a migrated database holding the demo data with SIZE generated organisations."""
    from portal.database import ensure_database

    url = ensure_database(server, f"bench_{size}")
    started = time.perf_counter()
    asyncio.run(_migrate_and_load(url, size))
    say(f"database bench_{size}: migrated and loaded in {time.perf_counter() - started:.1f} s")
    return url


async def _migrate_and_load(url: str, size: int) -> None:
    from portal import database, demo

    database.bind(url)
    with redirect_stdout(sys.stderr):  # Piccolo reports each migration on stdout
        await database.migrate()
    await demo.load(url, size)
    await execute(url, "VACUUM ANALYZE")  # the planner statistics autovacuum would gather


async def execute(url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def explain(url: str, sql: str, args: tuple) -> str:
    """EXPLAIN ANALYZE of SQL (with $n placeholders) as the server runs it."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
    finally:
        await connection.close()
    return "\n".join(row[0] for row in rows)


async def fetch_value(url: str, sql: str, *args: object) -> object:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, base_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_BASE_URL": base_url,
        "PORTAL_DATA_DIR": str(data_dir),
    }


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    pid: int  # granian's main process; its workers are its children


@contextmanager
def granian_server(
    factory: str, database_url: str, *, job_worker: bool = False, root: Path = ROOT
) -> Iterator[RunningServer]:
    """Serve the app FACTORY as production does (granian, 2 workers, no access log); yields
    it once /health answers, and stops it afterwards. With JOB_WORKER, a `portal worker`
    runs beside it (as `portal serve` starts one) for the jobs it queues. ROOT: the checkout
    of the portal to serve (another version's, to compare two side by side)."""
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    command = [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory", factory,
        "--host", HOST, "--port", str(port), "--workers", str(WORKERS), "--no-access-log",
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="portal-bench-server-") as folder:
        log_path = Path(folder) / "server.log"
        environment = server_environment(database_url, base_url, Path(folder))
        environment["PYTHONPATH"] = str(root)
        with log_path.open("wb") as log, ExitStack() as stack:
            process = subprocess.Popen(
                command,
                cwd=root,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(stop_server, process)
            if job_worker:
                worker = subprocess.Popen(
                    [sys.executable, "-m", "portal.cli", "worker"],
                    cwd=root,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                stack.callback(stop_server, worker)
            try:
                wait_for_health(base_url, process, log_path)
                yield RunningServer(base_url, process.pid)
            except BaseException:
                say(f"--- the log of {factory}:\n{log_path.read_text()[-3000:]}")
                raise


def wait_for_health(base_url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log_path.read_text()[-3000:]}")
        try:
            status, _ = get(base_url, "/health")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /health:\n{log_path.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the granian process we started (it stops its workers); kill its group if stuck."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- CPU accounting -------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name (which may hold spaces): field 3 onwards."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError):
                parents[int(entry.name)] = int(_stat_fields(int(entry.name))[1])
    return parents


def process_tree(root: int) -> list[int]:
    """ROOT and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    tree, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        tree.append(pid)
        waiting.extend(children.get(pid, []))
    return tree


def cpu_seconds(root: int) -> float:
    """User + system CPU time used so far by ROOT and its descendants, the live ones and those
    that have ended (a database connection's process that closed counts too)."""
    total = 0
    for pid in process_tree(root):
        with suppress(OSError, IndexError):
            fields = _stat_fields(pid)
            # utime, stime, and the same of its children already ended (cutime, cstime)
            total += sum(int(value) for value in fields[11:15])
    return total / CLOCK_TICKS


# --- clients --------------------------------------------------------------------------------


def _connection(base_url: str) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


@dataclass(frozen=True)
class Request:
    """What a measured request sends beyond its path and cookie: a method, extra headers (an
    htmx request's HX-Request, a POST's CSRF header) and a form body."""

    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""

    def all_headers(self, cookie: str | None) -> dict[str, str]:
        headers = {"Cookie": cookie} if cookie else {}
        headers.update(self.headers)
        if self.body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return headers


PLAIN_GET = Request()


def get(
    base_url: str, path: str, cookie: str | None = None, request: Request = PLAIN_GET
) -> tuple[int, str]:
    connection = _connection(base_url)
    try:
        connection.request(
            request.method, path, body=request.body or None, headers=request.all_headers(cookie)
        )
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def _set_cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    jar = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def log_in(base_url: str, email: str, password: str) -> str:
    """Log in through the login form; the Cookie header a browser would then send.

    The cookies are Secure: over plain http we carry them ourselves."""
    connection = _connection(base_url)
    try:
        connection.request("GET", "/login")
        response = connection.getresponse()
        csrf_cookie = _set_cookies(response)[CSRF_COOKIE]
        form_token = re.search(r'name="_csrf_token" value="([^"]+)"', response.read().decode())
        body = urlencode(
            {"_csrf_token": form_token[1], "email": email, "password": password, "next": "/"}
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{CSRF_COOKIE}={csrf_cookie}",
        }
        connection.request("POST", "/login", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 303:
            raise RuntimeError(f"login answered {response.status}, not 303")
        session = _set_cookies(response)[SESSION_COOKIE]
    finally:
        connection.close()
    return f"{CSRF_COOKIE}={csrf_cookie}; {SESSION_COOKIE}={session}"


def check_page(
    base_url: str, path: str, cookie: str | None, marker: str, request: Request = PLAIN_GET
) -> int:
    """Fail unless PATH answers 200 with MARKER in it (not a login redirect); its size."""
    status, body = get(base_url, path, cookie, request)
    if status != 200 or marker not in body:
        raise RuntimeError(f"{base_url}{path} answered {status} without {marker!r}:\n{body[:500]}")
    return len(body.encode())


# --- measuring ------------------------------------------------------------------------------

Figures = TypeVar("Figures")


@dataclass(frozen=True)
class LoadFigures:
    """wrk -t2 -c32 for 10 s: throughput and latency under concurrent load."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


@dataclass(frozen=True)
class SequentialFigures:
    """One request at a time on a keep-alive connection: what one user waits."""

    p50_ms: float
    p99_ms: float
    mean_ms: float
    requests: int


@dataclass(frozen=True)
class CpuFigures:
    """CPU time spent per request during the measured wrk run: less noisy than req/s on a
    shared machine, and it shows where the time goes (server's Python or PostgreSQL)."""

    server_ms_per_request: float
    database_ms_per_request: float


@dataclass(frozen=True)
class EndpointFigures:
    load: LoadFigures
    sequential: SequentialFigures
    cpu: CpuFigures
    response_bytes: int

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_command(
    url: str, cookie: str | None, seconds: int, request: Request = PLAIN_GET
) -> list[str]:
    headers = []
    for name, value in request.all_headers(cookie).items():
        headers += ["-H", f"{name}: {value}"]
    script = ["-s", str(_wrk_script(request))] if request.method != "GET" or request.body else []
    return [WRK, *WRK_ARGS, f"-d{seconds}s", *headers, *script, url]


def _wrk_script(request: Request) -> Path:
    """A Lua script giving wrk the method and body (headers go on the command line)."""
    folder = Path(tempfile.gettempdir()) / "portal-bench-wrk"
    folder.mkdir(exist_ok=True)
    path = folder / f"{request.method}-{abs(hash(request.body))}.lua"
    path.write_text(
        f"wrk.method = {json.dumps(request.method)}\nwrk.body = {json.dumps(request.body)}\n"
    )
    return path


def warm_up(url: str, cookie: str | None, request: Request = PLAIN_GET) -> None:
    subprocess.run(
        wrk_command(url, cookie, WARM_UP_SECONDS, request), capture_output=True, check=True
    )


def run_wrk(url: str, cookie: str | None, request: Request = PLAIN_GET) -> LoadFigures:
    """The measured 10-s run (after warm_up)."""
    done = subprocess.run(
        wrk_command(url, cookie, LOAD_SECONDS, request),
        capture_output=True,
        text=True,
        check=True,
        timeout=LOAD_SECONDS + 60,
    )
    return parse_wrk(done.stdout)


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> LoadFigures:
    def latency(percent: int) -> float:
        found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        return float(found[1]) * UNIT_MS[found[2]]

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx[1]) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return LoadFigures(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        p50_ms=latency(50),
        p99_ms=latency(99),
        requests=int(re.search(r"(\d+) requests in", output)[1]),
        errors=errors,
    )


def percentile(sorted_values: list[float], percent: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def run_sequential(
    base_url: str, path: str, cookie: str | None, request: Request = PLAIN_GET
) -> SequentialFigures:
    headers = request.all_headers(cookie)
    connection = _connection(base_url)
    try:
        _timed_requests(connection, path, headers, request, SEQUENTIAL_WARM_UP)
        timings = _timed_requests(connection, path, headers, request, SEQUENTIAL_REQUESTS)
    finally:
        connection.close()
    return _sequential_figures(timings)


def run_sequential_paired(
    base_urls: list[str],
    path: str,
    cookie: str | None,
    request: Request = PLAIN_GET,
    block: int = SEQUENTIAL_BLOCK,
) -> list[SequentialFigures]:
    """One request at a time on each server in turn, BLOCK requests each, until each has had
    SEQUENTIAL_REQUESTS: the servers live through the same moments of a shared machine, so
    the ratio of their latencies is not that of a quiet minute to a busy one."""
    headers = request.all_headers(cookie)
    connections = [_connection(base_url) for base_url in base_urls]
    timings: list[list[float]] = [[] for _ in base_urls]
    try:
        for connection in connections:
            _timed_requests(connection, path, headers, request, SEQUENTIAL_WARM_UP)
        for _ in range(0, SEQUENTIAL_REQUESTS, block):
            for connection, kept in zip(connections, timings, strict=True):
                kept += _timed_requests(connection, path, headers, request, block)
    finally:
        for connection in connections:
            connection.close()
    return [_sequential_figures(kept) for kept in timings]


def run_sequential_interleaved(
    base_url: str, targets: list[tuple[str, str | None]], block: int = SEQUENTIAL_BLOCK
) -> list[SequentialFigures]:
    """run_sequential_paired for several (path, cookie) TARGETS of one server: BLOCK requests
    to each in turn until each has had SEQUENTIAL_REQUESTS, so that a big tenant's page and
    a usual one live through the same moments of the machine."""
    connection = _connection(base_url)
    timings: list[list[float]] = [[] for _ in targets]
    try:
        for path, cookie in targets:
            headers = PLAIN_GET.all_headers(cookie)
            _timed_requests(connection, path, headers, PLAIN_GET, SEQUENTIAL_WARM_UP)
        for _ in range(0, SEQUENTIAL_REQUESTS, block):
            for (path, cookie), kept in zip(targets, timings, strict=True):
                headers = PLAIN_GET.all_headers(cookie)
                kept += _timed_requests(connection, path, headers, PLAIN_GET, block)
    finally:
        connection.close()
    return [_sequential_figures(kept) for kept in timings]


def _timed_requests(
    connection: http.client.HTTPConnection, path: str, headers: dict, request: Request, count: int
) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request(request.method, path, body=request.body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status} in the sequential run")
        timings.append(elapsed_ms)
    return timings


def _sequential_figures(timings: list[float]) -> SequentialFigures:
    timings = sorted(timings)
    return SequentialFigures(
        p50_ms=percentile(timings, 50),
        p99_ms=percentile(timings, 99),
        mean_ms=sum(timings) / len(timings),
        requests=len(timings),
    )


def median_figures(runs: list[Figures]) -> Figures:
    """Each figure's median over several runs (of a dataclass of figures): one slow moment of
    a shared machine moves it less than it moves a single run."""
    return _median_of(runs)


def _median_of(values: list):  # a dataclass's fields one by one, down to the numbers
    first = values[0]
    if is_dataclass(first):
        return type(first)(
            **{
                field.name: _median_of([getattr(v, field.name) for v in values])
                for field in fields(first)
            }
        )
    if all(isinstance(value, int) for value in values):
        return statistics.median_low(values)  # counts stay whole numbers
    return statistics.median(values)


def measure_endpoint(
    server: RunningServer,
    path: str,
    cookie: str | None,
    marker: str,
    database_pid: int,
    request: Request = PLAIN_GET,
) -> EndpointFigures:
    """Check the page is the real one, then measure it under load (with the CPU time the
    server and the database spend) and one request at a time."""
    base_url = server.base_url
    size = check_page(base_url, path, cookie, marker, request)
    warm_up(base_url + path, cookie, request)
    cpu_before = cpu_seconds(server.pid), cpu_seconds(database_pid)
    load = run_wrk(base_url + path, cookie, request)
    cpu_after = cpu_seconds(server.pid), cpu_seconds(database_pid)
    server_ms, database_ms = (
        (after - before) * 1000 / max(load.requests, 1)
        for before, after in zip(cpu_before, cpu_after, strict=True)
    )
    sequential = run_sequential(base_url, path, cookie, request)
    check_page(base_url, path, cookie, marker, request)  # still the real page after the load
    return EndpointFigures(load, sequential, CpuFigures(server_ms, database_ms), size)


# --- reporting ------------------------------------------------------------------------------


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers, *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(text.rjust(width) for text, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def write_results(name: str, payload: dict) -> Path:
    """bench/results/<name>-<timestamp>.json (git-ignored), to compare runs over time."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
