from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    label = "identity"
    verbose_name = "Single sign-on and provisioning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here, not at the top: they use models, which exist only once every
        # app is loaded (Django calls ready() then).
        from .scim import privacy as scim_privacy

        scim_privacy.register()  # what SCIM keeps about a person, in My data and account deletion

        from core.audit import track

        from .models import SsoMappingRule, SsoSettings

        # Who changed single sign-on, and how; secrets show as changed, never in part.
        track(SsoSettings, exclude=["updated_at"], mask=["oidc_client_secret", "saml_sp_private_key"])
        track(SsoMappingRule)
