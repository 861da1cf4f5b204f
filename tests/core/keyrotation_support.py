"""Encrypted values of every kind, for the key rotation tests (core and the command)."""

from dataclasses import dataclass

from cryptography.fernet import Fernet
from django.db import connection
from django.db.models import Model

from identity.models import SsoSettings
from notifications.models import PushSubscription, TeamSlackWebhook, TeamsWebhook
from tests.factories import SocialAccountFactory, TeamFactory, UserFactory
from webhooks.models import WebhookEndpoint


@dataclass(frozen=True)
class Seeded:
    model: type[Model]
    pk: int
    field: str
    plaintext: str

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    def raw(self) -> str:
        """What the database holds (the ciphertext)."""
        column = self.model._meta.get_field(self.field).column
        table, pk = self.model._meta.db_table, self.model._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} WHERE {pk} = %s", [self.pk])  # noqa: S608
            return cursor.fetchone()[0]

    def loaded(self) -> str:
        """The value the model reads back (decrypted with the configured keys)."""
        return getattr(self.model._base_manager.get(pk=self.pk), self.field)

# Not a key: a plain stand-in for the SAML signing key's field (no PEM armour, so nothing
# in the repository looks like a committed private key).
SP_KEY_STAND_IN = "saml-sp-signing-key-stand-in"


def seed_every_kind() -> list[Seeded]:
    """One non-empty value (two for the social tokens) in every encrypted field there is,
    encrypted with whatever TOKEN_ENCRYPTION_KEYS is set to now."""
    seeded: list[Seeded] = []
    for n in (1, 2):
        account = SocialAccountFactory(access_token=f"access-secret-{n}", refresh_token=f"refresh-secret-{n}")
        seeded += [Seeded(type(account), account.pk, "access_token", f"access-secret-{n}"),
                   Seeded(type(account), account.pk, "refresh_token", f"refresh-secret-{n}")]
    sso = SsoSettings.objects.create(oidc_client_secret="oidc-client-secret",
                                     saml_sp_private_key=SP_KEY_STAND_IN)
    seeded += [Seeded(SsoSettings, sso.pk, "oidc_client_secret", "oidc-client-secret"),
               Seeded(SsoSettings, sso.pk, "saml_sp_private_key", SP_KEY_STAND_IN)]
    slack_url = "https://hooks.slack.com/services/T0001/B0001/slack-secret-part"
    slack = TeamSlackWebhook.objects.create(team=TeamFactory(), url=slack_url)
    seeded.append(Seeded(TeamSlackWebhook, slack.pk, "url", slack_url))
    teams_url = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=teams-secret"
    teams = TeamsWebhook.objects.create(team=TeamFactory(), url=teams_url)
    seeded.append(Seeded(TeamsWebhook, teams.pk, "url", teams_url))
    push = PushSubscription.objects.create(user=UserFactory(), endpoint="https://fcm.googleapis.com/fcm/send/seeded",
                                           p256dh="BPublicKeyNotSecret", auth="push-auth-secret")
    seeded.append(Seeded(PushSubscription, push.pk, "auth", "push-auth-secret"))
    endpoint = WebhookEndpoint.objects.create(url="https://receiver.example.com/hook", events=["share.posted"],
                                              secret="whsec_current-secret", previous_secret="whsec_previous-secret")
    seeded += [Seeded(WebhookEndpoint, endpoint.pk, "secret", "whsec_current-secret"),
               Seeded(WebhookEndpoint, endpoint.pk, "previous_secret", "whsec_previous-secret")]
    return seeded


def new_key() -> str:
    return Fernet.generate_key().decode()
