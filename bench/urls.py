"""Chorus's URLs plus the two limits every page is compared with (bench settings only).

- ``/_bench/bare``: a view that touches nothing (no session read, no database): the ceiling
  of any page served by this gunicorn on this machine.
- ``/_bench/session``: a view that loads the session and the signed-in user and nothing
  else: the floor of any logged-in page.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def session_user(request: HttpRequest) -> HttpResponse:
    user = request.user  # the session row, then the user row
    if not user.is_authenticated:
        return HttpResponse(b"anonymous", status=403, content_type="text/plain")
    return HttpResponse(str(user.pk).encode(), content_type="text/plain")


urlpatterns = [
    path("_bench/bare", bare),
    path("_bench/session", session_user),
    path("", include("chorus.urls")),
]
