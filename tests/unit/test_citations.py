"""The repository explains itself: comments and strings cite its own docs (docs/rules.md and
its sections), never a file outside it that a clone does not have."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".git", "var", "test-artifacts", "results", "__pycache__", ".venv", ".hypothesis"}
TEXT_SUFFIXES = {".py", ".html", ".md", ".toml", ".css", ".js", ".txt", ".cfg", ".ini", ".sh"}
# Written so that this file does not match itself.
OUTSIDE = re.compile(r"\.\./shared|/shared[/]|\bSPEC(?:\.md|\s*§)|(?:CONVENTIONS|BENCH)\.md")
CITATION = re.compile(r"docs/rules\.md, ([^.;:)\"]+)")


def repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIPPED or any(part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.parent.name == ".ci"):
            files.append(path)
    return files


def test_nothing_cites_a_file_outside_the_repository():
    citing = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in repository_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert citing == [], "cite docs/rules.md (its section) instead:\n" + "\n".join(citing)


def test_every_citation_of_the_rules_names_one_of_their_sections():
    sections = {
        line.removeprefix("## ").strip()
        for line in (ROOT / "docs" / "rules.md").read_text().splitlines()
        if line.startswith("## ")
    }
    unknown = []
    for path in repository_files():
        # a citation may run over two lines of a comment or docstring
        text = re.sub(r"\s*\n\s*(?:#\s*)?", " ", path.read_text(errors="replace"))
        for cited in CITATION.findall(text):
            if not any(cited.startswith(section) for section in sections):
                unknown.append(f"{path.relative_to(ROOT)}: {cited}")
    assert unknown == [], f"sections are {sorted(sections)}:\n" + "\n".join(unknown)
