"""The installable web app: its manifest, its service worker (served from the site's root so
its scope is the whole portal) and the page it shows offline. Nothing here is private: the
same answer for everyone, logged in or not."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# Colours from static/css/chorus.css (--primary, --bg).
THEME_COLOUR = "#3b4cca"
BACKGROUND_COLOUR = "#f5f6fa"
# What the service worker keeps for offline use: our own static files, nothing per person.
SHELL = ("css/chorus.css", "js/app.js", "img/favicon.svg", "img/icon-192.png")


@require_GET
@cache_control(public=True, max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: what "Install" / "Add to Home Screen" puts on the phone."""
    name = settings.SITE_NAME
    data = {
        "id": "/",
        "name": name,
        "short_name": name[:12],
        "description": f"Share what you believe in, in your own words: {name}, your company's advocacy portal.",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": static("img/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
            {"src": static("img/favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"indent": 1})


def _static_text(path: str) -> str:
    """A static file's text: collected (production) or from the source folders (development, tests)."""
    if staticfiles_storage.exists(path):
        with staticfiles_storage.open(path) as source:
            return source.read().decode()
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(path)
    return Path(found).read_text()


@lru_cache(maxsize=4)
def _worker_source(static_url: str, offline: str, logout: str) -> str:
    shell = [url for url in (static(path) for path in SHELL) if url.startswith("/") and not url.startswith("//")]
    code = _static_text("js/sw.js")
    config = {"shell": shell, "offline": offline, "logout": logout, "icon": static("img/icon-192.png")}
    # A new deploy (other static files or worker code) gets a new cache; the old one is deleted.
    version = hashlib.sha256((json.dumps(config, sort_keys=True) + code).encode()).hexdigest()[:12]
    config["cache"] = f"chorus-shell-{version}"
    return f"self.CHORUS = {json.dumps(config)};\n{code}"


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """/sw.js: the service worker, from static/js/sw.js with its settings above it. No-cache, so
    browsers check for a new version on every visit."""
    if settings.DEBUG:
        _worker_source.cache_clear()  # development: an edited static/js/sw.js is served at once
    code = _worker_source(settings.STATIC_URL, reverse("offline"), reverse("logout"))
    response = HttpResponse(code, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def offline(request: HttpRequest) -> HttpResponse:
    """What the installed app shows when there is no network: the same for everyone."""
    return render(request, "offline.html", {"SITE_NAME": settings.SITE_NAME})
