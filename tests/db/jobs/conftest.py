"""Fixtures of the job tests: an in-process worker on the test's event loop."""

from tests.reports_world import eventually, start_worker  # noqa: F401
