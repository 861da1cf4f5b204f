from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "advocacy.analytics"
    label = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects to content's suggestion_reviewed)
