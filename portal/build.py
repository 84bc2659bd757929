"""Which build of the portal is running: part of every validator of a rendered page, so that
a deploy which changes how pages look also changes their ETags (a browser or a CDN holding
the old bytes asks again and gets the new ones, not a 304)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a page's bytes are made from: the templates, and the code that fills them.
SOURCES = (("templates", "*.html"), ("portal", "*.py"))


def package_version() -> str:
    try:
        return metadata.version("partner-portal")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0"


def build_of(root: Path, environ: Mapping[str, str]) -> str:
    """PORTAL_BUILD when the deployment names its build (e.g. the commit), else the package
    version and a digest of the sources' contents (not their times: a checkout or a copy
    changes those without changing a page)."""
    named = environ.get("PORTAL_BUILD", "").strip()
    if named:
        return named
    digest = hashlib.blake2b(package_version().encode(), digest_size=8)
    for folder, pattern in SOURCES:
        for path in sorted((root / folder).rglob(pattern)):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return f"{package_version()}+{digest.hexdigest()}"


@cache
def build_id() -> str:
    """This process's build, worked out once (about 200 small files, read at the first
    public page)."""
    return build_of(ROOT, os.environ)
