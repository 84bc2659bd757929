"""`portal worker` processes against the test database: two share the reports, and a
report whose worker is killed (kill -9) in the middle is finished by another."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.exports.reports import queries
from tests.factories.exports import build_world, start_report
from tests.factories.jobs import eventually
from tests.factories.servers import ROOT

HEARTBEAT_SECONDS = 2


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def worker_processes(db: str, tmp_path: Path):
    """`start(name)` runs `portal worker` on the test database until the test ends."""
    started: list[WorkerProcess] = []
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_BASE_URL": "https://portal.test",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_JOB_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD"):
        env.pop(name, None)

    def start(name: str) -> WorkerProcess:
        log = tmp_path / f"worker-{name}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "portal.cli", "worker"],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(process, log)
        started.append(worker)
        _wait_until_ready(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.terminate()
    for worker in started:
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


def _wait_until_ready(worker: WorkerProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while "ready." not in worker.output():
        if worker.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the worker did not start:\n{worker.output()}")
        time.sleep(0.1)


async def _report(report_id: int) -> dict:
    return await queries.report_by_id(report_id)


async def _finished(report_id: int):
    report = await _report(report_id)
    return report if report["status"] in {"ready", "failed"} else None


async def _writing(report_id: int):
    report = await _report(report_id)
    return report if report["status"] == "running" and report["rows_written"] > 0 else None


async def test_two_worker_processes_share_the_reports(db, worker_processes):
    world = await build_world()
    first, second = worker_processes("first"), worker_processes("second")
    report_ids = [await start_report(world, "legal@muster.ch", 6_000) for _ in range(4)]

    for report_id in report_ids:
        report = await eventually(lambda: _finished(report_id), 120, "the reports")  # noqa: B023
        assert report["status"] == "ready", report["error"]
    for worker in (first, second):
        assert "Job exports.write_report" in worker.output(), worker.output()


async def test_a_report_whose_worker_is_killed_midway_is_finished_by_another(
    db, worker_processes, tmp_path
):
    world = await build_world()
    report_id = await start_report(world, "legal@muster.ch", 40_000)
    doomed = worker_processes("doomed")
    midway = await eventually(lambda: _writing(report_id), 120, "the writing")
    assert 0 < midway["rows_written"] < midway["rows_total"]

    os.kill(doomed.process.pid, signal.SIGKILL)
    doomed.process.wait()
    assert (await _report(report_id))["status"] == "running"  # the dead worker said nothing

    rescuer = worker_processes("rescuer")
    report = await eventually(lambda: _finished(report_id), 120, "the finished report")
    assert report["status"] == "ready", report["error"]
    assert report["attempts"] == 2
    assert report["rows_written"] == report["rows_total"] == midway["rows_total"]
    assert "(start 2)" in rescuer.output()
    files = list((tmp_path / "data" / "reports" / str(world.partner)).iterdir())
    assert [file.name for file in files] == [Path(report["file_path"]).name]  # no half file


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def _started(log: str) -> bool:
    return "ready." in log and "Started worker-1" in log and "Started worker-2" in log


async def test_portal_serve_runs_a_worker_beside_the_web_workers_and_stops_it(db, tmp_path):
    from tests.factories.servers import free_port

    env = {
        **os.environ,
        "DATABASE_URL": db,
        "PORTAL_SECRET_KEY": "test-secret-key",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        serve = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "serve", "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers and time.monotonic() < deadline:
            assert serve.poll() is None, log.read_text()
            workers = [
                pid for pid in _children(serve.pid) if "portal.cli worker" in _command_line(pid)
            ]
            time.sleep(0.2)
        assert len(workers) == 1, log.read_text()
        # Ctrl-C once everything is up (granian ignores a signal while it spawns)
        while not _started(log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=60)
        finally:
            for pid in [serve.pid, *_children(serve.pid)] if serve.poll() is None else []:
                os.kill(pid, signal.SIGKILL)
    assert not _command_line(workers[0]), "the worker outlived `portal serve`"
    assert "Worker stopping: finishing the jobs in hand." in log.read_text()
