"""Shared by the SCIM tests: a client that speaks SCIM to /scim/v2/ with a token, and the
shapes they check. (The fixtures ``scim_token`` and ``scim`` are in conftest.py.)"""

import json
from typing import Any

from django.test import Client

BASE = "/scim/v2"
SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """``Client`` with the token and the SCIM content type on every request."""

    def __init__(self, plain: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {plain}"}

    def _send(self, method: str, path: str, body: Any = None, **extra: Any):
        data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
        call = getattr(self.client, method)
        kwargs: dict[str, Any] = {"headers": {**self.headers, **extra.pop("headers", {})}, **extra}
        if data is not None:
            kwargs.update(data=data, content_type=SCIM_JSON)
        return call(BASE + path, **kwargs)

    def get(self, path: str, **extra: Any):
        return self._send("get", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any):
        return self._send("post", path, body, **extra)

    def put(self, path: str, body: Any, **extra: Any):
        return self._send("put", path, body, **extra)

    def patch(self, path: str, *operations: dict, **extra: Any):
        return self._send("patch", path, {"schemas": [PATCH_OP], "Operations": list(operations)}, **extra)

    def delete(self, path: str, **extra: Any):
        return self._send("delete", path, **extra)


def user_body(email: str, **extra: Any) -> dict:
    body = {"schemas": [USER_SCHEMA, ENTERPRISE], "userName": email, "active": True,
            "name": {"givenName": "Ann", "familyName": "Lee"}, "emails": [{"value": email, "type": "work",
                                                                          "primary": True}]}
    body.update(extra)
    return body


def assert_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == str(status), body
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body

