"""Secrets and HTTP security. A missing secret stops the boot unless DEBUG is on."""

import base64
import hashlib

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

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE: bool = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE: bool = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
