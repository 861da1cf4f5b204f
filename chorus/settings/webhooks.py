"""Signed outbound webhooks (the webhooks app)."""
