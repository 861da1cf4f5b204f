from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    label = "identity"
    verbose_name = "Single sign-on and provisioning"
    default_auto_field = "django.db.models.BigAutoField"
