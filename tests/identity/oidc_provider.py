"""A real OpenID Provider on loopback for the single sign-on tests, built on Authlib's
authorization server (authorization code grant, PKCE per RFC 7636, OpenID Connect's code
flow issuing RS256 ID tokens) and served by werkzeug in a thread.

It implements discovery, JWKS, authorize (approved at once for ``provider.person``: no login
page), token (client secret, PKCE and nonce checked by Authlib) and userinfo. ``fault`` makes
it misbehave the way a compromised or misconfigured provider would:

- ``"tamper"``: the ID token's payload is altered after signing (a forged email)
- ``"wrong_audience"``: the ID token is signed for another client
- ``"expired"``: the ID token expired an hour ago
- ``"replay"``: the token endpoint answers with the ID token of an earlier sign-in
- ``"wrong_issuer"``: the ID token names another issuer

``discovery_overrides`` replaces entries of the discovery document (an endpoint somewhere
else); ``paths`` lists every path asked for, in order.
"""

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant as _AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode as _OpenIDCode
from flask import Flask, jsonify, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "chorus-test-client"
CLIENT_SECRET = "chorus-test-secret-9f2b"  # noqa: S105


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in {"openid", "email", "profile", "groups"})

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    sub: str
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class OidcProvider:
    """``OidcProvider().start()``; ``.issuer``; ``.person`` (the claims of who signs in)."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"},
                                       private=True)
        self.person: dict[str, Any] = {
            "sub": "00u-ann", "email": "ann@example.com", "email_verified": True, "name": "Ann Lee",
            "groups": ["Everyone"],
        }
        self.fault: str | None = None
        self.redirect_uris: list[str] = ["http://testserver/sso/oidc/callback/"]
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, str] = {}  # access token → sub
        self.issued_id_tokens: list[str] = []
        self.token_requests: list[dict[str, str]] = []
        self.authorize_requests: list[dict[str, str]] = []
        self.discovery_overrides: dict[str, Any] = {}
        self.paths: list[str] = []
        self._server = None
        self._thread: threading.Thread | None = None
        self.issuer = ""

    # --- the claims in the ID token ----------------------------------------------------

    def id_token_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "aud": [client.get_client_id()], "iat": now, "exp": now + 300}
        if self.fault == "wrong_audience":
            claims["aud"] = ["another-application"]
        elif self.fault == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif self.fault == "wrong_issuer":
            claims["iss"] = "https://evil.example.net"
        return claims

    def user_info(self, scope: str) -> UserInfo:
        info = UserInfo(sub=self.person["sub"])
        scopes = scope.split()
        for name, value in self.person.items():
            if name == "sub":
                continue
            if name in ("email", "email_verified") and "email" not in scopes:
                continue
            info[name] = value
        return info

    # --- the server ----------------------------------------------------------------------

    def _app(self) -> Flask:
        app = Flask("chorus-test-oidc-provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 600}
        provider = self
        client = Client(CLIENT_ID, CLIENT_SECRET, self.redirect_uris)

        class AuthorizationCodeGrant(_AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req) -> None:
                data = req.payload.data
                provider.codes[code] = AuthCode(
                    code=code, client_id=req.client.get_client_id(), redirect_uri=req.payload.redirect_uri,
                    scope=req.scope, nonce=data.get("nonce"), code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"), sub=req.user["sub"],
                )

            def query_authorization_code(self, code: str, client: Client) -> AuthCode | None:
                item = provider.codes.get(code)
                return item if item and item.client_id == client.get_client_id() else None

            def delete_authorization_code(self, authorization_code: AuthCode) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: AuthCode) -> dict:
                return dict(provider.person)

        class OpenIDCode(_OpenIDCode):
            def exists_nonce(self, nonce: str, req) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_encode_header(self, client: Client) -> dict:
                return {"alg": "RS256", "kid": provider.key.kid}

            def get_client_claims(self, client: Client) -> dict:
                return provider.id_token_claims(client)

            def generate_user_info(self, user: dict, scope: str) -> UserInfo:
                return provider.user_info(scope)

        class CodeChallengeS256(CodeChallenge):
            def get_authorization_code_challenge(self, authorization_code: AuthCode) -> str | None:
                return authorization_code.code_challenge

            def get_authorization_code_challenge_method(self, authorization_code: AuthCode) -> str | None:
                return authorization_code.code_challenge_method

        def save_token(token: dict, req) -> None:
            provider.tokens[token["access_token"]] = req.user["sub"]

        server = AuthorizationServer(app, query_client=lambda cid: client if cid == CLIENT_ID else None,
                                     save_token=save_token)
        server.register_grant(AuthorizationCodeGrant, [CodeChallengeS256(required=True), OpenIDCode(require_nonce=True)])

        @app.before_request
        def note_path():
            provider.paths.append(request.path)

        @app.get("/.well-known/openid-configuration")
        def discovery():
            base = provider.issuer
            return jsonify({
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "email", "profile", "groups"],
                **provider.discovery_overrides,
            })

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [provider.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():
            provider.authorize_requests.append(dict(request.args))
            if request.args.get("code_challenge_method") != "S256":
                return jsonify({"error": "invalid_request", "error_description": "PKCE (S256) is required"}), 400
            person = dict(provider.person)
            try:
                grant = server.get_consent_grant(end_user=person)
            except OAuth2Error as error:
                return jsonify(dict(error.get_body())), error.status_code
            return server.create_authorization_response(grant_user=person, grant=grant)

        @app.post("/token")
        def token():
            provider.token_requests.append(dict(request.form))
            response = server.create_token_response()
            if response.status_code != 200:
                return response
            body = json.loads(response.get_data())
            id_token = body.get("id_token", "")
            if provider.fault == "tamper":
                body["id_token"] = provider._tampered(id_token)
            elif provider.fault == "replay" and provider.issued_id_tokens:
                body["id_token"] = provider.issued_id_tokens[0]
            provider.issued_id_tokens.append(id_token)
            response.set_data(json.dumps(body))
            return response

        @app.get("/userinfo")
        def userinfo():
            auth = request.headers.get("Authorization", "")
            sub = provider.tokens.get(auth.removeprefix("Bearer ").strip())
            if not auth.startswith("Bearer ") or sub is None:
                return jsonify({"error": "invalid_token"}), 401
            return jsonify(dict(provider.user_info("openid email profile")))

        return app

    @staticmethod
    def _tampered(id_token: str) -> str:
        header, payload, signature = id_token.split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["email"] = "mallory@example.com"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    def sign(self, claims: dict[str, Any]) -> str:
        """An ID token signed with the provider's real key (for tests that craft their own)."""
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        """This provider's ``path`` under another host name than the issuer's, maybe."""
        return f"http://{host}:{self._server.server_port}{path}"

    def start(self, *, host: str = "127.0.0.1") -> "OidcProvider":
        """Listen on 127.0.0.1; ``host`` is the name in the issuer (``localhost`` works too)."""
        self._server = make_server("127.0.0.1", 0, self._app(), threaded=True)
        self.issuer = self.url("", host=host)
        self._thread = threading.Thread(target=self._server.serve_forever, name="test-oidc-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
