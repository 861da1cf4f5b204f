"""X OAuth 2.0 with PKCE over real HTTP: consent, code rules, Basic auth, refresh rotation."""

import pytest
import requests
from oauthlib.oauth2 import OAuth2Error

from sandbox import SandboxServer

from .helpers import (
    REDIRECT,
    TIMEOUT,
    X_ID,
    X_SECRET,
    consent,
    parse_form,
    query_of,
    x_authorize,
    x_connect,
    x_session,
)

TOKEN_PATH = "/x/2/oauth2/token"


def _refresh(sandbox: SandboxServer, refresh_token: str, auth: tuple[str, str] | None = (X_ID, X_SECRET)) -> requests.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if auth is None:
        data["client_id"] = X_ID
    return requests.post(sandbox.url + TOKEN_PATH, data=data, auth=auth, timeout=TIMEOUT)


def test_consent_page_and_pkce_flow_to_users_me(sandbox: SandboxServer) -> None:
    session = x_session()
    url, state = session.authorization_url(f"{sandbox.url}/x/i/oauth2/authorize")
    page = requests.get(url, timeout=TIMEOUT)
    assert page.status_code == 200 and "Chorus (sandbox)" in page.text and "Post and repost for you" in page.text
    form = parse_form(page.text)
    assert set(form.buttons) == {"allow", "cancel"} and form.fields["code_challenge_method"] == "S256"
    callback = consent(page, member="Priya Nair").headers["Location"]
    assert query_of(callback)["state"] == state
    token = session.fetch_token(sandbox.url + TOKEN_PATH, authorization_response=callback, client_secret=X_SECRET,
                                timeout=TIMEOUT)
    assert token["token_type"] == "bearer" and token["expires_in"] == 7200
    assert token["scope"] == ["tweet.read", "tweet.write", "users.read", "offline.access"]
    assert token["refresh_token"]
    me = requests.get(f"{sandbox.url}/x/2/users/me", params={"user.fields": "public_metrics"},
                      headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=TIMEOUT)
    assert me.status_code == 200
    data = me.json()["data"]
    assert data["name"] == "Priya Nair" and data["username"] == "PriyaNair" and data["id"].isdigit()
    assert set(data["public_metrics"]) == {"followers_count", "following_count", "tweet_count", "listed_count"}
    assert me.headers["x-rate-limit-limit"] == "75" and me.headers["x-rate-limit-remaining"] == "74"


def test_no_refresh_token_without_offline_access(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox, scopes=["tweet.read", "tweet.write", "users.read"])
    assert "refresh_token" not in token


@pytest.mark.parametrize(
    "change",
    [{"code_challenge_method": "plain"}, {"code_challenge": ""}, {"state": ""}, {"client_id": "other"}, {"scope": "bogus"}],
)
def test_authorize_validation(sandbox: SandboxServer, change: dict[str, str]) -> None:
    params = {"response_type": "code", "client_id": X_ID, "redirect_uri": REDIRECT, "scope": "tweet.read users.read",
              "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}
    page = requests.get(f"{sandbox.url}/x/i/oauth2/authorize", params={**params, **change}, timeout=TIMEOUT)
    assert page.status_code == 400 and "weren’t able to give access" in page.text


def test_registered_redirect_uri_must_match_exactly(make_sandbox) -> None:
    sandbox = make_sandbox(x_redirect_uris=(REDIRECT,))
    session = x_session()
    session.redirect_uri = REDIRECT + "/"
    url, _ = session.authorization_url(f"{sandbox.url}/x/i/oauth2/authorize")
    assert requests.get(url, timeout=TIMEOUT).status_code == 400


def test_cancel_redirects_with_access_denied(sandbox: SandboxServer) -> None:
    url, state = x_session().authorization_url(f"{sandbox.url}/x/i/oauth2/authorize")
    query = query_of(consent(requests.get(url, timeout=TIMEOUT), "cancel").headers["Location"])
    assert query == {"error": "access_denied", "state": state}


def test_mismatched_verifier_is_rejected(sandbox: SandboxServer) -> None:
    session = x_session()
    callback = x_authorize(sandbox, session)
    response = requests.post(sandbox.url + TOKEN_PATH, auth=(X_ID, X_SECRET), timeout=TIMEOUT, data={
        "grant_type": "authorization_code", "code": query_of(callback)["code"], "redirect_uri": REDIRECT,
        "code_verifier": "x" * 64})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request",
                               "error_description": "Value passed for the authorization code was invalid."}


def test_code_expires_after_30_seconds(sandbox: SandboxServer) -> None:
    session = x_session()
    callback = x_authorize(sandbox, session)
    sandbox.clock.advance(31)
    with pytest.raises(OAuth2Error) as caught:
        session.fetch_token(sandbox.url + TOKEN_PATH, authorization_response=callback, client_secret=X_SECRET,
                            timeout=TIMEOUT)
    assert caught.value.error == "invalid_request"


def test_code_is_single_use(sandbox: SandboxServer) -> None:
    session = x_session()
    callback = x_authorize(sandbox, session)
    sandbox.clock.advance(29)
    session.fetch_token(sandbox.url + TOKEN_PATH, authorization_response=callback, client_secret=X_SECRET, timeout=TIMEOUT)
    with pytest.raises(OAuth2Error) as caught:
        session.fetch_token(sandbox.url + TOKEN_PATH, authorization_response=callback, client_secret=X_SECRET,
                            timeout=TIMEOUT)
    assert caught.value.error == "invalid_request"


def test_confidential_client_needs_basic_auth(sandbox: SandboxServer) -> None:
    session = x_session()
    callback = x_authorize(sandbox, session)
    with pytest.raises(OAuth2Error) as caught:
        session.fetch_token(sandbox.url + TOKEN_PATH, authorization_response=callback, client_secret=X_SECRET,
                            include_client_id=True, timeout=TIMEOUT)  # credentials in the body, no Basic
    assert caught.value.error == "unauthorized_client"


def test_public_client_mode_takes_client_id_in_body(make_sandbox) -> None:
    sandbox = make_sandbox(x_public_client=True)
    session = x_session()
    callback = x_authorize(sandbox, session)
    token = session.fetch_token(sandbox.url + TOKEN_PATH, authorization_response=callback, include_client_id=True,
                                timeout=TIMEOUT)
    assert token["access_token"]
    assert _refresh(sandbox, token["refresh_token"], auth=None).status_code == 200


def test_refresh_rotates_and_the_old_refresh_token_dies(sandbox: SandboxServer) -> None:
    first = x_connect(sandbox)
    rotated = _refresh(sandbox, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    reused = _refresh(sandbox, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_request"
    assert _refresh(sandbox, second["refresh_token"]).status_code == 200


def test_refresh_without_basic_auth_is_unauthorized_client(sandbox: SandboxServer) -> None:
    first = x_connect(sandbox)
    refused = _refresh(sandbox, first["refresh_token"], auth=None)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized_client"
    assert _refresh(sandbox, first["refresh_token"]).status_code == 200  # still alive: nothing rotated


def test_access_token_expires_and_revoke_works(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)
    me = f"{sandbox.url}/x/2/users/me"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    sandbox.clock.advance(7201)
    expired = requests.get(me, headers=headers, timeout=TIMEOUT)
    assert expired.status_code == 401 and expired.json()["title"] == "Unauthorized"
    fresh = _refresh(sandbox, token["refresh_token"]).json()
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert requests.get(me, headers=headers, timeout=TIMEOUT).status_code == 200
    revoked = requests.post(f"{sandbox.url}/x/2/oauth2/revoke", data={"token": fresh["access_token"]},
                            auth=(X_ID, X_SECRET), timeout=TIMEOUT)
    assert revoked.json() == {"revoked": True}
    assert requests.get(me, headers=headers, timeout=TIMEOUT).status_code == 401
