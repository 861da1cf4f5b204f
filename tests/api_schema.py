"""An API answer checked against the checked-in OpenAPI schema (chorus/openapi.yaml), as
``make api-check``'s schemathesis checks it on a live server: the status is documented for
the operation, and the body is valid against its schema, formats included (``format: uri``
needs an absolute URI: ``""`` is not one). tests/chorus/test_openapi_schema.py keeps the
file identical to the code's schema, so this checks the code's declarations."""

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker

FORMATS = FormatChecker()


@FORMATS.checks("uri")
def _absolute_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and value == value.strip() and " " not in value


@cache
def openapi() -> dict[str, Any]:
    return yaml.safe_load((Path(settings.BASE_DIR) / "chorus" / "openapi.yaml").read_text())


def _nullable(node: Any) -> Any:
    """OpenAPI's ``nullable: true`` (still emitted for the pages' links) as JSON Schema's null."""
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable(v) for k, v in node.items()}
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    return node


def response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    """The documented JSON body of ``method path`` (the schema's path template) for ``status``."""
    operation = openapi()["paths"][path][method.lower()]
    documented = operation["responses"].get(str(status))
    assert documented is not None, f"{method.upper()} {path}: {status} is not documented"
    return documented["content"]["application/json"]["schema"]


def assert_matches_schema(response: Any, method: str, path: str) -> None:
    """``response`` (a test client's) is documented and valid for ``method path``."""
    schema = response_schema(method, path, response.status_code)
    root = _nullable({**schema, "components": openapi()["components"]})
    validator = Draft202012Validator(root, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.absolute_path))
    assert not errors, f"{method.upper()} {path} → {response.status_code}, not as documented:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in errors[:10]
    )
