from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: they use models, which exist only once every
        # app is loaded (Django calls ready() then). Not to dodge an import cycle.
        from . import receivers

        receivers.connect()

        from core.audit import track

        from .models import WebhookEndpoint

        # The signing secrets: their entries say they changed, never what to. The health
        # fields change with every delivery; disabling writes its own entry.
        track(WebhookEndpoint, mask=["secret", "previous_secret"], exclude=[
            "updated_at", "consecutive_failures", "failing_since", "last_success_at",
        ])
