"""content API (mounted under /api/v1/ by chorus.api_urls)."""

urlpatterns: list = []
