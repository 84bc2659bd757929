"""Lets Piccolo's own command line (run from the repository root) find the portal's engine."""

from portal.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
