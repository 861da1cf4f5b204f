"""What every endpoint of the public API (``/api/v1/``) shares.

- **One error shape** for every failure, whatever raised it:
  ``{"error": {"code": "...", "message": "...", "field": "..."}}`` (``field`` names the
  input at fault, else null). Views raise :class:`ApiError` (or DRF's exceptions) and
  :func:`api_exception_handler` shapes the answer; the schema documents it on every
  operation (:func:`add_error_responses`).
- **Cursor pagination** (:class:`CursorPage`): stable under inserts, constant cost at any
  depth; a view sets ``ordering`` to a unique, unchanging order (``"-id"`` by default).
- **Throttling per client** (:class:`ClientThrottle`): per personal token, else per
  signed-in person, else per address, in a Redis sliding window shared by every process;
  a refusal is a 429 with ``Retry-After``.
- **Conditional GET** (:func:`etag_response`): ``ETag`` on the answer, ``304`` to an
  ``If-None-Match`` that still matches.
"""

import hashlib
import logging
import threading
import time
import uuid
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from core.client import client_ip
from core.ratelimit import lease_member, sliding_window_lease
from core.redis import RedisSkipped, web_redis

logger = logging.getLogger(__name__)


# --- Errors ------------------------------------------------------------------------------


class ApiError(exceptions.APIException):
    """An error with our code, message and (optionally) the field at fault."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, code: str, message: str, *, http_status: int = 400, field: str | None = None):
        super().__init__(detail=message, code=code)
        self.status_code = http_status
        self.code = code
        self.field = field


def api_error(code: str, message: str, http_status: int, field: str | None = None,
              headers: dict[str, str] | None = None) -> Response:
    return Response({"error": {"code": code, "message": message, "field": field}},
                    status=http_status, headers=headers)


def _first_message(data: Any) -> str:
    if isinstance(data, dict):
        return _first_message(next(iter(data.values()), ""))
    if isinstance(data, list):
        return _first_message(next((v for v in data if v), ""))
    return str(data)


def _first_error(data: Any) -> tuple[str | None, str]:
    """(the top-level input at fault, its first message) of a DRF validation error."""
    if isinstance(data, dict) and data:
        key, value = next(iter(data.items()))
        return (None if key == "non_field_errors" else str(key)), _first_message(value)
    return None, _first_message(data)


def _out_of_range(exc: Exception) -> bool:
    """A value the database cannot hold, straight from the request (an id of 10**30, a text
    longer than its column): SQLite's driver raises OverflowError, PostgreSQL a DataError.
    The client's input, not a bug: a 400, like any other invalid input."""
    return isinstance(exc, DataError) or (isinstance(exc, OverflowError) and "too large" in str(exc))


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every API error in one shape (DRF's ``EXCEPTION_HANDLER``)."""
    # Imported here, not at the top: rest_framework.views builds APIView's defaults from
    # REST_FRAMEWORK, which names this module's classes, so this module must be importable
    # before it (an endpoint module may import core.api first).
    from rest_framework.views import exception_handler

    if isinstance(exc, ApiError):
        return api_error(exc.code, str(exc.detail), exc.status_code, exc.field)
    if _out_of_range(exc):
        logger.warning("API input out of range: %s", type(exc).__name__)
        return api_error("invalid", "A value in the request is out of range (too large a number, or too long).",
                         status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    headers = {k: v for k, v in response.items() if k in ("Retry-After", "WWW-Authenticate", "Allow")}
    if isinstance(exc, exceptions.ValidationError):
        field, message = _first_error(response.data)
        return api_error("invalid", message, response.status_code, field, headers)
    if isinstance(exc, Http404):
        return api_error("not_found", "Not found.", status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return api_error("permission_denied", "You do not have permission to do this.", status.HTTP_403_FORBIDDEN)
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    code = code if isinstance(code, str) else getattr(exc, "default_code", "error")
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
    return api_error(str(code), str(detail), response.status_code, None, headers)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable: `invalid`, `not_found`, `throttled`, ...")
    message = serializers.CharField(help_text="For people; may change.")
    field = serializers.CharField(allow_null=True, help_text="The input at fault, if one is.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# Statuses any operation may answer with the error shape (documented on every one).
_ERROR_STATUSES = {
    "400": "The request is invalid (see `error.field`).",
    "401": "No valid credentials (a missing, wrong, expired or revoked token).",
    "403": "Authenticated, but not allowed (role, or a read-only token writing).",
    "404": "Not found, or not visible to you.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type.",
    "429": "Too many requests: wait `Retry-After` seconds.",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the one error shape on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
        }},
    })
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in _ERROR_STATUSES.items():
                if code not in responses:
                    responses[code] = {"description": description, "content": {"application/json": {"schema": ref}}}
    return result


@csrf_exempt  # it changes nothing; without this a POST would get the CSRF failure's HTML page
def api_not_found(request: HttpRequest, unmatched: str = "") -> HttpResponse:
    """Any ``/api/`` address that names no endpoint (``chorus.api_urls``' last route): a 404
    in the one error shape, not the portal's HTML page. Like Django's ``APPEND_SLASH``, a
    GET that lacks only its trailing slash is redirected."""
    path = request.path_info
    if settings.APPEND_SLASH and not path.endswith("/") and request.method in ("GET", "HEAD"):
        try:
            match = resolve(f"{path}/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return JsonResponse({"error": {"code": "not_found", "message": "No endpoint has this address: see /api/docs/.",
                                   "field": None}}, status=status.HTTP_404_NOT_FOUND)


# --- Parsing -----------------------------------------------------------------------------


class SafeJSONParser(JSONParser):
    """``JSONParser`` that answers a body nested too deeply for the decoder with a 400.

    ``json`` recurses once per level: 10,000 ``[`` raise ``RecursionError``, which DRF's
    parser does not catch (a 500 before this).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the JSON is nested too deeply.") from None


# --- Pagination --------------------------------------------------------------------------


class CursorPage(CursorPagination):
    """Opaque ``cursor`` links (``next``/``previous``); ``page_size`` up to 200."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200


# --- Throttling --------------------------------------------------------------------------


def _rate(text: str) -> tuple[int, int]:
    """``"600/minute"`` → (600, 60)."""
    count, _, period = text.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]
    return int(count), seconds


class _Lease:
    __slots__ = ("prefix", "size", "used", "until")

    def __init__(self, prefix: str, size: int, until: float, used: int) -> None:
        self.prefix, self.size, self.until, self.used = prefix, size, until, used

    def unused(self) -> list[str]:
        return [lease_member(self.prefix, place) for place in range(self.used + 1, self.size + 1)]


class ClientThrottle(BaseThrottle):
    """A sliding window per personal token, else per person, else per client address.

    Shared by every web process through Redis; if Redis cannot be reached the limit fails
    open (logged): an outage of the limiter must not take the API down, nor slow it —
    Redis is asked with the web's short timeout, and skipped for a while after it failed
    (``core.redis.web_redis``).

    A process takes places in a client's window a few at a time (a *lease*: 1 % of the
    limit, 1 to ``LEASE_MAX``) and hands them out itself for up to ``LEASE_SECONDS``: a
    client calling often costs one Redis round trip per lease, not per request. Every
    place is counted in Redis before it is used, so the limit is never exceeded; the
    places a lease leaves unused are given back with the process's next lease for that
    client (until then they count, at most ``LEASE_MAX - 1`` per process).
    """

    scope = "client"
    LEASE_MAX = 50
    LEASE_SECONDS = 1.0
    _leases: dict[tuple, _Lease] = {}  # per process: (window key, limit, seconds) -> lease
    _lock = threading.Lock()

    def __init__(self) -> None:
        self._wait = 0.0

    def identity(self, request: Request) -> str:
        token_id = getattr(request.auth, "pk", None)
        if token_id is not None:
            return f"token:{token_id}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{client_ip(request)}"

    def allow_request(self, request: Request, view) -> bool:
        rate = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)
        if not rate:
            return True
        limit, window = _rate(rate)
        key = f"throttle:api:{self.identity(request)}"
        now = time.time()
        leases = self._leases
        with self._lock:
            lease = leases.get((key, limit, window))
            if lease is not None and lease.used < lease.size and now < lease.until:
                lease.used += 1
                return True
            if len(leases) > 10_000:  # many clients once: forget the spent leases
                for stale in [k for k, held in leases.items() if held.used >= held.size or held.until <= now]:
                    del leases[stale]
        give_back = lease.unused() if lease is not None else []
        size = min(self.LEASE_MAX, max(1, limit // 100))
        prefix = uuid.uuid4().hex
        try:
            with web_redis() as client:
                taken, self._wait = sliding_window_lease(
                    client, key, limit=limit, window_seconds=window, want=size, prefix=prefix, now=now,
                    give_back=give_back,
                )
        except RedisSkipped:  # failed a moment ago (logged then): not one log line per request
            return True
        except redis.RedisError as exc:
            logger.error("API throttle skipped (Redis unavailable): %s", type(exc).__name__)
            return True
        with self._lock:
            if taken:
                leases[(key, limit, window)] = _Lease(prefix, taken, now + self.LEASE_SECONDS, used=1)
            else:
                leases.pop((key, limit, window), None)  # its unused places were given back
        return bool(taken)

    def wait(self) -> float | None:
        return max(1.0, self._wait) if self._wait else None


# --- Conditional GET ---------------------------------------------------------------------


def etag_of(*parts: Any) -> str:
    """A strong ETag from whatever identifies the answer's version."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    return f'"{digest}"'


def _matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    weak = etag[2:] if etag.startswith("W/") else etag
    return any(tag.strip().removeprefix("W/") == weak for tag in header.split(","))


def etag_response(request: Request, data: Any, *, etag: str | None = None, **kwargs: Any) -> Response:
    """``data`` with an ``ETag`` (of ``etag``'s version, else of the rendered body), or a
    bodiless 304 when the client's ``If-None-Match`` names it. With ``etag`` given, ``data``
    may be a function making the answer: a 304 never calls it."""
    if etag is None:
        data = data() if callable(data) else data
        etag = etag_of(JSONRenderer().render(data))
    header = request.headers.get("If-None-Match")
    if header and _matches(header, etag):
        response = Response(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = Response(data() if callable(data) else data, **kwargs)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Authorization, Cookie"
    return response


# --- Staff permissions -------------------------------------------------------------------


class ModelPermissions(DjangoModelPermissions):
    """Exactly the admin's model permissions: reading needs ``view_<model>`` too (DRF's own
    class lets anyone signed in read). Use on staff endpoints with a ``queryset``; a view
    checks any further permission (``approve_contentitem``, ...) with ``require_perm``."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


def require_perm(request: Request, *perms: str) -> None:
    """Refuse (403, the one error shape) unless the user holds every permission."""
    if not request.user.has_perms(perms):
        raise ApiError("permission_denied", "You do not have permission to do this.", http_status=403)
