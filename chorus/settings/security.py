"""Secrets and HTTP security. A missing secret stops the boot unless DEBUG is on."""

import base64
import hashlib
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

from .base import MEDIA_URL
from .env import DEBUG, env, require

SECRET_KEY: str = require(
    "SECRET_KEY",
    dev_default="django-insecure-chorus-development-only-key-do-not-use-in-production",
    hint=" (generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')",
)


def _dev_fernet_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(("fernet:" + secret).encode()).digest()).decode()


# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation).
TOKEN_ENCRYPTION_KEYS: list[str] = [
    k.strip()
    for k in require(
        "TOKEN_ENCRYPTION_KEYS",
        dev_default=_dev_fernet_key(SECRET_KEY),
        hint=(
            " (generate one with: python -c 'from cryptography.fernet import Fernet;"
            " print(Fernet.generate_key().decode())')"
        ),
    ).split(",")
    if k.strip()
]

# --- HTTPS. Every default is the production one whenever DEBUG is off, so that
# `manage.py check --deploy` is clean with only the secrets and hosts set (.env.example).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE: bool = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE: bool = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto (and only then: a client
# could send the header itself). Without it SECURE_SSL_REDIRECT would loop forever.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
# Plain-HTTP requests are redirected to HTTPS (off if the proxy already does it).
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe /healthz over plain HTTP inside the network: no redirect for it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS (sent on HTTPS responses only): a year, subdomains included, preload-list ready.
# Set SECURE_HSTS_SECONDS=300 first when moving a domain to HTTPS, then raise it.
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Permissions-Policy (chorus.middleware.PermissionsPolicyMiddleware, every response):
# the portal uses no powerful browser feature, so every one is off, for frames too.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
        "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
        "xr-spatial-tracking",
    )
}


# --- Content-Security-Policy (django-csp 4, csp.middleware.CSPMiddleware, every response).
def _origin(url: str) -> list[str]:
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


# Scripts: our own files only. No inline script or handler anywhere (templates/, admin);
# an inline <script> that must stay carries nonce="{{ request.csp_nonce }}" (or CSP_NONCE
# in templates, from csp.context_processors.nonce) and the nonce is added only when used.
# Styles keep 'unsafe-inline' (styles cannot run code): the analytics charts are pygal SVGs
# inlined with their own <style> element (analytics/charts.py), the dashboard bars and legend
# swatches carry computed widths/colours in style attributes, and the admin's email preview
# renders the email's inlined CSS (css-inline) in a srcdoc iframe, which inherits this policy.
# Images: ours and data: URLs, MEDIA_URL's host if media is served elsewhere, plus
# the CSP_EXTRA_IMG_SRC variable (e.g. "https:" to show link-preview images hot-linked from the
# articles' own sites; without it those thumbnails do not load).
_csp_extra_img_src: list[str] = env.list("CSP_EXTRA_IMG_SRC", default=[])
# Forms post to Chorus only (OAuth connects are GET redirects, not form posts).
_csp_extra_form_action: list[str] = env.list("CSP_EXTRA_FORM_ACTION", default=[])
_csp_report_uri: str = env.str("CSP_REPORT_URI", default="")

_csp_directives: dict[str, list[str] | str] = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", *_origin(MEDIA_URL), *_csp_extra_img_src],
    "font-src": [SELF],
    "connect-src": [SELF],
    "frame-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "frame-ancestors": [NONE],
    "form-action": [SELF, *_csp_extra_form_action],
}
if _csp_report_uri:
    _csp_directives["report-uri"] = _csp_report_uri
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _csp_directives}
