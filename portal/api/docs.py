"""The API's documentation page, made on the server from the OpenAPI document: our own HTML
and stylesheet, no script from elsewhere, so the pages' strict Content-Security-Policy holds."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from portal.api.router import OPENAPI_PATH
from portal.web import PUBLIC, page

METHODS = ("get", "post", "patch", "put", "delete")


def operations_by_tag(schema: dict) -> list[dict]:
    """The document's operations grouped under its tags, in the tags' order."""
    groups = {tag["name"]: [] for tag in schema.get("tags", [])}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            entry = {
                "method": method.upper(),
                "path": path,
                "id": operation.get("operationId", ""),
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": operation.get("parameters", []),
                "body": _schema_name(
                    operation.get("requestBody", {})
                    .get("content", {})
                    .get("application/json", {})
                    .get("schema", {})
                ),
                "responses": [
                    {
                        "status": status,
                        "description": response.get("description", ""),
                        "schema": _schema_name(
                            next(iter(response.get("content", {}).values()), {}).get("schema", {})
                        ),
                    }
                    for status, response in sorted(operation.get("responses", {}).items())
                ],
            }
            for tag in operation.get("tags", ["Other"]):
                groups.setdefault(tag, []).append(entry)
    return [{"name": name, "operations": ops} for name, ops in groups.items() if ops]


def _schema_name(schema: dict) -> str:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else schema.get("type", "")


def _properties(schema: dict) -> list[dict]:
    required = set(schema.get("required", []))
    rows = []
    for name, spec in schema.get("properties", {}).items():
        kinds = spec.get("oneOf") or spec.get("anyOf") or [spec]
        rows.append(
            {
                "name": name,
                "type": " or ".join(
                    _schema_name(kind) or kind.get("type", "") for kind in kinds if kind
                ),
                "format": spec.get("format", "") or spec.get("pattern", ""),
                "required": name in required,
            }
        )
    return rows


class ApiDocsController(Controller):
    path = "/api/v1/docs"
    opt = PUBLIC
    include_in_schema = False

    @get("", name="api.docs")
    async def show(self, request: Request) -> Response:
        schema = request.app.openapi_schema.to_schema()
        components = schema.get("components", {}).get("schemas", {})
        return page(
            request,
            "api/docs.html",
            {
                "info": schema.get("info", {}),
                "groups": operations_by_tag(schema),
                "schemas": [
                    {"name": name, "properties": _properties(spec)}
                    for name, spec in sorted(components.items())
                ],
                "openapi_url": OPENAPI_PATH,
            },
        )
