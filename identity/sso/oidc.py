"""OpenID Connect sign-in, on mozilla-django-oidc.

The library does the authorization code flow: state, nonce and PKCE (S256) kept in the
session per login attempt and used once, the code exchange, the ID token's signature
checked against the provider's JWKS. Chorus adds what it leaves out: discovery
(``<issuer>/.well-known/openid-configuration``), settings from the admin instead of Django
settings, and the ID token checks it skips — ``iss``, ``aud`` (and ``azp``), ``exp`` and
``iat`` required, with the configured clock skew — each refusal with a message a person
can act on. Who may come in, and with which team and roles, is ``provisioning``'s.

Every request to the provider (discovery, token, JWKS, userinfo) goes through
``identity.sso.outbound``, under the SSRF policy: the library's own ``requests`` calls are
overridden (``get_token``, ``retrieve_matching_jwk``, ``get_userinfo``).
"""

import base64
import logging
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts.models import User
from core.fetcher import FetchError, HTTPStatusError
from identity.models import SsoSettings
from identity.sso import outbound
from identity.sso.errors import SsoRefused, remember_refusal
from identity.sso.provisioning import SignInOnly, SsoIdentity, as_list, sso_user_sign_in

logger = logging.getLogger(__name__)

CALLBACK_URL_NAME = "sso_oidc_callback"
UNREACHABLE = (
    "Chorus could not reach your identity provider. Try again in a minute; if it keeps happening, "
    "tell your Chorus administrator."
)
NOT_SET_UP = "Sign-in with OpenID Connect is not set up."
CODE_NOT_ACCEPTED = "your identity provider did not accept the sign-in code."
USERINFO_TYPES = ("application/json", "application/jwt")


def _refused(what: str) -> SsoRefused:
    return SsoRefused(f"The sign-in was refused: {what} Start again from the login page.")


@dataclass(frozen=True)
class OidcConfig:
    """The provider as the admin configured it and as its discovery document describes it."""

    settings: SsoSettings
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    client_id: str
    client_secret: str
    basic_auth: bool

    def library_settings(self) -> dict[str, Any]:
        """What mozilla-django-oidc would read from Django settings (``get_settings``)."""
        return {
            "OIDC_OP_AUTHORIZATION_ENDPOINT": self.authorization_endpoint,
            "OIDC_OP_TOKEN_ENDPOINT": self.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": self.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": self.jwks_uri,
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_RP_SIGN_ALGO": self.settings.oidc_signing_algorithm,
            "OIDC_RP_IDP_SIGN_KEY": None,
            "OIDC_RP_SCOPES": self.settings.oidc_scopes,
            "OIDC_TOKEN_USE_BASIC_AUTH": self.basic_auth,
            "OIDC_AUTHENTICATION_CALLBACK_URL": CALLBACK_URL_NAME,
            "OIDC_USE_NONCE": True,
            "OIDC_USE_PKCE": True,
            "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
            "OIDC_VERIFY_SSL": True,
            "OIDC_TIMEOUT": tuple(settings.OUTBOUND_HTTP_TIMEOUT),
            "OIDC_PROXY": None,
            "OIDC_ALLOW_UNSECURED_JWT": False,
            "OIDC_STORE_ACCESS_TOKEN": False,
            "OIDC_STORE_ID_TOKEN": False,
        }


def oidc_enabled(row: SsoSettings) -> bool:
    return bool(row.oidc_enabled and row.oidc_issuer and row.oidc_client_id)


def oidc_config(row: SsoSettings | None = None) -> OidcConfig:
    """The configured provider, read from its discovery document (fetched each sign-in: they
    are rare, and a provider's rotated endpoints or keys are then never stale)."""
    row = row or SsoSettings.current()
    if not oidc_enabled(row):
        raise SsoRefused(NOT_SET_UP)
    issuer = row.oidc_issuer.rstrip("/")
    try:
        doc = outbound.get_json(f"{issuer}/.well-known/openid-configuration")
    except FetchError as exc:  # refused by the SSRF policy, unreachable, not JSON, ...
        logger.warning("oidc: discovery at %s failed: %s", issuer, exc.reason)
        raise SsoRefused(UNREACHABLE) from exc
    # OpenID Connect Discovery 1.0 §4.3: the document's issuer is the configured one.
    if not isinstance(doc, dict) or str(doc.get("issuer", "")).rstrip("/") != issuer:
        logger.warning("oidc: discovery at %s names issuer %r", issuer, doc.get("issuer") if isinstance(doc, dict) else None)
        raise SsoRefused("Your identity provider's configuration does not match Chorus's settings (issuer). "
                         "Tell your Chorus administrator.")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
    if missing:
        raise SsoRefused(f"Your identity provider's configuration lacks {', '.join(missing)}. "
                         "Tell your Chorus administrator.")
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return OidcConfig(
        settings=row,
        issuer=doc["issuer"],
        authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"],
        userinfo_endpoint=doc.get("userinfo_endpoint") or "",
        jwks_uri=doc["jwks_uri"],
        client_id=row.oidc_client_id,
        client_secret=settings.SSO_OIDC_CLIENT_SECRET or row.oidc_client_secret,
        basic_auth="client_secret_post" not in methods,
    )


def identity_from_claims(claims: dict[str, Any], row: SsoSettings) -> SsoIdentity:
    email = claims.get(row.oidc_email_claim or "email")
    verified = claims.get("email_verified")
    name = claims.get("name") or " ".join(
        str(claims[k]) for k in ("given_name", "family_name") if claims.get(k)
    )
    return SsoIdentity(
        protocol="oidc",
        email=str(email or ""),
        email_verified=row.oidc_trust_unverified_email or verified is True or verified == "true",
        full_name=str(name or ""),
        groups=tuple(as_list(claims.get(row.oidc_groups_claim))) if row.oidc_groups_claim else (),
        team=(as_list(claims.get(row.oidc_team_claim)) or [""])[0] if row.oidc_team_claim else "",
        location=(as_list(claims.get(row.oidc_location_claim)) or [""])[0] if row.oidc_location_claim else "",
    )


class OidcBackend(SignInOnly, OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend, configured per sign-in from the admin's settings.

    Django builds a backend for every ``authenticate()`` and, for a signed-in session, for
    every request (``get_user``), so building one reads nothing; the provider is read only
    when a callback is being authenticated (the only call with a ``nonce``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # no settings read here (see above)
        self.UserModel = User
        self.config: OidcConfig | None = None

    def get_user(self, user_id: int) -> User | None:
        return ModelBackend.get_user(self, user_id)  # type: ignore[arg-type]  # refuses deactivated people

    def get_settings(self, attr: str, *args: Any) -> Any:  # type: ignore[override]
        values = self.config.library_settings() if self.config else {}
        if attr in values:
            return values[attr]
        if args:
            return args[0]
        raise ImproperlyConfigured(f"{attr} is not a Chorus single sign-on setting")

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or set(kwargs) != {"nonce", "code_verifier"}:
            return None  # not an OpenID Connect callback (a password login, SAML, …)
        try:
            self.config = oidc_config()
            values = self.config.library_settings()
            self.OIDC_OP_TOKEN_ENDPOINT = values["OIDC_OP_TOKEN_ENDPOINT"]
            self.OIDC_OP_USER_ENDPOINT = values["OIDC_OP_USER_ENDPOINT"]
            self.OIDC_OP_JWKS_ENDPOINT = values["OIDC_OP_JWKS_ENDPOINT"]
            self.OIDC_RP_CLIENT_ID = values["OIDC_RP_CLIENT_ID"]
            self.OIDC_RP_CLIENT_SECRET = values["OIDC_RP_CLIENT_SECRET"]
            self.OIDC_RP_SIGN_ALGO = values["OIDC_RP_SIGN_ALGO"]
            self.OIDC_RP_IDP_SIGN_KEY = None
            return super().authenticate(request, **kwargs)
        except SsoRefused as exc:
            raise remember_refusal(request, exc) from None
        except FetchError as exc:  # refused by the SSRF policy, unreachable, not JSON, ...
            logger.warning("oidc: provider unreachable: %s", exc.reason)
            raise remember_refusal(request, SsoRefused(UNREACHABLE)) from None

    # --- the provider's endpoints, through the SSRF policy ------------------------------

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The code exchange (the library's, through ``outbound``): HTTP Basic client
        authentication unless the provider only takes the secret in the form."""
        payload = dict(payload)
        headers = {}
        if self.get_settings("OIDC_TOKEN_USE_BASIC_AUTH", False):
            credentials = f"{payload['client_id']}:{payload.pop('client_secret')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
        answer = outbound.post_form(self.OIDC_OP_TOKEN_ENDPOINT, payload, headers=headers)
        if answer.status != 200:
            # A used or expired code, a PKCE verifier that does not match, a wrong client
            # secret. The answer is logged, never shown.
            logger.warning("oidc: token request refused: HTTP %s %s", answer.status,
                           answer.body[:500].decode("utf-8", "replace"))
            raise _refused(CODE_NOT_ACCEPTED)
        token = outbound.json_of(answer)
        if not isinstance(token, dict):
            raise outbound.NotJson("The token endpoint did not answer with a JSON object.")
        return token

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        """The provider's key for this token (the library's matching: same ``kid``, and the
        same ``alg`` when the key names one), from its JWKS read through ``outbound``."""
        jwks = outbound.get_json(self.OIDC_OP_JWKS_ENDPOINT)
        header = jwt.get_unverified_header(token)
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list):
            raise SuspiciousOperation("The provider's JWKS has no keys.")
        key = None
        for jwk in keys:
            if not isinstance(jwk, dict) or jwk.get("kid") != str(header["kid"]):
                continue
            if "alg" in jwk and jwk["alg"] != str(header.get("alg")):
                continue
            key = jwk
        if key is None:
            raise SuspiciousOperation("Could not find a valid JWKS.")
        return jwt.PyJWK(key)

    # --- the ID token -----------------------------------------------------------------

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """Signature (by a key the provider publishes, with the configured algorithm), then
        iss, aud/azp, exp, iat and nonce. Anything else: refused."""
        assert self.config is not None
        nonce = kwargs.get("nonce")
        if not token:
            raise _refused("your identity provider sent no ID token.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _refused("the ID token could not be read.") from None
        algorithm = self.config.settings.oidc_signing_algorithm
        if header.get("alg") != algorithm:
            raise _refused(f"the ID token is signed with {header.get('alg')!r}, not {algorithm}.")
        try:
            key = self.retrieve_matching_jwk(token)
        except (SuspiciousOperation, KeyError, jwt.PyJWTError):
            raise _refused("the ID token is signed with a key your identity provider does not publish.") from None
        try:
            payload = jwt.decode(
                token, key, algorithms=[algorithm], audience=self.config.client_id, issuer=self.config.issuer,
                leeway=settings.SSO_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("the ID token has expired (if this keeps happening, check the server clocks).") from None
        except jwt.ImmatureSignatureError:
            raise _refused("the ID token is dated in the future (check the server clocks).") from None
        except jwt.InvalidAudienceError:
            raise _refused("the ID token was issued for another application (audience).") from None
        except jwt.InvalidIssuerError:
            raise _refused("the ID token was issued by another identity provider (issuer).") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _refused(f"the ID token lacks the “{exc.claim}” claim.") from None
        except jwt.PyJWTError:
            raise _refused("the ID token's signature is not valid (it was altered or forged).") from None
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != self.config.client_id:
            raise _refused("the ID token was issued for another application (azp).")
        if not nonce or payload.get("nonce") != nonce:
            raise _refused("the ID token does not belong to this sign-in (nonce): it may be a replayed one.")
        return payload

    # --- the person ---------------------------------------------------------------------

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint's (whose ``sub`` must be
        the ID token's, OpenID Connect Core §5.3.2). The ID token's own claims win."""
        claims = dict(payload)
        if not (self.OIDC_OP_USER_ENDPOINT and access_token):
            return claims
        try:
            answer = outbound.get(self.OIDC_OP_USER_ENDPOINT, accept=USERINFO_TYPES,
                                  headers={"Authorization": f"Bearer {access_token}"})
        except HTTPStatusError as exc:
            logger.warning("oidc: userinfo refused: %s", exc.reason)
            raise _refused(CODE_NOT_ACCEPTED) from None
        if answer.content_type != "application/json":
            return claims  # a signed (JWT) userinfo answer: the ID token's claims are enough
        info = outbound.json_of(answer)
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            raise _refused("your identity provider's user information is for someone else (sub).")
        return {**info, **claims}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        assert self.config is not None
        claims = self.get_userinfo(access_token, id_token, payload)
        identity = identity_from_claims(claims, self.config.settings)
        return sso_user_sign_in(request=self.request, identity=identity, config=self.config.settings)
