"""Notification fan-out, digests and email deliveries."""
