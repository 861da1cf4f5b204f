"""Every operation of the API is documented: a summary, a description, and an example of
what it takes or answers (issue 14). A bodiless answer (204) needs no example. Read from
the checked-in schema, which test_openapi_schema keeps identical to the code's."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "chorus" / "openapi.yaml").read_text())
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in ("get", "post", "put", "patch", "delete")
]


def _has_example(operation: dict) -> bool:
    contents = list((operation.get("requestBody") or {}).get("content", {}).values())
    for code, response in operation.get("responses", {}).items():
        if code.startswith("2"):
            contents += list((response.get("content") or {}).values())
    if not contents:  # nothing goes in or comes out (e.g. DELETE → 204)
        return True
    return any(c.get("examples") or c.get("example") for c in contents)


def test_the_api_has_its_operations():
    assert len(OPERATIONS) >= 70


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_every_operation_is_described_with_an_example(name, operation):
    assert operation.get("summary"), f"{name}: no summary"
    assert len(operation.get("description", "")) >= 20, f"{name}: no description"
    assert _has_example(operation), f"{name}: no example of its request or answer"
