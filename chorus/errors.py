"""What a request gets when the server fails: the one error shape for the API, a page for
people, and a 503 instead of a 500 when the database is unreachable (issue 16).

Django calls ``handler500`` from inside the ``except`` that caught the exception, so
``sys.exc_info()`` names it. A database outage is not a bug: it is a 503 with
``Retry-After``, and the pages rendered for it touch nothing that needs the database
(no context processors, no session, no user).
"""

import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

# How long clients are asked to wait before trying again during an outage.
RETRY_AFTER_SECONDS = 30
# The machine-facing paths answer JSON (the API's one error shape; SCIM has its own).
_JSON_PREFIXES = ("/api/", "/scim/", "/healthz")


def _database_down(exc: BaseException | None) -> bool:
    # OperationalError: cannot connect / connection lost; InterfaceError: connection closed.
    # Other DatabaseErrors (IntegrityError, ...) are bugs or bad data, not an outage.
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DatabaseError) and "could not connect" in str(exc).lower()
    )


def _json(request: HttpRequest, code: str, message: str, status: int) -> JsonResponse:
    if request.path.startswith("/healthz"):
        body = {"status": "down", "down": ["database"],
                "checks": {"database": {"ok": False, "error": "unavailable"}}}
    else:
        body = {"error": {"code": code, "message": message, "field": None}}
    return JsonResponse(body, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    wants_json = request.path.startswith(_JSON_PREFIXES)
    if _database_down(exc):
        logger.error("database unavailable during %s %s: %s", request.method, request.path, type(exc).__name__)
        message = "Chorus cannot reach its database just now. Nothing was saved; try again in a minute."
        if wants_json:
            response = _json(request, "unavailable", message, 503)
        else:
            response = HttpResponse(render_to_string("503.html", {"retry_after": RETRY_AFTER_SECONDS}), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if wants_json:
        return _json(request, "server_error", "Something went wrong on our side; it has been logged.", 500)
    return HttpResponse(render_to_string("500.html"), status=500)
