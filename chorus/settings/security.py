"""Secrets and HTTP security. A missing secret stops the boot unless DEBUG is on."""

import base64
import hashlib
from datetime import timedelta
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
# Styles: our own files too, no 'unsafe-inline' (injected CSS can still exfiltrate and
# restyle a page), so no style="" attribute and no bare <style> anywhere, the admin
# included. The analytics charts' own <style> element carries the request's nonce
# (analytics/charts.py); computed bar widths are classes (core/widths.py,
# static/css/widths.css) and legend colours are SVG fill attributes. JavaScript may still
# set element.style (CSSOM), which CSP allows.
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
    "style-src": [SELF, NONCE],
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

# The one exception, a policy of its own (csp.decorators.csp, notifications/admin.py): an
# email's HTML served alone for the admin's preview iframe. Emails need inline styles
# (css-inline writes style="" on every element, media queries stay in a <style>), so the
# email document allows them and nothing else: no script, no form, no plugin, framed by
# Chorus pages only, and sandboxed by the policy itself even if opened directly. The admin
# page around it keeps the strict policy above.
CSP_EMAIL_DOCUMENT: dict[str, list[str] | str] = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "img-src": _csp_directives["img-src"],
    "script-src": [NONE],
    "object-src": [NONE],
    "form-action": [NONE],
    "base-uri": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": ["allow-popups", "allow-popups-to-escape-sandbox"],
}
if _csp_report_uri:
    CSP_EMAIL_DOCUMENT["report-uri"] = _csp_report_uri


# --- Brute-force protection (django-axes, accounts/lockout.py). Every login form (portal,
# admin) and anything else that calls authenticate(request, username=…, password=…)
# counts failures per account (the email typed, whether or not it exists) and per client
# address. At the limit the login is refused, even with the right password, until
# LOGIN_LOCKOUT_MINUTES after the last counted failure (attempts during a lockout do not
# prolong it). The per-client limit is higher: a whole office can share one address.
LOGIN_FAILURES_PER_ACCOUNT: int = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=10)
LOGIN_FAILURES_PER_CLIENT: int = env.int("LOGIN_FAILURES_PER_CLIENT", default=50)
LOGIN_LOCKOUT_MINUTES: int = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
# Password reset emails per address and requests per client in any 60 minutes; past that
# the page answers as usual ("check your email") and sends nothing (Redis counts them).
PASSWORD_RESET_PER_ADDRESS: int = env.int("PASSWORD_RESET_PER_ADDRESS", default=3)
PASSWORD_RESET_PER_CLIENT: int = env.int("PASSWORD_RESET_PER_CLIENT", default=20)
# The client (login lockouts, reset limits, unique click visitors; core/client.py) is
# REMOTE_ADDR, or behind N proxies that append to X-Forwarded-For, the
# address the outermost one saw (set it to the number of proxies; a client can forge the
# header, so never more than you have).
CLIENT_IP_PROXY_COUNT: int = env.int("CLIENT_IP_PROXY_COUNT", default=0)

AXES_HANDLER = "accounts.lockout.LoginLockoutHandler"  # one limit per parameter below
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True  # that account's failures only, not the client's on others
AXES_USERNAME_FORM_FIELD = "username"  # the email, as the login forms pass it
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "core.client.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Every failure stays in Admin > Axes > Access failures (lockouts flagged); AccessAttempt
# rows are the live counts (delete one to lift its lockout early).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
