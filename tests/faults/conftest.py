"""One `portal serve` for the fault tests of a module, with a real SMTP server beside it."""

import os
import shutil

import pytest

from tests.factories.mail import MailCatcher
from tests.factories.servers import ROOT, PortalServer, free_port

ARTIFACTS = ROOT / "test-artifacts" / "faults"


@pytest.fixture(scope="module")
def fault_smtp():
    from aiosmtpd.controller import Controller

    catcher = MailCatcher()
    catcher.port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    yield catcher
    controller.stop()


@pytest.fixture(scope="module")
def portal_server(fault_smtp):
    # In the worktree, as the suite's own database: the system's temporary folder is shared
    # with other test runs, which clean it up as they start.
    data_dir = ROOT / "var" / "faults" / str(os.getpid())
    shutil.rmtree(data_dir, ignore_errors=True)
    server = PortalServer(data_dir, fault_smtp.port)
    try:
        server.start()
        yield server
    finally:
        server.kill_leftovers()
        if server.log.exists():  # what the server said, for a failure to be understood
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(server.log, ARTIFACTS / "serve.log")
        shutil.rmtree(data_dir, ignore_errors=True)
