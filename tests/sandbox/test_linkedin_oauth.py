"""LinkedIn OAuth and identity over real HTTP: the consent page, tokens, userinfo."""

import base64
import json

import pytest
import requests

from sandbox import SandboxServer

from .helpers import (
    LI_ID,
    LI_SCOPES,
    LI_SECRET,
    REDIRECT,
    TIMEOUT,
    consent,
    linkedin_connect,
    linkedin_session,
    parse_form,
    query_of,
)


def _authorize_page(sandbox: SandboxServer, follow: bool = True, **params: str) -> requests.Response:
    query = {"response_type": "code", "client_id": LI_ID, "redirect_uri": REDIRECT, "state": "st-1",
             "scope": " ".join(LI_SCOPES), **params}
    return requests.get(f"{sandbox.url}/linkedin/oauth/v2/authorization", params=query, timeout=TIMEOUT,
                        allow_redirects=follow)


def _code(sandbox: SandboxServer, **fields: str) -> str:
    return query_of(consent(_authorize_page(sandbox), **fields).headers["Location"])["code"]


def _exchange(sandbox: SandboxServer, code: str, **overrides: str) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": LI_ID, "client_secret": LI_SECRET, **overrides}
    return requests.post(f"{sandbox.url}/linkedin/oauth/v2/accessToken", data=data, timeout=TIMEOUT)


def test_consent_page_shows_app_scopes_members_and_both_buttons(sandbox: SandboxServer) -> None:
    page = _authorize_page(sandbox)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "Chorus (sandbox)" in page.text
    assert "w_member_social" in page.text and "Create, modify, and delete posts" in page.text
    form = parse_form(page.text)
    assert set(form.buttons) == {"allow", "cancel"}
    assert "Emma Employee" in form.radios and "name" in form.fields
    assert form.fields["state"] == "st-1"


@pytest.mark.parametrize(
    "params",
    [{"client_id": "someone-else"}, {"redirect_uri": ""}, {"response_type": "token"}],
)
def test_invalid_authorize_requests_get_an_error_page(sandbox: SandboxServer, params: dict[str, str]) -> None:
    page = _authorize_page(sandbox, **params)
    assert page.status_code == 400 and "Something went wrong" in page.text


def test_unapproved_scope_redirects_with_unauthorized_scope_error(sandbox: SandboxServer) -> None:
    response = _authorize_page(sandbox, follow=False, scope="openid r_ads")
    assert response.status_code == 302
    query = query_of(response.headers["Location"])
    assert query["error"] == "unauthorized_scope_error" and query["state"] == "st-1"


def test_cancel_redirects_with_user_cancelled_authorize_and_state(sandbox: SandboxServer) -> None:
    location = consent(_authorize_page(sandbox), "cancel").headers["Location"]
    assert location.startswith(REDIRECT)
    query = query_of(location)
    assert query["error"] == "user_cancelled_authorize" and query["state"] == "st-1" and query["error_description"]


def test_token_has_comma_scope_id_token_and_no_refresh_token(sandbox: SandboxServer) -> None:
    response = _exchange(sandbox, _code(sandbox, member="Liam Carter"))
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "email,openid,profile,w_member_social"
    assert body["expires_in"] == 5184000
    assert "refresh_token" not in body
    header, payload, signature = body["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert claims["aud"] == LI_ID and claims["name"] == "Liam Carter" and signature


def test_requests_oauthlib_sees_a_scope_change_unless_the_scope_is_normalised(sandbox: SandboxServer) -> None:
    session = linkedin_session(hook=False)
    url, _ = session.authorization_url(f"{sandbox.url}/linkedin/oauth/v2/authorization")
    callback = consent(requests.get(url, timeout=TIMEOUT)).headers["Location"]
    with pytest.raises(Warning, match="Scope has changed"):
        session.fetch_token(f"{sandbox.url}/linkedin/oauth/v2/accessToken", authorization_response=callback,
                            client_secret=LI_SECRET, include_client_id=True, timeout=TIMEOUT)
    token = linkedin_connect(sandbox)  # with the compliance hook
    assert token["scope"] == sorted(LI_SCOPES)


def test_http_basic_only_is_refused_with_invalid_client(sandbox: SandboxServer) -> None:
    data = {"grant_type": "authorization_code", "code": _code(sandbox), "redirect_uri": REDIRECT}
    response = requests.post(f"{sandbox.url}/linkedin/oauth/v2/accessToken", data=data,
                             auth=(LI_ID, LI_SECRET), timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert _exchange(sandbox, _code(sandbox), client_secret="wrong").status_code == 401


def test_code_is_single_use_bound_to_redirect_uri_and_expires(sandbox: SandboxServer) -> None:
    code = _code(sandbox)
    assert _exchange(sandbox, code, redirect_uri="http://evil.example/cb").status_code == 400
    assert _exchange(sandbox, code).status_code == 200
    reused = _exchange(sandbox, code)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_request"
    late = _code(sandbox)
    sandbox.clock.advance(61)
    assert _exchange(sandbox, late).status_code == 400


def test_refresh_only_for_partner_apps(sandbox: SandboxServer, make_sandbox) -> None:
    refused = requests.post(f"{sandbox.url}/linkedin/oauth/v2/accessToken", timeout=TIMEOUT, data={
        "grant_type": "refresh_token", "refresh_token": "x", "client_id": LI_ID, "client_secret": LI_SECRET})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"

    partner = make_sandbox(linkedin_partner_app=True)
    first = _exchange(partner, _code(partner)).json()
    assert first["refresh_token_expires_in"] == 31536000
    partner.clock.advance(86400)
    again = requests.post(f"{partner.url}/linkedin/oauth/v2/accessToken", timeout=TIMEOUT, data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
        "client_id": LI_ID, "client_secret": LI_SECRET}).json()
    assert again["access_token"] != first["access_token"]
    assert again["refresh_token_expires_in"] == 31536000 - 86400  # not extended by refreshing


def test_userinfo_has_locale_object_like_the_recording(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox, member="Sofia Rossi")["access_token"]
    info = requests.get(f"{sandbox.url}/linkedin/v2/userinfo", headers={"Authorization": f"Bearer {token}"},
                        timeout=TIMEOUT).json()
    assert set(info) == {"sub", "email_verified", "name", "locale", "given_name", "family_name", "email", "picture"}
    assert info["locale"] == {"country": "US", "language": "en"}
    assert (info["given_name"], info["family_name"], info["email_verified"]) == ("Sofia", "Rossi", True)
    assert requests.get(info["picture"], timeout=TIMEOUT).headers["Content-Type"] == "image/svg+xml"


def test_connect_as_a_typed_name_gives_a_stable_member(sandbox: SandboxServer) -> None:
    first = _exchange(sandbox, _code(sandbox, name="Zoë Quinn", email="zoe@example.org")).json()
    second = _exchange(sandbox, _code(sandbox, name="Zoë Quinn")).json()
    subs = []
    for token in (first, second):
        info = requests.get(f"{sandbox.url}/linkedin/v2/userinfo", timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {token['access_token']}"}).json()
        subs.append(info["sub"])
        assert info["name"] == "Zoë Quinn" and info["email"] == "zoe@example.org"
    assert subs[0] == subs[1]


def test_userinfo_401_bodies_match_the_recordings(sandbox: SandboxServer) -> None:
    bad = requests.get(f"{sandbox.url}/linkedin/v2/userinfo", headers={"Authorization": "Bearer nope"}, timeout=TIMEOUT)
    assert bad.status_code == 401
    assert bad.json() == {"status": 401, "serviceErrorCode": 65600, "message": "Invalid access token"}


def test_introspect_and_revoke(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    creds = {"client_id": LI_ID, "client_secret": LI_SECRET, "token": token}
    active = requests.post(f"{sandbox.url}/linkedin/oauth/v2/introspectToken", data=creds, timeout=TIMEOUT).json()
    assert active["active"] is True and active["scope"] == "email,openid,profile,w_member_social"
    assert requests.post(f"{sandbox.url}/linkedin/oauth/v2/revoke", data=creds, timeout=TIMEOUT).status_code == 200
    revoked = requests.post(f"{sandbox.url}/linkedin/oauth/v2/introspectToken", data=creds, timeout=TIMEOUT).json()
    assert revoked == {"active": False, "status": "revoked"}
