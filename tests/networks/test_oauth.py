"""OAuth 2.0 on the wire: authorization URLs, token request bodies and client auth,
token responses (LinkedIn's comma scopes, X's rotating refresh tokens), errors, revoke."""

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from freezegun import freeze_time

from networks import AuthError, ConfigError, TokenSet, TransientError
from networks.linkedin import LinkedInAdapter
from networks.x import XAdapter

from .conftest import LINKEDIN_SECRET, X_SECRET, linkedin_config, x_config

LI_TOKEN = "https://www.linkedin.com/oauth/v2/accessToken"
X_TOKEN = "https://api.twitter.com/2/oauth2/token"
REDIRECT = "https://chorus.example.com/connect/callback"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def form(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# --------------------------------------------------------------------------- authorize


def test_x_authorization_url_has_pkce_s256_from_a_fresh_verifier(x):
    first = x.authorization_request(redirect_uri=REDIRECT, state="state-1")
    second = x.authorization_request(redirect_uri=REDIRECT, state="state-2")

    params = query(first.url)
    assert first.url.startswith("https://x.com/i/oauth2/authorize?")
    assert params["response_type"] == ["code"]
    assert params["client_id"] == ["x-client-id"]
    assert params["redirect_uri"] == [REDIRECT]
    assert params["scope"] == ["tweet.read tweet.write users.read offline.access"]
    assert params["state"] == ["state-1"] and first.state == "state-1"
    assert params["code_challenge_method"] == ["S256"]
    assert first.code_verifier is not None and 43 <= len(first.code_verifier) <= 128
    assert params["code_challenge"] == [s256(first.code_verifier)]
    assert second.code_verifier != first.code_verifier
    assert query(second.url)["code_challenge"] != params["code_challenge"]


def test_linkedin_authorization_url_has_space_separated_scope_and_no_pkce():
    request = LinkedInAdapter(linkedin_config(analytics_enabled=False)).authorization_request(
        redirect_uri=REDIRECT, state="abc"
    )

    params = query(request.url)
    assert request.url.startswith("https://www.linkedin.com/oauth/v2/authorization?")
    assert params["scope"] == ["openid profile email w_member_social"]
    assert params["response_type"] == ["code"]
    assert params["client_id"] == ["li-client-id"]
    assert params["state"] == ["abc"]
    assert "code_challenge" not in params
    assert request.code_verifier is None


def test_linkedin_asks_for_analytics_only_when_the_app_is_approved(linkedin):
    request = linkedin.authorization_request(redirect_uri=REDIRECT, state="abc")

    assert query(request.url)["scope"] == ["openid profile email w_member_social r_member_postAnalytics"]


def test_missing_app_credentials_are_a_config_error():
    with pytest.raises(ConfigError, match="LINKEDIN_CLIENT_ID"):
        LinkedInAdapter(linkedin_config(client_id="")).authorization_request(redirect_uri=REDIRECT, state="s")
    with pytest.raises(ConfigError):
        LinkedInAdapter(linkedin_config(client_secret="")).exchange_code(code="c", redirect_uri=REDIRECT)


def test_supports_refresh(linkedin, x):
    assert linkedin.supports_refresh is False
    assert x.supports_refresh is True


# --------------------------------------------------------------------------- LinkedIn tokens


@freeze_time(NOW)
def test_linkedin_exchange_sends_secret_in_body_and_normalises_comma_scope(mocked, linkedin):
    mocked.add(
        responses.POST,
        LI_TOKEN,
        json={"access_token": "AQX-member", "expires_in": 5184000, "scope": "email,openid,profile,w_member_social", "token_type": "Bearer", "id_token": "eyJ.x.y"},
    )

    tokens = linkedin.exchange_code(code="the-code", redirect_uri=REDIRECT, code_verifier=None)

    sent = form(mocked.calls[0])
    assert sent == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": REDIRECT,
        "client_id": "li-client-id",
        "client_secret": LINKEDIN_SECRET,
    }
    assert "Authorization" not in mocked.calls[0].request.headers
    assert tokens.access_token == "AQX-member"
    assert set(tokens.scopes) == {"email", "openid", "profile", "w_member_social"}
    assert tokens.expires_at == NOW + timedelta(days=60)
    assert tokens.refresh_token is None and tokens.refresh_expires_at is None


def test_linkedin_narrower_grant_is_recorded_not_an_error(mocked, linkedin):
    mocked.add(responses.POST, LI_TOKEN, json={"access_token": "a", "expires_in": 5184000, "scope": "openid,profile"})

    tokens = linkedin.exchange_code(code="c", redirect_uri=REDIRECT, code_verifier=None)

    assert set(tokens.scopes) == {"openid", "profile"}


@freeze_time(NOW)
def test_linkedin_partner_app_refresh(mocked, linkedin):
    mocked.add(
        responses.POST,
        LI_TOKEN,
        json={"access_token": "new-access", "expires_in": 5184000, "refresh_token": "li-refresh", "refresh_token_expires_in": 31000000, "scope": "openid,profile,w_member_social"},
    )

    tokens = linkedin.refresh(refresh_token="li-refresh")

    assert form(mocked.calls[0]) == {
        "grant_type": "refresh_token",
        "refresh_token": "li-refresh",
        "client_id": "li-client-id",
        "client_secret": LINKEDIN_SECRET,
    }
    assert tokens.access_token == "new-access"
    assert tokens.refresh_expires_at == NOW + timedelta(seconds=31000000)


# --------------------------------------------------------------------------- X tokens


def test_x_exchange_uses_basic_auth_and_sends_the_verifier(mocked, x):
    mocked.add(
        responses.POST,
        X_TOKEN,
        json={"token_type": "bearer", "expires_in": 7200, "access_token": "x-access", "scope": "tweet.read tweet.write users.read offline.access", "refresh_token": "x-refresh-1"},
    )

    tokens = x.exchange_code(code="the-code", redirect_uri=REDIRECT, code_verifier="v" * 50)

    request = mocked.calls[0].request
    expected_basic = base64.b64encode(f"x-client-id:{X_SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected_basic}"
    sent = form(mocked.calls[0])
    assert sent["grant_type"] == "authorization_code"
    assert sent["code"] == "the-code"
    assert sent["code_verifier"] == "v" * 50
    assert sent["redirect_uri"] == REDIRECT
    assert "client_secret" not in sent
    assert tokens.refresh_token == "x-refresh-1"
    assert tokens.scopes == ("tweet.read", "tweet.write", "users.read", "offline.access")


def test_x_public_client_sends_client_id_in_body_without_basic(mocked):
    adapter = XAdapter(x_config(client_secret=""))
    mocked.add(responses.POST, X_TOKEN, json={"access_token": "a", "token_type": "bearer", "expires_in": 7200})

    adapter.exchange_code(code="c", redirect_uri=REDIRECT, code_verifier="v" * 43)

    assert "Authorization" not in mocked.calls[0].request.headers
    assert form(mocked.calls[0])["client_id"] == "x-client-id"


def test_x_exchange_needs_the_verifier(x):
    with pytest.raises(ValueError):
        x.exchange_code(code="c", redirect_uri=REDIRECT, code_verifier=None)


def test_x_refresh_returns_the_rotated_refresh_token(mocked, x):
    mocked.add(
        responses.POST,
        X_TOKEN,
        json={"token_type": "bearer", "expires_in": 7200, "access_token": "x-access-2", "scope": "tweet.read offline.access", "refresh_token": "x-refresh-2"},
    )

    tokens = x.refresh(refresh_token="x-refresh-1")

    assert tokens.refresh_token == "x-refresh-2"
    assert tokens.access_token == "x-access-2"
    sent = form(mocked.calls[0])
    assert (sent["grant_type"], sent["refresh_token"]) == ("refresh_token", "x-refresh-1")
    assert mocked.calls[0].request.headers["Authorization"].startswith("Basic ")


def test_x_refresh_without_a_new_refresh_token_does_not_keep_the_dead_one(mocked, x):
    mocked.add(responses.POST, X_TOKEN, json={"token_type": "bearer", "expires_in": 7200, "access_token": "x-access-2"})

    assert x.refresh(refresh_token="x-refresh-1").refresh_token is None


# --------------------------------------------------------------------------- token errors

TOKEN_ERRORS = [
    (400, {"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"}, AuthError),
    (400, {"error": "invalid_request", "error_description": "Value passed for the authorization code was invalid."}, AuthError),
    (401, {"error": "invalid_client", "error_description": "Client authentication failed"}, ConfigError),
    (400, {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}, ConfigError),
    (400, {"error": "invalid_scope", "error_description": "scope not allowed"}, ConfigError),
    (429, {"error": "too_many_requests"}, TransientError),
    (200, {"error": "invalid_grant", "error_description": "in a 200"}, AuthError),
]


@pytest.mark.parametrize(("status", "body", "error"), TOKEN_ERRORS)
@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_token_endpoint_errors(mocked, linkedin, x, network, status, body, error):
    adapter, url = (linkedin, LI_TOKEN) if network == "linkedin" else (x, X_TOKEN)
    mocked.add(responses.POST, url, status=status, json=body)

    with pytest.raises(error) as caught:
        adapter.exchange_code(code="c", redirect_uri=REDIRECT, code_verifier="v" * 43)

    assert caught.value.code == body["error"]


@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_refresh_invalid_grant_means_reconnect(mocked, linkedin, x, network):
    adapter, url = (linkedin, LI_TOKEN) if network == "linkedin" else (x, X_TOKEN)
    mocked.add(responses.POST, url, status=400, json={"error": "invalid_grant", "error_description": "revoked"})

    with pytest.raises(AuthError, match="reconnect"):
        adapter.refresh(refresh_token="old")


def test_token_endpoint_html_503_and_transport_failures_are_transient(mocked, x):
    mocked.add(responses.POST, X_TOKEN, status=503, body="<html>Over capacity</html>", content_type="text/html")
    with pytest.raises(TransientError):
        x.exchange_code(code="c", redirect_uri=REDIRECT, code_verifier="v" * 43)

    mocked.replace(responses.POST, X_TOKEN, body=requests.exceptions.ConnectTimeout("slow"))
    with pytest.raises(TransientError):
        x.refresh(refresh_token="r")


def test_token_response_without_access_token_is_an_auth_error(mocked, linkedin):
    mocked.add(responses.POST, LI_TOKEN, json={"expires_in": 5184000})

    with pytest.raises(AuthError):
        linkedin.exchange_code(code="c", redirect_uri=REDIRECT)


# --------------------------------------------------------------------------- revoke


def test_linkedin_revoke_posts_client_credentials_and_token(mocked, linkedin):
    mocked.add(responses.POST, "https://www.linkedin.com/oauth/v2/revoke", body="")

    linkedin.revoke(token="member-token")

    assert form(mocked.calls[0]) == {"client_id": "li-client-id", "client_secret": LINKEDIN_SECRET, "token": "member-token"}


def test_x_revoke_revokes_access_and_refresh_tokens(mocked, x):
    mocked.add(responses.POST, "https://api.twitter.com/2/oauth2/revoke", json={"revoked": True})

    x.revoke(token=TokenSet(access_token="acc", refresh_token="ref"))

    sent = [form(call) for call in mocked.calls]
    assert [(s["token"], s["token_type_hint"]) for s in sent] == [("acc", "access_token"), ("ref", "refresh_token")]
    assert mocked.calls[0].request.headers["Authorization"].startswith("Basic ")


def test_revoking_a_dead_token_counts_as_done_but_outages_raise(mocked, x):
    mocked.add(responses.POST, "https://api.twitter.com/2/oauth2/revoke", status=400, json={"error": "invalid_request"})
    x.revoke(token="dead")

    mocked.replace(responses.POST, "https://api.twitter.com/2/oauth2/revoke", status=503, body="down")
    with pytest.raises(TransientError):
        x.revoke(token="alive")


def test_revoke_with_refused_app_credentials_is_a_config_error(mocked, linkedin):
    mocked.add(responses.POST, "https://www.linkedin.com/oauth/v2/revoke", status=401, json={"error": "invalid_client", "error_description": "Client authentication failed"})

    with pytest.raises(ConfigError):
        linkedin.revoke(token="member-token")
