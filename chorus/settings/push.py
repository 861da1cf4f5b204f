"""Web Push (the installable app's notifications), read from the environment.

Push is optional: without VAPID keys the preferences page says it is not set up and
nothing is sent. ``manage.py generate_vapid_keys`` prints a pair. With DEBUG on and no
keys, a pair is generated once into ``var/vapid-private.txt`` (``make run``).
"""

from .base import SITE_URL, VAR_DIR
from .env import DEBUG, env

# The application server's P-256 key pair (RFC 8292), base64url: the private key as the raw
# 32-byte scalar, the public key as the 65-byte uncompressed point browsers take as
# applicationServerKey. The public key may be left out: it is derived from the private one.
VAPID_PRIVATE_KEY: str = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_PUBLIC_KEY: str = env.str("VAPID_PUBLIC_KEY", default="")
# Who push services contact about our pushes: a mailto: address or an https:// URL.
VAPID_SUBJECT: str = env.str(
    "VAPID_SUBJECT", default=SITE_URL if SITE_URL.startswith("https://") else "mailto:webmaster@localhost"
)
# Development only: where a generated key pair is kept when the variables are unset.
VAPID_DEV_KEY_FILE = VAR_DIR / "vapid-private.txt" if DEBUG else None

# The push services browsers subscribe with (an endpoint's host must be one of these or end
# with "." + one): Chrome/Edge/Opera/Samsung (FCM), Firefox (Mozilla autopush), Safari
# (Apple), Edge on Windows (WNS). Endpoints are URLs a browser hands us, so Chorus posts
# only to these, over https, through the SSRF policy.
PUSH_SERVICE_HOSTS: list[str] = env.list("PUSH_SERVICE_HOSTS", default=[
    "fcm.googleapis.com", "android.googleapis.com", "updates.push.services.mozilla.com",
    "push.services.mozilla.com", "web.push.apple.com", "notify.windows.com",
])
# Extra hosts (a relay the operator runs, the tests' receiver on loopback): accepted over
# http too, and let through the SSRF policy for pushes only.
PUSH_EXTRA_HOSTS: list[str] = env.list("PUSH_EXTRA_HOSTS", default=[])
# How long a push service keeps a message for a phone that is off (seconds).
PUSH_TTL_SECONDS: int = env.int("PUSH_TTL_SECONDS", default=24 * 3600)
# Total time for one push (connect, send, answer), in seconds.
PUSH_TIMEOUT: float = env.float("PUSH_TIMEOUT", default=5.0)
# A subscription that failed this many pushes in a row (not 404/410: those delete it at once)
# is deleted.
PUSH_MAX_FAILURES: int = env.int("PUSH_MAX_FAILURES", default=10)
# Subscriptions one person may have (one per browser or phone).
PUSH_MAX_SUBSCRIPTIONS_PER_USER: int = env.int("PUSH_MAX_SUBSCRIPTIONS_PER_USER", default=10)
