from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    label = "notifications"
    verbose_name = "Notifications and digests"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: they use models, which exist only once every
        # app is loaded (Django calls ready() then). Not to dodge an import cycle.
        from . import receivers, services  # noqa: F401  (services registers the email renderers)

        receivers.connect()

        from .services import privacy

        privacy.register()  # notifications and emails in My data and account deletion

        from core.audit import track

        from .models import TeamSlackWebhook, TeamsWebhook

        # The webhook URLs are secrets: their entries say they changed, never what to.
        track(TeamSlackWebhook, exclude=["last_posted_at", "last_error"], mask=["url"])
        track(TeamsWebhook, exclude=["last_posted_at", "last_error"], mask=["url"])
