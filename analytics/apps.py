from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    label = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: they use models, which exist only once every
        # app is loaded (Django calls ready() then). Not to dodge an import cycle.
        from content.progress import register_progress_counter

        from . import signals  # noqa: F401  (connects to content's suggestion_reviewed)
        from .progress import campaign_counts

        register_progress_counter(campaign_counts)

        from .services import privacy

        privacy.register()  # points and impact in My data and account deletion

        from core.audit import track

        from .models import EmvRate, PointsRule

        track(EmvRate)
        track(PointsRule, exclude=["updated_at"])
