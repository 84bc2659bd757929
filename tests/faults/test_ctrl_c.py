"""Ctrl-C, as a terminal sends it (SIGINT to every process of the command), stops `portal
serve`, `portal worker`, `portal demo` and `portal export billing` with one line and no
traceback, and leaves nothing running: no process of the command, no embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from portal.cli import INTERRUPTED
from tests.factories.servers import ROOT, alive, free_port, health

pytestmark = pytest.mark.faults

STARTED_WITHIN = 120  # seconds: a fresh data folder (initdb, every migration) on a busy machine
STOPPED_WITHIN = 60


@dataclass
class Command:
    """`portal ARGS` in a session of its own, as a terminal runs it in a process group."""

    args: list[str]
    data_dir: Path
    process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.data_dir / "command.log"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def start(self) -> Command:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
            "PORTAL_DATA_DIR": str(self.data_dir),
        }
        for name in ("DATABASE_URL", "XDG_RUNTIME_DIR", "SMTP_HOST"):
            env.pop(name, None)  # its own embedded database; no runtime folder set
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "portal.cli", *self.args],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_ctrl_c_as_from_a_terminal,
            )
        return self

    def wait_for(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + STARTED_WITHIN
        while not ready():
            assert self.process.poll() is None, f"it exited before {what}:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {what} in {STARTED_WITHIN} s:\n{self.output()}"
            time.sleep(0.1)

    def ctrl_c(self, *expected_status: int) -> None:
        """SIGINT to the whole process group, as the terminal does; it exits with one of
        EXPECTED_STATUS."""
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            status = self.process.wait(timeout=STOPPED_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {STOPPED_WITHIN} s after Ctrl-C:\n{self.output()}")
        assert status in expected_status, f"exit status {status}:\n{self.output()}"

    def left_running(self) -> list[str]:
        """Processes of its group, and the embedded PostgreSQL of its data folder."""
        left = [
            " ".join(p.info["cmdline"] or [])
            for p in psutil.process_iter(["pid", "cmdline"])
            if _process_group(p.info["pid"]) == self.process.pid and alive(p)
        ]
        postmaster = self.postmaster()
        return left + ([f"postgres {postmaster.pid}"] if postmaster else [])

    def postmaster(self) -> psutil.Process | None:
        """The PostgreSQL of its data folder, from the first line of its pid file: the file
        is written line by line as the server starts (pgserver's reader wants it whole)."""
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError, psutil.Error):
            process = psutil.Process(int(pid_file.read_text().split()[0]))
            return process if alive(process) else None
        return None

    def kill_leftovers(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if postmaster := self.postmaster():
            postmaster.kill()


def _ctrl_c_as_from_a_terminal() -> None:
    """A shell starts a command with Ctrl-C handled by default and not blocked. A child
    inherits both from the test process, where an earlier test's code may have left them
    otherwise (ignored on its way out, or blocked while an embedded database started)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _process_group(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        return os.getpgid(pid)
    return None


@pytest.fixture(autouse=True)
def ctrl_c_handled_here():
    """Ctrl-C handled in this test process as Python starts it, whatever earlier in-process
    work left: the commands started here are then started as they are from a shell."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """One data folder for the module, in the worktree (the system's temporary folder is
    shared with other test runs): initdb and the migrations once."""
    folder = ROOT / "var" / "ctrl-c" / str(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder
    for used in folder.parent.glob(f"{folder.name}*"):
        shutil.rmtree(used, ignore_errors=True)


@pytest.fixture
def run(data_dir: Path) -> Iterator[Callable[..., Command]]:
    started: list[Command] = []

    def start(*args: str, folder: Path = data_dir) -> Command:
        command = Command(list(args), folder).start()
        started.append(command)
        return command

    yield start
    for command in started:
        command.kill_leftovers()


def assert_stopped_quietly(command: Command) -> None:
    output = command.output()
    # said once stopped; a log line of the stop may be written after it (log handlers that
    # write from a thread of their own do not keep the order of stderr's own lines)
    assert "Stopped." in output.splitlines(), output
    assert "Traceback" not in output, output
    assert "XDG_RUNTIME_DIR" not in output and "Warning" not in output, output
    assert command.left_running() == [], output


def test_ctrl_c_stops_serve_its_workers_and_its_database(run):
    port = free_port()
    serve = run("serve", "--port", str(port))
    serve.wait_for(
        lambda: "Worker" in serve.output() and health(f"http://127.0.0.1:{port}") == 200,
        "answering portal and job worker",
    )
    serve.ctrl_c(0)
    assert_stopped_quietly(serve)
    assert serve.output().count("Stopped.") == 1  # the job worker is serve's to stop


def test_ctrl_c_while_serve_starts_stops_it_all_the_same(run):
    serve = run("serve", "--port", str(free_port()))
    serve.wait_for(lambda: "up to date" in serve.output(), "database")
    serve.ctrl_c(0, INTERRUPTED)
    assert_stopped_quietly(serve)


def test_ctrl_c_stops_a_worker_and_its_database(run):
    worker = run("worker")
    worker.wait_for(lambda: "ready." in worker.output(), "ready worker")
    worker.ctrl_c(0)
    assert_stopped_quietly(worker)


def test_ctrl_c_stops_the_demo_load_in_the_middle(run, data_dir):
    # a data folder of its own: the demo data must not be there yet
    demo = run("demo", "--size", "20000", folder=data_dir.with_name(f"{data_dir.name}-demo"))
    demo.wait_for(lambda: "up to date" in demo.output(), "database")
    time.sleep(1)  # COPYing by then
    demo.ctrl_c(INTERRUPTED)
    assert_stopped_quietly(demo)
    assert "Demo data loaded" not in demo.output()


def test_ctrl_c_stops_an_export_and_leaves_no_file(run, data_dir):
    loaded = run("demo", "--size", "0")
    assert loaded.process.wait(timeout=STARTED_WITHIN) == 0, loaded.output()
    output = data_dir / "q3.xlsx"
    export = run(
        *("export", "billing", "--partner", "alpine-web-studio-gmbh-1"),
        *("--from", "2020-01-01", "--to", "2030-12-31", "--output", str(output)),
    )
    # as its database starts: Ctrl-C there waits until it may stop it (portal/database.py)
    export.wait_for(lambda: export.postmaster() is not None, "database starting")
    export.ctrl_c(INTERRUPTED)
    assert_stopped_quietly(export)
    assert "lines written" not in export.output()
    assert list(data_dir.glob("*q3.xlsx*")) == []
