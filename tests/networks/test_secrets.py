"""Tokens and secrets never reach exception messages, reprs or log records — not even with
DEBUG logging on (requests-oauthlib logs whole token responses at DEBUG)."""

import base64
import json
import logging

import pytest
import requests
import responses

from networks import (
    AuthorizationRequest,
    NetworkError,
    PostRequest,
    TokenSet,
)
from networks.wire import redact

from .conftest import APP_BEARER, LINKEDIN_SECRET, X_SECRET, linkedin_config

ACCESS = "AQV-access-token-9f8e7d6c"
REFRESH = "AQX-refresh-token-1a2b3c4d"
NEW_REFRESH = "rotated-refresh-token-5e6f7a8b"
VERIFIER = "pkce-verifier-" + "v" * 40
CODE = "authorization-code-77aa"
SECRETS = [ACCESS, REFRESH, NEW_REFRESH, VERIFIER, CODE, LINKEDIN_SECRET, X_SECRET, APP_BEARER]

LI_TOKEN = "https://www.linkedin.com/oauth/v2/accessToken"
X_TOKEN = "https://api.twitter.com/2/oauth2/token"
REDIRECT = "https://chorus.example.com/cb"


def leaks(*texts: object) -> list[str]:
    return [secret for secret in SECRETS for text in texts if secret in str(text)]


def record_texts(caplog) -> list[str]:
    texts = []
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info:
            texts.append(logging.Formatter().formatException(record.exc_info))
    return texts


def error_texts(error: NetworkError) -> list[str]:
    return [str(error), repr(error), error.provider_message, str(error.args)]


@pytest.fixture(autouse=True)
def debug_everything(caplog):
    caplog.set_level(logging.DEBUG)
    yield
    assert leaks(*record_texts(caplog)) == []


def test_successful_oauth_flows_log_no_tokens(mocked, linkedin, x, caplog):
    mocked.add(
        responses.POST,
        LI_TOKEN,
        json={"access_token": ACCESS, "expires_in": 5184000, "refresh_token": REFRESH, "refresh_token_expires_in": 3e7, "scope": "openid,profile"},
    )
    mocked.add(responses.POST, X_TOKEN, json={"access_token": ACCESS, "token_type": "bearer", "expires_in": 7200, "refresh_token": NEW_REFRESH})

    tokens = linkedin.exchange_code(code=CODE, redirect_uri=REDIRECT)
    linkedin.refresh(refresh_token=REFRESH)
    x.exchange_code(code=CODE, redirect_uri=REDIRECT, code_verifier=VERIFIER)
    x.refresh(refresh_token=REFRESH)

    assert leaks(repr(tokens)) == []
    assert not any(r.name.startswith("requests_oauthlib") and r.levelno == logging.DEBUG for r in caplog.records)


def echo_request(error: str, status: int):
    """A token endpoint that quotes the whole request back, the worst a provider could do."""

    def callback(request: requests.PreparedRequest):
        basic = request.headers.get("Authorization", "")
        decoded = base64.b64decode(basic.split()[-1]).decode() if basic.startswith("Basic ") else ""
        return status, {}, json.dumps({"error": error, "error_description": f"{request.body} {basic} {decoded}"})

    return callback


def test_token_endpoint_errors_echoing_what_they_were_sent_are_redacted(mocked, linkedin, x):
    mocked.add_callback(responses.POST, LI_TOKEN, callback=echo_request("invalid_client", 401))
    mocked.add_callback(responses.POST, X_TOKEN, callback=echo_request("invalid_request", 400))

    for call in (
        lambda: linkedin.exchange_code(code=CODE, redirect_uri=REDIRECT),
        lambda: linkedin.refresh(refresh_token=REFRESH),
        lambda: x.exchange_code(code=CODE, redirect_uri=REDIRECT, code_verifier=VERIFIER),
        lambda: x.refresh(refresh_token=REFRESH),
    ):
        with pytest.raises(NetworkError) as caught:
            call()
        assert caught.value.provider_message  # the echo arrived, redacted
        assert leaks(*error_texts(caught.value)) == []
        assert caught.value.__cause__ is None


def test_api_errors_echoing_the_token_are_redacted(mocked, linkedin, x):
    mocked.add(responses.GET, "https://api.linkedin.com/v2/userinfo", status=401, json={"serviceErrorCode": 65600, "message": f"Invalid access token {ACCESS}", "status": 401})
    mocked.add(responses.POST, "https://api.twitter.com/2/tweets", status=403, body=f"<html>Forbidden for Authorization: Bearer {ACCESS}</html>", content_type="text/html")
    mocked.add(responses.GET, "https://api.twitter.com/2/tweets", status=403, json={"title": "Forbidden", "detail": f"bearer {APP_BEARER} not allowed"})

    for call in (
        lambda: linkedin.profile(token=ACCESS),
        lambda: x.publish(token=ACCESS, post=PostRequest(author_id="1", text="hi")),
        lambda: x.fetch_metrics(remote_ids=["1"]),
    ):
        with pytest.raises(NetworkError) as caught:
            call()
        assert leaks(*error_texts(caught.value)) == []


def test_thumbnail_warning_and_ambiguous_errors_carry_no_token(mocked, linkedin):
    mocked.add(responses.POST, "https://api.linkedin.com/rest/images", status=401, json={"status": 401, "message": f"token {ACCESS} expired", "serviceErrorCode": 65602})
    mocked.add(responses.POST, "https://api.linkedin.com/rest/posts", body=requests.exceptions.ReadTimeout(f"read timed out Bearer {ACCESS}"))
    post = PostRequest(author_id="abc", text="hi", link_url="https://e.com", thumbnail=b"img")

    with pytest.raises(NetworkError) as caught:
        linkedin.publish(token=ACCESS, post=post)

    assert leaks(*error_texts(caught.value)) == []


def test_reprs_hide_secrets():
    config = linkedin_config()
    assert LINKEDIN_SECRET not in repr(config)
    assert leaks(repr(TokenSet(access_token=ACCESS, refresh_token=REFRESH))) == []
    assert leaks(repr(AuthorizationRequest(url="https://x.com/i/oauth2/authorize", state="s", code_verifier=VERIFIER))) == []
    assert "bytes" not in repr(PostRequest(author_id="1", text="t", thumbnail=b"\x00" * 10_000))


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {ACCESS}",
        f'{{"access_token": "{ACCESS}", "refresh_token": "{REFRESH}"}}',
        f"client_secret={LINKEDIN_SECRET}&code_verifier={VERIFIER}",
        f"The token {ACCESS} has expired",
        f"refresh {REFRESH} is dead",
    ],
)
def test_redact_removes_credential_shapes_even_when_unknown(text):
    assert leaks(redact(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Content is a duplicate of urn:li:share:7141138937766391808",
        "Not enough permissions to access: partnerApiPostsExternal.CREATE.20251001",
        "Could not find tweet with ids: [1293593516040269825].",
        "https://api.twitter.com/2/problems/client-forbidden",
        "ERROR :: /distribution/thirdPartyDistributionChannels :: field is required",
    ],
)
def test_redact_keeps_ordinary_provider_words(text):
    assert redact(text) == text
