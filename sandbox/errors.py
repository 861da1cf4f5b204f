"""The error bodies each network really sends, and what an injected fault looks like.

LinkedIn REST errors: ``{"status", "serviceErrorCode", "code", "message"}`` (the
``/v2/userinfo`` 401 has no ``code``, as recorded). LinkedIn and X OAuth endpoints:
``{"error", "error_description"}``. X API errors: RFC 7807 problem objects, or for 429 the
old ``{"errors":[{"code":88,...}]}`` shape when configured.
"""

from http import HTTPStatus
from typing import Any

from .config import SandboxConfig
from .faults import FaultRule
from .web import Response, html_response, json_response

LI_TOKEN_ERRORS: dict[str, tuple[int, str, str]] = {
    "invalid": (65600, "INVALID_ACCESS_TOKEN", "Invalid access token"),
    "revoked": (65601, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user"),
    "expired": (65602, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired"),
    "empty": (65604, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token"),
}
X_PROBLEM_BASE = "https://api.twitter.com/2/problems"
X_DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
X_CLIENT_FORBIDDEN_DETAIL = (
    "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a "
    "Twitter developer App that is attached to a Project. You can create a project via the developer portal."
)
LI_ANALYTICS_RESOURCE = "memberCreatorPostAnalytics.GET_FINDER-entity.20251001"
LI_USERINFO_RESOURCE = "userinfo.GET.NO_VERSION"
# Used when an injected duplicate has no earlier post of the member to name.
LI_PLACEHOLDER_DUPLICATE = "urn:li:share:7000000000000000000"


# --- LinkedIn ---
def li_error(
    status: int, message: str, *, code: str | None = None, service_error_code: int | None = None
) -> Response:
    body: dict[str, Any] = {"status": status}
    if service_error_code is not None:
        body["serviceErrorCode"] = service_error_code
    if code is not None:
        body["code"] = code
    body["message"] = message
    return json_response(status, body, [("X-RestLi-Protocol-Version", "2.0.0")])


def li_token_error(kind: str, *, with_code: bool = True) -> Response:
    service_code, code, message = LI_TOKEN_ERRORS[kind]
    return li_error(401, message, code=code if with_code else None, service_error_code=service_code)


def li_access_denied(message: str) -> Response:
    return li_error(403, message, code="ACCESS_DENIED", service_error_code=100)


def li_throttled(message: str) -> Response:
    """LinkedIn's daily throttle: 429, serviceErrorCode 101, and no rate-limit headers at all."""
    return li_error(429, message, code="TOO_MANY_REQUESTS", service_error_code=101)


def li_version_error(version: str) -> Response:
    return li_error(426, f"Requested version {version} is not active", code="NONEXISTENT_VERSION")


def li_unprocessable(message: str, code: str = "UNPROCESSABLE_ENTITY") -> Response:
    return li_error(422, message, code=code)


def li_duplicate(existing_urn: str) -> Response:
    """LinkedIn's duplicate-post 422 as users have pasted it: no top-level ``code``, the
    DUPLICATE_POST code in ``errorDetails.inputErrors``, the existing post named in ``message``."""
    body = {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": (
            "com.linkedin.content.common.exception.BadRequestResponseException: "
            f"Content is a duplicate of {existing_urn}"
        ),
        "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}]},
        "status": 422,
    }
    return json_response(422, body, [("X-RestLi-Protocol-Version", "2.0.0")])


def oauth_error(status: int, error: str, description: str) -> Response:
    """Both networks' token-endpoint error body."""
    return json_response(status, {"error": error, "error_description": description}, [("Cache-Control", "no-store")])


# --- X ---
def x_problem(
    status: int, title: str, detail: str, *, type_: str = "about:blank", headers: Any = (), **extra: Any
) -> Response:
    body = {"title": title, "detail": detail, "type": type_, "status": status, **extra}
    return json_response(status, body, headers)


def x_invalid_request(message: str, parameters: dict[str, list[str]] | None = None) -> Response:
    error: dict[str, Any] = {"parameters": parameters} if parameters else {}
    error["message"] = message
    return x_invalid([error])


def x_invalid(errors: list[dict[str, Any]]) -> Response:
    """X's 400 as documented: the problem has no ``status``; each error names its parameters."""
    body = {
        "errors": errors,
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{X_PROBLEM_BASE}/invalid-request",
    }
    return json_response(400, body)


def x_client_forbidden(client_id: str) -> Response:
    """403 for an app whose access level or project does not include the endpoint (no ``status`` key)."""
    body = {
        "client_id": client_id,
        "detail": X_CLIENT_FORBIDDEN_DETAIL,
        "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
        "title": "Client Forbidden",
        "required_enrollment": "Appropriate Level of API Access",
        "reason": "client-not-enrolled",
        "type": f"{X_PROBLEM_BASE}/client-forbidden",
    }
    return json_response(403, body)


def x_unauthorized() -> Response:
    return x_problem(401, "Unauthorized", "Unauthorized")


def x_forbidden(detail: str = "Forbidden") -> Response:
    return x_problem(403, "Forbidden", detail)


def x_duplicate() -> Response:
    return x_problem(403, "Forbidden", X_DUPLICATE_DETAIL)


def x_rate_limited(config: SandboxConfig, headers: list[tuple[str, str]]) -> Response:
    if config.x_legacy_429_body:
        return json_response(429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, headers)
    return x_problem(429, "Too Many Requests", "Too Many Requests", headers=headers)


def rate_headers(limit: int, remaining: int, reset: int, prefix: str = "x-rate-limit") -> list[tuple[str, str]]:
    return [(f"{prefix}-limit", str(limit)), (f"{prefix}-remaining", str(remaining)), (f"{prefix}-reset", str(reset))]


# --- injected faults ---
def fault_response(
    rule: FaultRule,
    network: str,
    group: str,
    config: SandboxConfig,
    now: float,
    *,
    ids: list[str] | None = None,
    existing_post: str | None = None,
) -> Response:
    """What the client sees for a fault that answers (the dropping kinds never get here).

    ``ids``: the ``ids`` of an X lookup (for ``invalid_id``); ``existing_post``: the URN a
    LinkedIn ``duplicate`` names (the member's latest post, when there is one).
    """
    kind = rule.kind
    if kind in ("error", "error_after_accept"):
        status = rule.status or (503 if kind == "error" else 500)
        if network == "x":
            return x_problem(status, _phrase(status), _phrase(status))
        return li_error(status, _phrase(status), code=_phrase(status).upper().replace(" ", "_"))
    if kind in ("expired_token", "revoked_token", "invalid_token"):
        flavour = kind.split("_")[0]
        if group == "oauth":
            description = {
                "linkedin": "The provided authorization grant or refresh token is invalid, expired or revoked.",
                "x": "Value passed for the token was invalid.",
            }[network]
            return oauth_error(400, "invalid_request", description)
        if network == "x":
            return x_unauthorized()
        return li_token_error(flavour, with_code=group != "profile")
    if kind == "revoked_after_exchange":
        return x_unauthorized() if network == "x" else li_token_error("revoked", with_code=group != "profile")
    if kind in ("rate_limit", "rate_limit_bare"):
        if network == "linkedin":
            return li_throttled("Resource level throttle MEMBER DAY limit for calls to this resource is reached.")
        headers = [] if kind == "rate_limit_bare" else rate_headers(100, 0, int(now) + 900)
        return x_rate_limited(config, headers)
    if kind == "forbidden":
        if network == "x":
            return x_forbidden()
        return li_access_denied("Not enough permissions to access this resource (injected fault)")
    if kind == "metrics_forbidden":
        if network == "x":
            return x_client_forbidden(config.x_client_id)
        return li_access_denied(f"Not enough permissions to access: {LI_ANALYTICS_RESOURCE}")
    if kind == "connect_forbidden":
        if network == "x":
            return x_client_forbidden(config.x_client_id)
        return li_access_denied(f"Not enough permissions to access: {LI_USERINFO_RESOURCE}")
    if kind == "token_html":
        return html_response(rule.status or 200, maintenance_page(network))
    if kind == "invalid_id":
        bad = (ids or ["0"])[0]
        return x_invalid_request(f"The `ids` query parameter value [{bad}] is not valid", {"ids": [bad]})
    if kind == "duplicate":
        if network == "x":
            return x_duplicate()
        return li_duplicate(existing_post or LI_PLACEHOLDER_DUPLICATE)
    if kind == "version_retired":
        return li_version_error("20230101")
    raise ValueError(f"fault kind {kind} has no response")


def maintenance_page(network: str) -> str:
    """The HTML a load balancer serves when the token service is down (not JSON at all)."""
    if network == "linkedin":
        title, text = "LinkedIn | Service unavailable", "LinkedIn is temporarily unavailable for scheduled maintenance."
    else:
        title, text = "X / Error", "Something went wrong, but don’t fret — it’s not your fault. Try again later."
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>We’ll be back soon</h1><p>{text}</p></body></html>"
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Server Error"
