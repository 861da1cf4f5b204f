"""Helpers for the single sign-on tests: the OpenID Provider configured in Chorus, and a
sign-in that follows every redirect (Django's test client for Chorus, requests for the provider)."""

from urllib.parse import urlencode

import requests

from identity.models import SsoSettings
from tests.identity.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider


def configure_oidc(provider: OidcProvider, **extra) -> SsoSettings:
    row = SsoSettings.load()
    row.company_name = "Acme"
    row.oidc_enabled = True
    row.oidc_issuer = provider.issuer
    row.oidc_client_id = CLIENT_ID
    row.oidc_client_secret = CLIENT_SECRET
    row.oidc_scopes = "openid email profile"
    row.oidc_groups_claim = "groups"
    row.oidc_team_claim = "department"
    row.oidc_location_claim = "locality"
    for name, value in extra.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


def oidc_sign_in(client, provider: OidcProvider, *, next_url: str = "/shares/", server: str = "http://testserver"):
    """Start at Chorus, approve at the provider, come back: Chorus's answer to the callback."""
    start = client.get("/sso/oidc/login/?" + urlencode({"next": next_url}))
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(provider.issuer + "/authorize?"), start["Location"]
    approved = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert approved.status_code == 302, approved.text
    callback = approved.headers["Location"]
    assert callback.startswith(server + "/sso/oidc/callback/?"), callback
    return client.get(callback.removeprefix(server))


def page_text(response) -> str:
    return response.content.decode()
