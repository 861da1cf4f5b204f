"""URLconf of bench/redirect_bench.py: Chorus's URLs plus a plain view to compare with."""

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import include, path


def plain(request: HttpRequest) -> HttpResponseRedirect:
    """The floor: a redirect that touches neither the database nor Redis."""
    return HttpResponseRedirect("https://example.com/article?id=1")


urlpatterns = [path("plain/", plain), path("", include("chorus.urls"))]
