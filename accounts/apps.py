from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .roles import sync_role_permissions


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and teams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_roles")

        from django.contrib.auth.models import Group

        from core.audit import track

        from .models import Team, User

        # Roles are groups: who holds which (User.groups) and what each grants.
        track(User, exclude=["last_login"], mask=["password", "invitation_nonce"],
              m2m=["groups", "user_permissions"])
        track(Group, m2m=["permissions"])
        track(Team)
