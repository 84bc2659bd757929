"""The packages depend on each other in one declared order (portal/layers.py): a package imports
only packages below it, and no import hides in a function to dodge a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from portal.layers import LAYERS, LAZY_IMPORTS, ROOTS

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """'core', a package of LAYERS, 'root', or the unknown folder's name."""
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    if parts[1] in ROOTS and len(parts) == 2:
        return "root"
    if (PORTAL / parts[1]).is_dir() and parts[1] != "core":
        return parts[1]
    return "core"


def portal_imports(tree: ast.Module) -> list[tuple[ast.stmt, str, bool]]:
    """(node, imported module, inside a function) for every import of a portal module."""
    late = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
        if inner is not node
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from portal import database` imports the module portal.database
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
            targets = [t if _is_module(t) else node.module for t in targets]
        else:
            continue
        found += [
            (node, target, id(node) in late)
            for target in targets
            if target == "portal" or target.startswith("portal.")
        ]
    return found


def _is_module(dotted: str) -> bool:
    path = PORTAL.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def modules() -> list[Path]:
    return [p for p in sorted(PORTAL.rglob("*.py")) if "piccolo_migrations" not in p.parts]


def test_every_package_has_its_place_in_the_order():
    packages = {
        p.name for p in PORTAL.iterdir() if (p / "__init__.py").exists() and p.name != "core"
    }
    assert packages == set(LAYERS) - {"core"}


def test_each_package_imports_only_packages_below_it():
    rank = {layer: index for index, layer in enumerate(LAYERS)}
    wrong = []
    for path in modules():
        source = module_name(path)
        here = layer_of(source)
        if here == "root":
            continue
        for node, target, _ in portal_imports(ast.parse(path.read_text())):
            there = layer_of(target)
            if there == "root" or rank[there] > rank[here]:
                wrong.append(f"{source}:{node.lineno} ({here}) imports {target} ({there})")
    assert wrong == []


def test_no_import_hides_in_a_function():
    hidden = [
        f"{module_name(path)}:{node.lineno} imports {target} inside a function"
        for path in modules()
        if module_name(path) not in LAZY_IMPORTS
        for node, target, late in portal_imports(ast.parse(path.read_text()))
        if late
    ]
    assert hidden == []


def test_the_allowed_late_imports_are_still_there():
    """An entry of LAZY_IMPORTS whose module no longer imports late is taken out."""
    for module in LAZY_IMPORTS:
        path = PORTAL.parent.joinpath(*module.split(".")).with_suffix(".py")
        assert any(late for _, _, late in portal_imports(ast.parse(path.read_text()))), module
