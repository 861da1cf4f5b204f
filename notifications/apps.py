from django.apps import AppConfig
from django.core import checks


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
        checks.register(_vapid_check, checks.Tags.security)

        from .services import privacy

        privacy.register()  # notifications and emails in My data and account deletion

        from .services.inapp import register_unread_extra

        register_unread_extra()  # the portal feed reads the nav badge's count in its own query

        from core.audit import track

        from .models import TeamSlackWebhook, TeamsWebhook

        # The webhook URLs are secrets: their entries say they changed, never what to.
        track(TeamSlackWebhook, exclude=["last_posted_at", "last_error"], mask=["url"])
        track(TeamsWebhook, exclude=["last_posted_at", "last_error"], mask=["url"])


def _vapid_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Bad VAPID keys stop the boot with a clear message (unset keys only turn push off)."""
    from .services.push import vapid_keys  # here, like ready()'s imports: it loads models

    try:
        vapid_keys()
    except ValueError as exc:
        return [checks.Error(str(exc), id="notifications.E001")]
    return []
