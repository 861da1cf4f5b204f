"""Every response carries the security headers: a strict CSP, Permissions-Policy, HSTS."""

import re

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.template import engines
from django.urls import reverse

from tests.factories import advocate, curator, published_item

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def assert_security_headers(response) -> None:
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    # Scripts: our files and (when a template uses one) this response's nonce, nothing inline.
    assert csp["script-src"][0] == "'self'" and len(csp["script-src"]) <= 2
    assert all(re.fullmatch(r"'nonce-[A-Za-z0-9+/=]+'", v) for v in csp["script-src"][1:])
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    # Styles likewise: our files and (for the analytics charts' <style>) the nonce, no 'unsafe-inline'.
    assert csp["style-src"][0] == "'self'" and len(csp["style-src"]) <= 2
    assert all(re.fullmatch(r"'nonce-[A-Za-z0-9+/=]+'", v) for v in csp["style-src"][1:])
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"][:2] == ["'self'", "data:"]
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions
    # secure=True: the request came over HTTPS, so HSTS is sent.
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_portal_page(client):
    published_item(texts=[("linkedin", "Proud of this")])
    client.force_login(advocate())
    response = client.get(reverse("home"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response)


def test_login_page(client):
    response = client.get(reverse("login"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response)


def test_admin_page(client):
    client.force_login(curator())
    response = client.get(reverse("admin:index"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response)


def test_api(client):
    client.force_login(advocate())
    response = client.get(reverse("api_feed"), secure=True)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert_security_headers(response)


def test_api_refusal(client):
    response = client.get(reverse("api_feed"), secure=True)
    assert response.status_code == 401  # no credentials: a 401 that names the Bearer scheme
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert_security_headers(response)


def test_healthz(client):
    response = client.get("/healthz", secure=True)  # no Redis here: a 503, still with headers
    assert response.status_code in (200, 503)
    assert_security_headers(response)


def test_not_found_page(client):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert_security_headers(response)


def test_no_hsts_over_plain_http(client, settings):
    settings.SECURE_SSL_REDIRECT = False
    response = client.get(reverse("login"))
    assert "Strict-Transport-Security" not in response.headers
    assert "Content-Security-Policy" in response.headers and "Permissions-Policy" in response.headers


def test_plain_http_is_redirected_to_https_except_healthz(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("login"))
    assert response.status_code == 301 and response["Location"] == "https://testserver" + reverse("login")
    assert client.get("/healthz").status_code in (200, 503)  # load balancers probe over HTTP


def test_a_template_nonce_is_added_to_the_policy(rf):
    """An inline script that must stay uses the request's nonce, and the header names it."""
    request = rf.get("/")
    middleware = CSPMiddleware(lambda r: None)
    middleware.process_request(request)
    html = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}">1</script>').render(
        {"request": request}
    )
    response = middleware.process_response(request, HttpResponse(html))
    nonce = re.search(r'nonce="([^"]+)"', html).group(1)
    assert f"'nonce-{nonce}'" in directives(response)["script-src"]


def test_the_portal_shows_only_images_chorus_stores(client):
    """The article's own image (preview_image_url) is never hot-linked by the portal: the CSP
    allows images from our origin only, and the third party would learn who reads the feed."""
    user = advocate()
    item = published_item(url="https://example.com/a", preview_image_url="https://cdn.example.com/a.jpg")
    client.force_login(user)
    for page in (reverse("home"), reverse("share_dialog", args=[item.pk])):
        html = client.get(page, secure=True).content.decode()
        assert "cdn.example.com" not in html
    assert item.display_image_url == "https://cdn.example.com/a.jpg"  # emails may still show it
