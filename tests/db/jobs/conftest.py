"""Fixtures of the job tests: an in-process worker on the test's event loop."""

from tests.factories.jobs import eventually, start_worker  # noqa: F401
