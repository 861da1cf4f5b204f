"""Admin for single sign-on: one settings page (Admins only, by model permission) with the
mapping rules inline, the URLs to give the identity provider, and write-only secrets."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from identity.models import SsoMappingRule, SsoSettings
from identity.sso import oidc, outbound, sp
from identity.sso.errors import SsoRefused


def generate_sp_key_pair(common_name: str, *, days: int = 3650) -> tuple[str, str]:
    """A new RSA 2048 key and a self-signed certificate for it (PEM): SAML SPs need no CA."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "chorus")])
    now = datetime.now(tz=UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


class SsoSettingsForm(forms.ModelForm):
    """Secrets are never shown again: an empty box keeps the stored one."""

    oidc_client_secret = forms.CharField(
        label="Client secret", required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown again; leave empty to keep the current one. "
                  "SSO_OIDC_CLIENT_SECRET in the environment wins over it.",
    )
    clear_oidc_client_secret = forms.BooleanField(label="Remove the stored client secret", required=False)
    saml_sp_private_key = forms.CharField(
        label="SP private key (PEM)", required=False, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="Stored encrypted and never shown again; leave empty to keep the current one. "
                  "SSO_SAML_SP_PRIVATE_KEY (or _FILE) in the environment wins over it.",
    )
    generate_sp_key_pair = forms.BooleanField(
        label="Generate a new SP key pair", required=False,
        help_text="Replaces the SP certificate and private key (then give the IdP the new metadata).",
    )

    class Meta:
        model = SsoSettings
        fields = [f.name for f in SsoSettings._meta.concrete_fields if f.editable and not f.primary_key]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial["oidc_client_secret"] = self.initial["saml_sp_private_key"] = ""

    # The URLs Chorus fetches from: refused now if they point at a private or internal address
    # (the SSRF policy; every fetch checks the address it connects to again).
    def clean_oidc_issuer(self) -> str:
        return self._fetchable(self.cleaned_data["oidc_issuer"], "your identity provider's configuration")

    def clean_saml_idp_metadata_url(self) -> str:
        return self._fetchable(self.cleaned_data["saml_idp_metadata_url"], "your identity provider's metadata")

    @staticmethod
    def _fetchable(url: str, what: str) -> str:
        problem = outbound.url_problem(url.strip(), what=what)
        if problem:
            raise forms.ValidationError(problem)
        return url

    def clean(self):
        data = super().clean()
        instance = self.instance
        for field in ("oidc_client_secret", "saml_sp_private_key"):
            if not data.get(field):
                data[field] = "" if data.get(f"clear_{field}") else getattr(instance, field, "")
        if data.get("generate_sp_key_pair"):
            host = urlsplit(settings.SITE_URL).hostname or "chorus"
            data["saml_sp_certificate"], data["saml_sp_private_key"] = generate_sp_key_pair(host)
        for field in ("oidc_client_secret", "saml_sp_private_key", "saml_sp_certificate"):
            setattr(instance, field, data.get(field, ""))
        return data


class SsoMappingRuleInline(admin.TabularInline):
    model = SsoMappingRule
    extra = 1
    fields = ("position", "source", "value", "team", "role")


@admin.register(SsoSettings)
class SsoSettingsAdmin(admin.ModelAdmin):
    form = SsoSettingsForm
    inlines = [SsoMappingRuleInline]
    readonly_fields = ("urls_for_the_identity_provider", "secrets_in_use")
    fieldsets = (
        (None, {"fields": ("company_name", "urls_for_the_identity_provider", "secrets_in_use")}),
        ("People", {"fields": ("create_users", "update_on_sign_in", "allowed_email_domains", "match_team_names")}),
        ("OpenID Connect", {"fields": (
            "oidc_enabled", "oidc_issuer", "oidc_client_id", "oidc_client_secret", "clear_oidc_client_secret",
            "oidc_scopes", "oidc_signing_algorithm", "oidc_email_claim", "oidc_trust_unverified_email",
            "oidc_groups_claim", "oidc_team_claim", "oidc_location_claim",
        )}),
        ("SAML 2.0", {"fields": (
            "saml_enabled", "saml_idp_metadata_url", "saml_idp_metadata_xml", "saml_sp_entity_id",
            "saml_sp_certificate", "saml_sp_private_key", "generate_sp_key_pair", "saml_allow_idp_initiated",
            "saml_email_attribute", "saml_name_attribute", "saml_groups_attribute", "saml_team_attribute",
            "saml_location_attribute",
        )}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SsoSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)  # the admin's own 403
        obj = SsoSettings.load()
        return HttpResponseRedirect(reverse("admin:identity_ssosettings_change", args=[obj.pk]))

    @admin.display(description="Give your identity provider")
    def urls_for_the_identity_provider(self, obj: SsoSettings) -> str:
        rows = [
            ("OpenID Connect redirect URI", settings.SITE_URL + reverse("sso_oidc_callback")),
            ("OpenID Connect sign-in (initiate login) URI", settings.SITE_URL + reverse("sso_oidc_login")),
            ("SAML SP metadata URL", sp.sp_urls()["metadata"]),
            ("SAML entity ID (identifier)", sp.sp_entity_id(obj)),
            ("SAML ACS (reply) URL", sp.sp_urls()["acs"]),
            ("SAML sign-on URL (SP-initiated)", sp.sp_urls()["login"]),
        ]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd><code>{}</code></dd>", rows))

    @admin.display(description="Secrets")
    def secrets_in_use(self, obj: SsoSettings) -> str:
        def where(env_value: str, stored: str, env_name: str) -> str:
            if env_value:
                return f"from {env_name}"
            return "stored (encrypted)" if stored else "none"

        return format_html(
            "OIDC client secret: {} · SAML SP private key: {}",
            where(settings.SSO_OIDC_CLIENT_SECRET, obj.oidc_client_secret, "SSO_OIDC_CLIENT_SECRET"),
            where(settings.SSO_SAML_SP_PRIVATE_KEY, obj.saml_sp_private_key, "SSO_SAML_SP_PRIVATE_KEY"),
        )

    def save_model(self, request: HttpRequest, obj: SsoSettings, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Check the provider now rather than at the first employee's sign-in.
        checks = []
        if obj.oidc_enabled:
            checks.append(("OpenID Connect", lambda: oidc.oidc_config(obj)))
        if obj.saml_enabled:
            # Imported here, not at the top: pysaml2 takes ~1.5 s to load, and every process
            # loads the admin at start (see identity.sso.sp).
            from identity.sso import saml

            checks.append(("SAML", lambda: saml.saml_check(obj)))
        for name, check in checks:
            try:
                check()
            except SsoRefused as exc:
                messages.warning(request, f"Saved, but {name} is not working yet: {exc}")
