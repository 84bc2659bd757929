"""A module's private names (a leading underscore) stay its own: no portal module imports
another's (review item 5: the directory imported portal.web._base_context)."""

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def private_imports() -> list[str]:
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("portal"):
                found += [
                    f"{path.relative_to(PORTAL.parent)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
    return found


def test_no_module_imports_another_modules_private_names():
    assert private_imports() == []
