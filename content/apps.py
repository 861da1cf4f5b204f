from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "Content library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: they use models, which exist only once every
        # app is loaded (Django calls ready() then).
        from core.audit import track

        from .models import (
            Campaign,
            ComplianceSettings,
            ContentItem,
            ContentRevision,
            ContentSuggestion,
            FeedSource,
            ShareText,
            Topic,
        )

        # Workflow moves are conditional UPDATEs: content_log_change writes their entries.
        track(ContentItem, exclude=["updated_at", "preview_fetched_at"], m2m=["topics", "target_teams"])
        track(ShareText)
        track(ContentRevision, exclude=["data", "before"])
        track(Campaign, exclude=["updated_at"])
        track(Topic)
        track(ComplianceSettings, exclude=["updated_at"])
        track(FeedSource, exclude=["last_polled_at", "next_poll_at", "last_error", "last_error_at"],
              m2m=["default_topics", "target_teams"])
        track(ContentSuggestion)

        from .services import privacy

        privacy.register()  # suggestions in My data and account deletion
