from django.apps import AppConfig


class AdvocacyConfig(AppConfig):
    name = "advocacy"
    verbose_name = "Advocacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import heartbeat

        heartbeat.connect()
