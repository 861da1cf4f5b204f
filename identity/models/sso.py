"""Single sign-on: the one identity provider's settings (OpenID Connect and/or SAML 2.0),
how its claims map to teams and roles, and the SAML message ids already seen.

Secrets (the OIDC client secret, the SAML SP private key) are encrypted at rest
(``core.crypto``) or, better, given in the environment (``chorus/settings/sso.py``), which
wins over what is stored here.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Team
from accounts.roles import ROLES
from core.crypto import EncryptedTextField

SIGNING_ALGORITHMS = [(a, a) for a in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")]


class SsoSettings(models.Model):
    """Single sign-on for the whole programme (a single row, edited in the admin by Admins)."""

    company_name = models.CharField(
        max_length=80, blank=True,
        help_text="Shown on the login page as “Sign in with <company>”. Empty: the site's name.",
    )
    create_users = models.BooleanField(
        "create people on first sign-in", default=True,
        help_text="Someone the identity provider vouches for gets a Chorus account the first time "
                  "they sign in (Advocate, opted in). Off: only people who already have an account.",
    )
    update_on_sign_in = models.BooleanField(
        "update people at every sign-in", default=True,
        help_text="Set name, team, location and the mapped roles from the identity provider at every "
                  "sign-in. Roles no rule maps to are never touched; a superuser's roles never.",
    )
    allowed_email_domains = models.CharField(
        max_length=500, blank=True,
        help_text="Comma-separated, e.g. “example.com, example.co.uk”. Empty: any domain the identity "
                  "provider sends.",
    )
    match_team_names = models.BooleanField(
        default=True,
        help_text="A team claim or attribute that names an existing team (any case) puts the person "
                  "in it even without a mapping rule.",
    )

    # --- OpenID Connect
    oidc_enabled = models.BooleanField("OpenID Connect enabled", default=False)
    oidc_issuer = models.URLField(
        "issuer", blank=True, max_length=500,
        help_text="The provider's issuer URL; Chorus reads <issuer>/.well-known/openid-configuration. "
                  "Entra ID: https://login.microsoftonline.com/<tenant id>/v2.0 · Okta: "
                  "https://<org>.okta.com (or an authorization server's URL) · Keycloak: "
                  "https://<host>/realms/<realm>",
    )
    oidc_client_id = models.CharField("client ID", max_length=255, blank=True)
    oidc_client_secret = EncryptedTextField(
        "client secret", blank=True,
        help_text="Stored encrypted. The SSO_OIDC_CLIENT_SECRET environment variable wins over it.",
    )
    oidc_scopes = models.CharField("scopes", max_length=255, default="openid email profile")
    oidc_signing_algorithm = models.CharField(
        "ID token signing algorithm", max_length=8, choices=SIGNING_ALGORITHMS, default="RS256",
    )
    oidc_email_claim = models.CharField(
        "email claim", max_length=100, default="email",
        help_text="Entra ID without the optional “email” claim: preferred_username.",
    )
    oidc_trust_unverified_email = models.BooleanField(
        "trust emails not marked verified", default=False,
        help_text="Entra ID sends no email_verified claim: tick this for it (its addresses are the "
                  "directory's). Otherwise an email without email_verified=true is refused.",
    )
    oidc_groups_claim = models.CharField(
        "groups claim", max_length=100, default="groups", blank=True,
        help_text="A list of group names or ids (Entra ID: group object ids, or “roles” for app roles).",
    )
    oidc_team_claim = models.CharField("team claim", max_length=100, blank=True,
                                       help_text="e.g. department")
    oidc_location_claim = models.CharField("location claim", max_length=100, blank=True,
                                           help_text="e.g. locality, or office_location")

    # --- SAML 2.0
    saml_enabled = models.BooleanField("SAML enabled", default=False)
    saml_idp_metadata_url = models.URLField(
        "IdP metadata URL", blank=True, max_length=500,
        help_text="Read at each sign-in. Entra ID: App Federation Metadata Url · Okta: Metadata URL · "
                  "Keycloak: https://<host>/realms/<realm>/protocol/saml/descriptor",
    )
    saml_idp_metadata_xml = models.TextField(
        "IdP metadata XML", blank=True, help_text="Or paste the metadata here (used when there is no URL).",
    )
    saml_sp_entity_id = models.CharField(
        "SP entity ID", max_length=255, blank=True,
        help_text="Chorus's identifier at the IdP. Empty: the metadata URL shown above.",
    )
    saml_sp_certificate = models.TextField(
        "SP certificate (PEM)", blank=True,
        help_text="Public. With its private key, Chorus signs its requests and can decrypt encrypted "
                  "assertions. Leave both empty if the IdP needs neither.",
    )
    saml_sp_private_key = EncryptedTextField(
        "SP private key (PEM)", blank=True,
        help_text="Stored encrypted. SSO_SAML_SP_PRIVATE_KEY (or _FILE) in the environment wins over it.",
    )
    saml_allow_idp_initiated = models.BooleanField(
        "allow IdP-initiated sign-in", default=True,
        help_text="Accept assertions that answer no request of Chorus (the person clicked the Chorus "
                  "tile in the IdP's portal).",
    )
    saml_email_attribute = models.CharField(
        "email attribute", max_length=255, blank=True,
        default="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        help_text="Empty: the NameID (its format must then be an email address).",
    )
    saml_name_attribute = models.CharField(
        "name attribute", max_length=255, blank=True,
        default="http://schemas.microsoft.com/identity/claims/displayname",
    )
    saml_groups_attribute = models.CharField(
        "groups attribute", max_length=255, blank=True,
        default="http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    )
    saml_team_attribute = models.CharField("team attribute", max_length=255, blank=True,
                                           help_text="e.g. department")
    saml_location_attribute = models.CharField("location attribute", max_length=255, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "single sign-on settings"
        verbose_name_plural = "single sign-on settings"

    def __str__(self) -> str:
        return "Single sign-on settings"

    @classmethod
    def load(cls) -> "SsoSettings":
        """The row, created if missing (the admin's page)."""
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj

    @classmethod
    def current(cls) -> "SsoSettings":
        """The row, or the defaults (nothing enabled) without writing: for every public page."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def email_domains(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.allowed_email_domains.split(",") if d.strip()]

    def clean(self) -> None:
        super().clean()
        problems: dict[str, str] = {}
        if self.oidc_enabled:
            for name in ("oidc_issuer", "oidc_client_id"):
                if not getattr(self, name):
                    problems[name] = "Needed for OpenID Connect."
            if "openid" not in self.oidc_scopes.split():
                problems["oidc_scopes"] = "The scopes must include “openid”."
        if self.saml_enabled and not (self.saml_idp_metadata_url or self.saml_idp_metadata_xml.strip()):
            problems["saml_idp_metadata_url"] = "Give the IdP's metadata URL or paste its metadata XML."
        has_key = bool(self.saml_sp_private_key.strip() or settings.SSO_SAML_SP_PRIVATE_KEY)
        if bool(self.saml_sp_certificate.strip()) != has_key:
            problems["saml_sp_certificate"] = "Give both the certificate and its private key, or neither."
        if problems:
            raise ValidationError(problems)


class MappingSource(models.TextChoices):
    GROUP = "group", "a group (groups claim or attribute)"
    TEAM = "team", "the team claim or attribute"


class SsoMappingRule(models.Model):
    """“When the identity provider says <value> → this team and/or this role.”

    The Admin role is given only by a rule that names it. A role that some rule maps to
    is granted while the person is in a matching group and taken away when they are not
    (with “update people at every sign-in”); roles no rule names are left alone.
    """

    settings = models.ForeignKey(SsoSettings, on_delete=models.CASCADE, related_name="rules")
    source = models.CharField(max_length=10, choices=MappingSource.choices, default=MappingSource.GROUP)
    value = models.CharField(
        max_length=255, help_text="Exact value (any case), e.g. “chorus-curators” or an Entra group object id.",
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, blank=True, choices=[(r, r) for r in ROLES])
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower first: the first team match wins.")

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "mapping rule"

    def __str__(self) -> str:
        targets = " and ".join(t for t in (self.team and f"team {self.team}", self.role and f"role {self.role}") if t)
        return f"{self.get_source_display()} “{self.value}” → {targets or 'nothing'}"

    def clean(self) -> None:
        super().clean()
        if not self.team_id and not self.role:
            raise ValidationError("Choose a team, a role or both.")


class SamlMessageKind(models.TextChoices):
    REQUEST = "request", "AuthnRequest sent"
    ASSERTION = "assertion", "assertion consumed"


class SamlMessage(models.Model):
    """SAML ids Chorus has to remember across processes: the AuthnRequests it sent (a response
    must answer one, unless IdP-initiated sign-in is allowed) and the assertions it has
    consumed (each signs in once: a replayed one is refused until it expires)."""

    kind = models.CharField(max_length=10, choices=SamlMessageKind.choices)
    message_id = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "message_id"], name="identity_saml_message_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"
