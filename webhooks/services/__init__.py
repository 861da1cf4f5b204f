"""Services of the webhooks app: events, deliveries, endpoints."""
