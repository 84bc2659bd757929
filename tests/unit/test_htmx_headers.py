"""htmx is spoken through litestar-htmx (`request.htmx`, its responses and header names): no
portal module reads or writes an htmx header by its name itself."""

import ast
import re
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
HTMX_HEADER = re.compile(r"\bhx-[a-z]", re.IGNORECASE)


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of TREE: prose, which may name a header."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def htmx_headers_named_in_code(root: Path = PORTAL) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text())
        prose = docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str | bytes)
                and id(node) not in prose
            ):
                text = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
                if HTMX_HEADER.search(text):
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {text!r}")
    return found


def test_no_module_reads_or_writes_an_htmx_header_by_hand():
    assert htmx_headers_named_in_code() == []


def test_the_check_sees_a_header_named_in_code_but_not_in_prose(tmp_path):
    (tmp_path / "routes.py").write_text(
        '"""Answers a fragment to HX-Request."""\n'
        "def fragment(request):\n"
        '    """Reads HX-Boosted."""\n'
        '    return request.headers.get("hx-request") == "true"\n'
    )
    assert htmx_headers_named_in_code(tmp_path) == [f"{tmp_path.name}/routes.py:4: 'hx-request'"]
