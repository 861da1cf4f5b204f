"""Analytics settings (read from the environment)."""
ANALYTICS_BEAT_SCHEDULE: dict = {}
