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
