from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = "Advocacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from content.progress import register_progress_counter

        from . import signals  # noqa: F401  (connects Celery heartbeat signals)
        from .progress import campaign_counts

        register_progress_counter(campaign_counts)
