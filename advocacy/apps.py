from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = "Advocacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: they use models, which exist only once every
        # app is loaded (Django calls ready() then). Not to dodge an import cycle.
        from . import heartbeat

        heartbeat.connect()
