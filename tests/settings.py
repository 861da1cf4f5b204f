"""Test settings: only speed and isolation knobs on top of the real settings."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DEMO_APPS", "1")  # the sandbox and demo commands are tested too
os.environ.setdefault(
    "TOKEN_ENCRYPTION_KEYS", "q8n1B0z8G2w4lK0Jw1kJb0Zq3wYb7cQ9sVq2m7Qk0xA="
)

from chorus.settings import *  # noqa: E402,F403
from chorus.settings.env import env  # noqa: E402

if not env.str("DATABASE_URL", default=""):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="chorus-test-media-")
# The Redis circuit shared by the processes of a machine: this test process's own (core.redis).
REDIS_WEB_CIRCUIT_DIR = tempfile.mkdtemp(prefix="chorus-test-circuit-")
# On a loaded machine the real embedded Redis can take longer than production's 0.2 s: a
# timeout would open the circuit for 30 s and quietly fail the throttles open in the tests
# that follow in this process. The tests of the circuit and of a hung Redis set production's.
REDIS_WEB_TIMEOUT = 2.0
# Each click reaches the Redis buffer within its request (tests of the background shipper turn it on).
ANALYTICS_CLICK_SHIP_SECONDS = 0.0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SITE_URL = "http://testserver"
# Tasks run inline; tests that need a real broker start the embedded Redis.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Tests speak plain HTTP to the test client and the live server.
SECURE_SSL_REDIRECT = False

# The single sign-on tests run real identity providers on loopback, which the SSRF policy
# refuses unless allowed (tests of the refusal take it away again).
SSO_ALLOWED_HOSTS = ["127.0.0.1"]
