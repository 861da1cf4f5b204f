"""Notification and digest settings (read from the environment)."""
NOTIFICATIONS_BEAT_SCHEDULE: dict = {}
