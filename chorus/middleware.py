"""Project-wide response headers Django has no setting for, and the request id."""

from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from core.observability.context import bind_request_id, clean_request_id, new_request_id


def permissions_policy(features: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` -> ``camera=(), fullscreen=(self)``."""
    return ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header (settings.PERMISSIONS_POLICY) to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = permissions_policy(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RequestIdMiddleware:
    """Gives each request an id: the client's (or proxy's) ``X-Request-ID`` when it is a
    sane one, else a fresh one. Every log line written while the request runs carries it,
    so do the Celery tasks it publishes (``core.observability.task_context``), and the
    response returns it in the same header so a user can quote it and an operator find
    the lines."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = getattr(settings, "REQUEST_ID_HEADER", "X-Request-ID")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = clean_request_id(request.headers.get(self.header)) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        # Bound until the request is finished (not just until this returns): Django logs
        # "Not Found" and other 4xx answers after the middleware has run.
        bind_request_id(request_id)
        response = self.get_response(request)
        response.headers[self.header] = request_id
        return response


@receiver(request_finished, dispatch_uid="chorus.request_id.finished")
def _forget_request_id(**kwargs: object) -> None:
    """The response has been sent: this thread's next log lines belong to no request."""
    bind_request_id(None)
