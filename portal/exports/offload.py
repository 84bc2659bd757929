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
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from portal.exports.billing_report import Report, write_report

_pool: ProcessPoolExecutor | None = None


def _writer_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # spawn, not fork: the web worker runs an event loop and threads a fork would copy
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def shutdown_writer_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


async def write_to_temporary_file(report: Report) -> str:
    """The report written to a new temporary file, whose path is returned (the caller removes
    it). A writer process that died is replaced for the next report."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_writer_pool(), written, report)
    except BrokenProcessPool:
        shutdown_writer_pool()
        raise


def written(report: Report) -> str:
    handle, path = tempfile.mkstemp(prefix="portal-report-", suffix="." + report.request.format)
    os.close(handle)
    try:
        write_report(report, path)
    except BaseException:
        remove(path)
        raise
    return path


def remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
