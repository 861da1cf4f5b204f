"""The OpenAPI schema: checked in (chorus/openapi.yaml), generated without a warning, and
its docs page served from our own files under our CSP.

The schema is generated exactly as ``make schema`` does it, in a separate process (the
test run's own state cannot leak into it); the committed file must be identical, so a
change to an endpoint shows up in review as a change to the schema.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(settings.BASE_DIR)
COMMITTED = ROOT / "chorus" / "openapi.yaml"
# The Makefile's SCHEMA_CMD (keep the two the same).
COMMAND = ["manage.py", "spectacular", "--validate", "--fail-on-warn"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    # As the Makefile does: on SQLite whatever DATABASE_URL says (integer limits in the
    # schema follow the database's column ranges; the checked-in file is the SQLite one).
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    result = subprocess.run([sys.executable, *COMMAND, "--file", str(out)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    return result, out


def test_the_schema_generates_without_a_warning_or_an_error(generated):
    result, out = generated
    problems = [line for line in result.stderr.splitlines() if re.search(r"\b(Warning|Error)\b", line)]
    assert result.returncode == 0 and not problems, (
        "drf-spectacular is not clean (fix these, then run make schema):\n" + "\n".join(problems or [result.stderr])
    )
    assert out.exists()


def test_the_committed_schema_is_the_generated_one(generated):
    result, out = generated
    if result.returncode != 0:
        pytest.fail("the schema does not generate cleanly (see the test above); then run make schema")
    assert COMMITTED.exists(), "chorus/openapi.yaml is missing: run make schema"
    assert COMMITTED.read_text() == out.read_text(), "chorus/openapi.yaml is out of date: run make schema"


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_the_committed_schema_is_openapi_3_1_with_the_one_error_shape():
    """Every operation documents its errors, each in the one shape (an operation may add
    properties to it, like the people import's row errors)."""
    schema = yaml.safe_load(COMMITTED.read_text())
    assert schema["openapi"].startswith("3.1") and schema["info"]["title"] == "Chorus API"
    assert schema["components"]["securitySchemes"]["personalToken"]["scheme"] == "bearer"
    for path, item in schema["paths"].items():
        assert path.startswith("/api/v1/"), path
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for status in ("400", "401", "403", "404", "429"):
                body = _resolve(schema, operation["responses"][status]["content"]["application/json"]["schema"])
                error = _resolve(schema, body["properties"]["error"])
                assert {"code", "message", "field"} <= set(error["properties"]), (method, path, status)


@pytest.mark.django_db
def test_the_docs_page_loads_only_our_own_files_and_no_inline_code(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy and "script-src 'self'" in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "an inline <script>"
    assert "<style" not in page and " style=" not in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page), "a file from another site"
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", page)
    static = [a for a in assets if a.startswith(settings.STATIC_URL)]
    assert any(a.endswith("swagger-ui-bundle.js") for a in static) and any(a.endswith(".css") for a in static)
    for asset in static:
        assert finders.find(asset.removeprefix(settings.STATIC_URL)), f"{asset} is not one of our static files"
    [script] = [a for a in assets if a.startswith("/api/docs/?script")]
    code = client.get(script)
    assert code.status_code == 200 and code["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in code.content.decode()


@pytest.mark.django_db
def test_the_schema_is_public(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.1")
