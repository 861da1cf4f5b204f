"""Observability: /metrics, log format and the request id, optional Sentry (README,
"Monitoring")."""

from core.observability.logs import logging_config
from core.observability.sentry import sentry_init

from .base import DATABASES
from .env import env

# --- /metrics (Prometheus text format). Off unless one of these is set: then a scrape
# needs the bearer token (Authorization: Bearer <METRICS_TOKEN>, compared in constant
# time) and/or must come from one of the networks (client address as core.client sees
# it, behind CLIENT_IP_PROXY_COUNT proxies). Off, /metrics is a 404.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS: list[str] = env.list("METRICS_ALLOWED_NETWORKS", default=[])
METRICS_ENABLED: bool = bool(METRICS_TOKEN or METRICS_ALLOWED_NETWORKS)
# Metrics never wait on Redis longer than this (seconds); after a failure a process stops
# counting in Redis for METRICS_REDIS_BACKOFF_SECONDS.
METRICS_REDIS_TIMEOUT: float = env.float("METRICS_REDIS_TIMEOUT", default=0.25)
METRICS_REDIS_BACKOFF_SECONDS: float = env.float("METRICS_REDIS_BACKOFF_SECONDS", default=30.0)
# Database query metrics (django-prometheus' instrumented backends): on with /metrics.
METRICS_DATABASE: bool = env.bool("METRICS_DATABASE", default=METRICS_ENABLED)
_INSTRUMENTED = {
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
}
if METRICS_DATABASE and DATABASES["default"]["ENGINE"] in _INSTRUMENTED:
    DATABASES["default"]["ENGINE"] = _INSTRUMENTED[DATABASES["default"]["ENGINE"]]

# --- Logs: "text" (readable, the default) or "json" (one object a line, for a log
# pipeline). Every line has the request id; secrets are scrubbed either way.
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT: str = env.str("LOG_FORMAT", default="text").lower()
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
# Workers log through LOGGING too (Celery would otherwise replace the root handlers with
# its own format, without request ids); chorus/celery.py keeps Celery's hands off.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The request id a client or proxy sends is used when sane (else Chorus makes one), and is
# returned in the same response header.
REQUEST_ID_HEADER: str = env.str("REQUEST_ID_HEADER", default="X-Request-ID")

# --- Sentry: off unless SENTRY_DSN is set. Never sends tokens or personal data
# (core/observability/sentry.py).
SENTRY_DSN: str = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT: str = env.str("SENTRY_ENVIRONMENT", default="")
SENTRY_TRACES_SAMPLE_RATE: float = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
SENTRY_ENABLED: bool = sentry_init(
    dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=env.str("SENTRY_RELEASE", default=""),
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
)
