"""The portal never types its own URLs: templates build them with `url_for("route.name")`,
Python with `portal.web.url_for(request, ...)` and mails with `portal.core.urls.page_url`, so
that renaming or moving a page is one change, checked by the route names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PORTAL = ROOT / "portal"

# An attribute holding an address, whose value starts with "/", a quoted path inside a
# Jinja expression ("/clients" passed to a macro), or a path typed as where to go next.
TYPED_IN_TEMPLATE = re.compile(
    r"""(?:\b(?:href|src|action|formaction|hx-(?:get|post|put|patch|delete|push-url))\s*=\s*["']/)"""
    r"""|(?:\{[{%][^}]*["']/[a-z])"""
    r"""|(?:[?&]next=/)"""
)

# Literals that look like paths but are no page of the portal's, each with why.
ALLOWED = {
    ("portal/database.py", "/postgres?"): "the database's name in PostgreSQL's URL",
    ("portal/database.py", "/{"): "the database's name in PostgreSQL's URL",
    ("portal/core/navigation.py", "/"): "the site's root, which every path continues",
    ("portal/api/router.py", "/api/v1"): "the API's prefix, where its routes are declared",
    ("portal/api/router.py", "/openapi.json"): "the API schema's path, declared with the API",
    ("portal/api/router.py", "/"): "the API router's own path",
}
# "/" as a separator, in text operations: rstrip("/"), startswith("/")...
TEXT_METHODS = {"startswith", "endswith", "strip", "rstrip", "lstrip", "split", "rsplit"}


def typed_in_templates() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in TYPED_IN_TEMPLATE.finditer(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    return found


def route_declarations(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that declare routes' paths: @get("/x"), path = "/x",
    path="/x" (a router), which are where URLs are defined, not typed; and of "/" cutting
    text."""
    declared = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TEXT_METHODS
        ):
            declared.update(id(argument) for argument in node.args)
        if isinstance(node, ast.Call):
            is_route = isinstance(node.func, ast.Name) and node.func.id in {
                "get",
                "post",
                "put",
                "patch",
                "delete",
                "route",
            }
            if is_route and node.args:
                declared.add(id(node.args[0]))
            for keyword in node.keywords:
                if keyword.arg in {"path", "safe"}:  # a router's path; quote(safe="/")
                    declared.add(id(keyword.value))
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "path" for target in node.targets
        ):
            declared.add(id(node.value))
    return declared


def leading_text(node: ast.AST) -> str | None:
    """A string's text, or an f-string's text up to its first value ("{" for a value)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        parts = node.values
        if _is_base_url(parts[0]) and len(parts) > 1:  # f"{settings.base_url}/billing"
            parts = parts[1:]
        if isinstance(parts[0], ast.Constant):
            return parts[0].value + ("{" if len(parts) > 1 else "")
        return "{"
    return None


def paths_after_base_url(node: ast.AST) -> list[str]:
    """The paths typed right after the base URL anywhere in an f-string:
    f"Enter it on:\n{settings.base_url}/clients"."""
    if not isinstance(node, ast.JoinedStr):
        return []
    parts = node.values
    return [
        after.value
        for before, after in zip(parts, parts[1:], strict=False)
        if _is_base_url(before)
        and isinstance(after, ast.Constant)
        and str(after.value).startswith("/")
    ]


def _is_base_url(part: ast.AST) -> bool:
    return (
        isinstance(part, ast.FormattedValue)
        and isinstance(part.value, ast.Attribute)
        and part.value.attr == "base_url"
    )


def typed_in_python() -> list[str]:
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        if "piccolo_migrations" in path.parts:
            continue
        relative = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text())
        declared = route_declarations(tree)
        inside_fstring = {
            id(part)
            for node in ast.walk(tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(tree):
            if id(node) in declared or id(node) in inside_fstring:
                continue
            texts = dict.fromkeys([leading_text(node), *paths_after_base_url(node)])
            for text in texts:
                if text is None or not re.match(r"/(?:[a-z{]|$)", text):
                    continue
                if (relative, text) in ALLOWED:
                    continue
                found.append(f"{relative}:{node.lineno}: {text!r}")
    return found


def test_no_template_types_an_internal_url():
    assert typed_in_templates() == []


def test_no_python_module_types_an_internal_url():
    assert typed_in_python() == []


def test_the_check_finds_typed_urls():
    assert TYPED_IN_TEMPLATE.search('<a href="/clients">')
    assert TYPED_IN_TEMPLATE.search("{{ m.pager(page_no, has_next, '/clients') }}")
    assert not TYPED_IN_TEMPLATE.search("""<a href="{{ url_for('clients.index') }}">""")
    assert TYPED_IN_TEMPLATE.search("""{{ url_for('accounts.login') }}?next=/invitations/{{ t }}""")
    tree = ast.parse('redirect(request, f"/clients/{link_id}")\n@get("/clients")\ndef f(): ...')
    texts = [leading_text(n) for n in ast.walk(tree) if id(n) not in route_declarations(tree)]
    assert "/clients/{" in texts and "/clients" not in texts
    mail = ast.parse('link = f"{settings.base_url}/billing/prepaid"')
    assert "/billing/prepaid" in [leading_text(n) for n in ast.walk(mail)]
    inside = ast.parse('body = f"Enter it on your page:\\n{settings.base_url}/clients\\n"')
    assert ["/clients\n"] in [paths_after_base_url(n) for n in ast.walk(inside)]


def route_reverse_callers() -> list[str]:
    """Modules that reverse routes through the app themselves instead of url_for (cached,
    portal/web.py) or the mails' urls (portal/core/urls.py)."""
    doors = {"portal/web.py", "portal/core/urls.py", "portal/app.py"}
    found = []
    for path in sorted(PORTAL.rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative in doors:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "route_reverse":
                found.append(f"{relative}:{node.lineno}")
    return found


def test_routes_make_urls_through_url_for():
    assert route_reverse_callers() == []
