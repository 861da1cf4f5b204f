"""OAuth 2.0 plumbing shared by both adapters, on top of requests-oauthlib's ``OAuth2Session``.

requests-oauthlib does the RFC 6749 work (authorization URLs, token request bodies,
refresh bodies, token parsing). What it does not do, and what lives here:

* Chorus timeouts on every token call (``mount_timeouts``), and plain http only for the
  loopback sandbox (``oauthlib_transport``).
* Provider errors turned into our error types *before* oauthlib parses the body, via a
  compliance hook: oauthlib would otherwise raise its own exceptions, or choke on a 503
  HTML page.
* A granted scope narrower than the requested one (a member untick, an app not yet
  approved for a product) is a fact to record, not a crash: oauthlib's "Scope has
  changed" warning is caught and its token kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from core.http import mount_timeouts

from .errors import AuthError, ConfigError, NetworkError, TransientError
from .types import NetworkConfig, TokenSet
from .wire import ErrorBody, oauthlib_transport, parse_error_body, transport_error, utcnow

ResponseHook = Callable[[requests.Response], requests.Response]


def require_credentials(config: NetworkConfig, *, secret: bool = True) -> None:
    """Refuse to start an OAuth flow the provider can only reject."""
    if not config.client_id or (secret and not config.client_secret):
        raise ConfigError(
            f"Chorus has no {config.display_name} app credentials. An administrator needs to set "
            f"the {config.network.upper()}_CLIENT_ID and {config.network.upper()}_CLIENT_SECRET settings.",
            network=config.network,
        )


def make_session(
    config: NetworkConfig, *, redirect_uri: str | None = None, scope: Iterable[str] | None = None
) -> OAuth2Session:
    """An ``OAuth2Session`` with Chorus's timeouts and user agent."""
    session = OAuth2Session(
        client_id=config.client_id, scope=list(scope) if scope is not None else None, redirect_uri=redirect_uri
    )
    mount_timeouts(session, tuple(config.timeout))  # type: ignore[arg-type]
    return session


def oauth_error(config: NetworkConfig, body: ErrorBody) -> NetworkError:
    """Map a token/revoke endpoint failure (RFC 6749 §5.2 shape, or anything else)."""
    name = config.display_name
    kwargs: dict[str, Any] = {
        "status": body.status,
        "code": body.oauth_error or body.code or None,
        "network": config.network,
        "provider_message": body.message,
    }
    error = body.oauth_error
    if body.status == 429 or error in ("temporarily_unavailable", "server_error") or body.status >= 500:
        return TransientError(f"{name} is busy right now. Chorus will try again shortly.", **kwargs)
    if error in ("invalid_client", "unauthorized_client") or (not error and body.status == 401):
        return ConfigError(
            f"{name} refused Chorus's app credentials. An administrator needs to check the {name} "
            "client ID and secret.",
            **kwargs,
        )
    if error in ("invalid_scope", "unsupported_grant_type", "unsupported_response_type"):
        return ConfigError(
            f"{name} refused the permissions Chorus asked for. An administrator needs to check the "
            f"{name} app's products and scopes.",
            **kwargs,
        )
    if error == "invalid_grant":
        return AuthError(
            f"Your {name} connection has expired or was revoked. Please reconnect your {name} account.",
            **kwargs,
        )
    # invalid_request (X: an expired code, a dead refresh token), access_denied, user
    # cancelled, or something unknown: in every case the way out is connecting again.
    return AuthError(
        f"{name} did not accept the sign-in. Please connect your {name} account again.", **kwargs
    )


def raise_for_token_response(config: NetworkConfig, secrets: Iterable[str | None] = ()) -> ResponseHook:
    """A compliance hook that raises our error for any failed token-endpoint response.

    A success status whose body is not a JSON object (an HTML maintenance or proxy page
    answered with 200) is an outage, not a refusal: ``TransientError``. Left to
    oauthlib, it would be read as a form-encoded body without an access token and become
    an ``AuthError`` telling the employee to reconnect, which would not help.
    """
    secrets = tuple(secrets)

    def hook(response: requests.Response) -> requests.Response:
        if response.status_code >= 400:
            raise oauth_error(config, parse_error_body(response, secrets))
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            body = parse_error_body(response, secrets)
            raise TransientError(
                f"{config.display_name} sent an answer Chorus could not read while signing in (its service "
                "may be under maintenance). Chorus will try again shortly.",
                status=response.status_code,
                network=config.network,
                provider_message=body.message,
            )
        if isinstance(data.get("error"), str):  # an error in a 200
            raise oauth_error(config, parse_error_body(response, secrets))
        return response

    return hook


def token_response_hook(config: NetworkConfig, secrets: Iterable[str | None] = ()) -> ResponseHook:
    """The one hook both adapters register for token responses, in a fixed order: map
    errors and unreadable answers first, then normalise a comma-separated ``scope``."""
    raise_on_error = raise_for_token_response(config, secrets)
    return lambda response: normalise_comma_scope(raise_on_error(response))


def check_revoke_response(config: NetworkConfig, response: requests.Response, secrets: Iterable[str | None]) -> None:
    """Revocation succeeded, or the token was already dead (which is what we wanted);
    otherwise raise. Refused *app* credentials are never "already dead": admins must know."""
    if response.ok:
        return
    error = oauth_error(config, parse_error_body(response, secrets))
    if response.status_code in (400, 401) and isinstance(error, AuthError):
        return
    raise error


def normalise_comma_scope(response: requests.Response) -> requests.Response:
    """LinkedIn answers ``"scope": "openid,profile,w_member_social"`` (and either provider
    may); RFC 6749 and oauthlib expect spaces. Rewrite the body so the scopes parse as
    separate values."""
    try:
        data = response.json()
    except ValueError:
        return response
    scope = data.get("scope") if isinstance(data, dict) else None
    if isinstance(scope, str) and "," in scope:
        data["scope"] = " ".join(part.strip() for part in scope.replace(" ", ",").split(",") if part.strip())
        response._content = json.dumps(data).encode("utf-8")
    return response


def run_token_call(config: NetworkConfig, url: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one requests-oauthlib token call with our transport policy and error mapping."""
    sent_at = utcnow()
    with oauthlib_transport(url):
        try:
            return dict(call())
        except NetworkError:
            raise
        except requests.RequestException as exc:
            raise transport_error(exc, config=config, ambiguous=False, sent_at=sent_at) from exc
        except OAuth2Error as exc:
            # The hook maps HTTP failures; this is a 200 oauthlib still refuses (no
            # access_token, say). ``from None``: oauthlib errors can carry the raw body.
            body = ErrorBody(status=exc.status_code or 400, oauth_error=exc.error or "")
            raise oauth_error(config, body) from None
        except Warning as warning:
            token = getattr(warning, "token", None)
            if token is None:
                raise
            return dict(token)  # narrower scope than asked: keep it, TokenSet.scopes says so


def token_set(token: dict[str, Any], *, requested_scopes: Iterable[str]) -> TokenSet:
    """Turn an oauthlib token dict into our ``TokenSet`` (expiry times from our clock)."""
    now = utcnow()
    expires_in = _seconds(token.get("expires_in"))
    refresh_in = _seconds(token.get("refresh_token_expires_in"))
    scope = token.get("scope")
    if isinstance(scope, str):
        scope = [scope]
    if isinstance(scope, list | tuple) and scope:
        # Comma- or space-separated, whichever the provider used (oauthlib splits on spaces only).
        scopes = tuple(dict.fromkeys(s for part in scope for s in str(part).replace(",", " ").split()))
    else:
        scopes = tuple(requested_scopes)  # RFC 6749 §5.1: omitted means "as requested"
    refresh_token = token.get("refresh_token") or None
    return TokenSet(
        access_token=str(token["access_token"]),
        refresh_token=str(refresh_token) if refresh_token else None,
        expires_at=now + timedelta(seconds=expires_in) if expires_in is not None else None,
        refresh_expires_at=now + timedelta(seconds=refresh_in) if refresh_in is not None else None,
        scopes=scopes,
    )


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
