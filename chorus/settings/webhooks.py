"""Outbound webhooks (read from the environment): the signed event webhooks of the
webhooks app, and the Microsoft Teams incoming webhooks that notifications posts to."""

from datetime import timedelta

from .env import env

# --- Signed event webhooks (Standard Webhooks) ---
# Seconds one delivery attempt may take in all: connect, send, answer (the spec suggests 15–30).
WEBHOOKS_TIMEOUT: float = env.float("WEBHOOKS_TIMEOUT", default=15.0)
# Tries per delivery, and the backoff between them (core.retry.backoff: the first wait doubling
# up to the longest, up to a fifth more as jitter; a Retry-After is honoured). The defaults
# try 15 times over about a day and a half.
WEBHOOKS_MAX_ATTEMPTS: int = env.int("WEBHOOKS_MAX_ATTEMPTS", default=15)
WEBHOOKS_RETRY_BASE_SECONDS: int = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_RETRY_CAP_SECONDS: int = env.int("WEBHOOKS_RETRY_CAP_SECONDS", default=6 * 3600)
# An endpoint is disabled (and the Admins emailed) after this many failed attempts in a row,
# with no success in between, over at least this many hours. A 410 Gone disables it at once.
WEBHOOKS_DISABLE_AFTER_FAILURES: int = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=20)
WEBHOOKS_DISABLE_AFTER_HOURS: float = env.float("WEBHOOKS_DISABLE_AFTER_HOURS", default=24.0)
# After "rotate secret", deliveries are signed with the old secret too for this long, so the
# receiver can switch without losing a message.
WEBHOOKS_SECRET_OVERLAP_HOURS: float = env.float("WEBHOOKS_SECRET_OVERLAP_HOURS", default=24.0)
# A retry due within this many seconds is queued with a countdown; later ones are left to the
# sweep (long countdowns outlive the Redis visibility timeout).
WEBHOOKS_COUNTDOWN_MAX_SECONDS: int = env.int("WEBHOOKS_COUNTDOWN_MAX_SECONDS", default=600)
# A delivery left "sending" this long belonged to a worker that died mid-request.
WEBHOOKS_STALE_SENDING_SECONDS: int = env.int("WEBHOOKS_STALE_SENDING_SECONDS", default=600)
# The sweep records events whose signal was missed (a crash right after commit) this far back.
WEBHOOKS_CATCH_UP_MINUTES: int = env.int("WEBHOOKS_CATCH_UP_MINUTES", default=60)
# Events and their delivery log are kept this many days (0 = forever).
WEBHOOKS_RETENTION_DAYS: int = env.int("WEBHOOKS_RETENTION_DAYS", default=30)

# --- Microsoft Teams incoming webhooks (Workflows), beside Slack ---
# (connect, read) timeout in seconds.
TEAMS_WEBHOOK_TIMEOUT: tuple[float, float] = tuple(
    env.list("TEAMS_WEBHOOK_TIMEOUT", cast=float, default=[3.0, 10.0])
)  # type: ignore[assignment]
# Hosts accepted besides Microsoft's (*.logic.azure.com, *.powerplatform.com,
# *.webhook.office.com), over http or https: a local test receiver or a relay you run.
TEAMS_WEBHOOK_EXTRA_HOSTS: list[str] = env.list("TEAMS_WEBHOOK_EXTRA_HOSTS", default=[])

WEBHOOKS_BEAT_SCHEDULE: dict = {
    # Re-dispatch deliveries whose message was lost or whose retry is due, take over rows of
    # workers that died, record missed events, purge old ones. Safe to repeat.
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": timedelta(minutes=1)},
}
