"""Writing a report outside the web worker: the writing is CPU-bound Python, and in a thread it
would hold the interpreter lock the worker's event loop needs to answer everyone else. One
writer process per web worker (spawned on first use, reused), so that downloads queue there
rather than starve the server's cores."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from portal.exports import csvfile, xlsx  # noqa: F401 (loaded in the writer process)
from portal.exports.billing_report import Report, write_report

_pool: ProcessPoolExecutor | None = None


def _writer_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # spawn, not fork: the web worker runs an event loop and threads a fork would copy
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def warm_writer_pool() -> None:
    """Start the writer process (and its imports) when the export form is shown, not with the
    download it leads to: a download's first bytes must not wait for a process to start. Not
    with the web worker itself: a Ctrl-C while `portal serve` starts would leave a writer
    behind that the worker had no time to stop."""
    if _pool is None:
        _writer_pool().submit(_ready)


def _ready() -> None:
    """Nothing to do: the writer process imports this module (and so the writers) to run it."""


def shutdown_writer_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def stop_writer_process() -> None:
    """With the web worker: its writer process is stopped, not left to find the pool's end by
    itself. A writer still waiting for work kept the worker from exiting (multiprocessing
    joins a process's children when it exits), which hung `portal serve`'s Ctrl-C."""
    shutdown_writer_pool()
    for child in multiprocessing.active_children():  # the web worker's only children
        child.terminate()
        child.join(timeout=5)


FOLLOW_EVERY = 0.01  # seconds between two looks at the file while it is written
READ_SIZE = 64 * 1024


async def written_chunks(
    report: Report, copying: Awaitable[None] | None = None
) -> AsyncIterator[bytes]:
    """The report's file as the writer process writes it: each new part is sent as soon as
    it is in the file (the writers only ever write forward), the file removed at the end.
    COPYING, if given, is the copy of the report's lines, run meanwhile (the writer waits for
    the lines; its first bytes do not). A writer or a copy that fails ends the download with
    its error (the browser sees it as failed); a writer process that died is replaced for
    the next report."""
    handle, path = tempfile.mkstemp(prefix="portal-report-", suffix="." + report.request.format)
    os.close(handle)
    loop = asyncio.get_running_loop()
    writing = loop.run_in_executor(_writer_pool(), write_report, report, path)
    copied = asyncio.ensure_future(copying or asyncio.sleep(0))
    copied.add_done_callback(_retrieved)  # its error is raised below, or no one waits for it
    try:
        with open(path, "rb") as written_so_far:
            while True:
                done = writing.done()  # before reading: what is written by now is read next
                chunk = written_so_far.read(READ_SIZE)
                if chunk:
                    yield chunk
                elif done:
                    break
                elif copied.done() and copied.exception() is not None:
                    raise copied.exception()
                else:
                    await asyncio.sleep(FOLLOW_EVERY)
        await copied
        writing.result()
    except BrokenProcessPool:
        shutdown_writer_pool()
        raise
    finally:
        remove(path)  # a writer still writing (the browser went away) writes to no name


def _retrieved(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
