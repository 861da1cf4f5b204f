"""X OAuth 2.0 with PKCE: consent page, token (code and refresh), revoke.

What matters for Chorus: confidential clients authenticate with HTTP Basic; the code lives
30 seconds and works once; the verifier must match the S256 challenge; refresh tokens
rotate and the old one dies at once, so a client that loses the new one loses the account.
"""

import base64
import hashlib
import re

from .config import X_SCOPES
from .context import Route, Sandbox, route
from .errors import oauth_error
from .pages import authorize_page, error_page
from .state import Token
from .web import Request, Response, add_query, html_response, json_response, redirect

SCOPE_DESCRIPTIONS = {
    "tweet.read": "Read posts you can see, including from protected accounts",
    "tweet.write": "Post and repost for you",
    "users.read": "Any account you can view, including protected accounts",
    "offline.access": "Stay connected to your account until you revoke access",
    "media.write": "Upload media for you",
}
_AUTHORIZE_PARAMS = (
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
)
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_CODE_INVALID = "Value passed for the authorization code was invalid."
_TOKEN_INVALID = "Value passed for the token was invalid."  # noqa: S105  (an error message)
_NO_CLIENT_AUTH = "Missing valid authorization header"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def authorize(ctx: Sandbox, req: Request) -> Response:
    cfg, params = ctx.config, req.params()
    problem = None
    methods = ("S256", "plain") if cfg.x_allow_plain_pkce else ("S256",)
    if params.get("response_type") != "code":
        problem = "response_type must be code."
    elif params.get("client_id") != cfg.x_client_id:
        problem = "The client_id is not valid."
    elif not params.get("redirect_uri"):
        problem = "redirect_uri is missing."
    elif cfg.x_redirect_uris and params["redirect_uri"] not in cfg.x_redirect_uris:
        problem = "The redirect_uri does not match a callback URL registered for this app."
    elif not params.get("scope"):
        problem = "scope is missing."
    elif unknown := [s for s in params["scope"].split() if s not in X_SCOPES]:
        problem = f"Unknown scope {unknown[0]}."
    elif not params.get("state"):
        problem = "state is missing."
    elif not params.get("code_challenge"):
        problem = "code_challenge is missing."
    elif params.get("code_challenge_method", "plain") not in methods:
        problem = f"code_challenge_method must be {' or '.join(methods)}."
    if problem:
        # Real X shows "Something went wrong. You weren't able to give access to the App."
        return html_response(400, error_page("x", f"You weren’t able to give access to the App. {problem}"))

    redirect_uri, state = params["redirect_uri"], params["state"]
    scopes = tuple(dict.fromkeys(params["scope"].split()))
    decision = params.get("decision")
    if not decision:
        return html_response(
            200,
            authorize_page(
                network="x",
                action=req.path,
                app_name=cfg.x_app_name,
                scopes=[(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in scopes],
                hidden={k: params[k] for k in _AUTHORIZE_PARAMS if k in params},
                members=[ctx.state.member("x", name) for name in cfg.preset_members],
                allow_label="Authorize app",
                cancel_label="Cancel",
            ),
        )
    if decision != "allow":
        return redirect(add_query(redirect_uri, {"error": "access_denied", "state": state}))
    name = (params.get("name") or "").strip() or params.get("member") or cfg.preset_members[0]
    member = ctx.state.member("x", name)
    code = ctx.state.new_code(
        network="x",
        client_id=cfg.x_client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        member_id=member.id,
        expires_at=ctx.now() + cfg.x_code_ttl,
        code_challenge=params["code_challenge"],
        challenge_method=params.get("code_challenge_method", "plain"),
    )
    return redirect(add_query(redirect_uri, {"state": state, "code": code.code}))


def _client(ctx: Sandbox, req: Request) -> str | Response:
    """The authenticated client id: Basic for confidential clients, body for public ones."""
    cfg = ctx.config
    basic = req.basic()
    if basic is not None:
        if basic != (cfg.x_client_id, cfg.x_client_secret):
            return oauth_error(401, "unauthorized_client", _NO_CLIENT_AUTH)
        return basic[0]
    if cfg.x_public_client and req.form.get("client_id") == cfg.x_client_id:
        return cfg.x_client_id
    return oauth_error(401, "unauthorized_client", _NO_CLIENT_AUTH)


def token(ctx: Sandbox, req: Request) -> Response:
    if req.content_type != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    client = _client(ctx, req)
    if isinstance(client, Response):
        return client
    form, now = req.form, ctx.now()
    grant = form.get("grant_type")
    if grant == "authorization_code":
        for name in ("code", "redirect_uri", "code_verifier"):
            if not form.get(name):
                return oauth_error(400, "invalid_request", f"Missing required parameter [{name}].")
        code = ctx.state.codes.get(form["code"])
        if (
            code is None or code.network != "x" or code.used or now >= code.expires_at
            or code.client_id != client or code.redirect_uri != form["redirect_uri"]
        ):
            return oauth_error(400, "invalid_request", _CODE_INVALID)
        verifier = form["code_verifier"]
        expected = s256(verifier) if code.challenge_method == "S256" else verifier
        if not _VERIFIER.fullmatch(verifier) or expected != code.code_challenge:
            return oauth_error(400, "invalid_request", _CODE_INVALID)
        code.used = True
        return _issue(ctx, client, code.member_id, code.scopes)
    if grant == "refresh_token":
        old = ctx.state.token(form.get("refresh_token"), "x")
        if old is None or old.kind != "refresh" or old.client_id != client or old.status(now) != "active":
            return oauth_error(400, "invalid_request", _TOKEN_INVALID)
        old.rotated = True  # rotation: the old refresh token dies now
        return _issue(ctx, client, old.member_id, old.scopes)
    if not grant:
        return oauth_error(400, "invalid_request", "Missing required parameter [grant_type].")
    return oauth_error(400, "unsupported_grant_type", f"grant_type {grant} is not supported.")


def _issue(ctx: Sandbox, client: str, member_id: str, scopes: tuple[str, ...]) -> Response:
    access = ctx.state.issue_token(
        network="x", kind="access", client_id=client, member_id=member_id, scopes=scopes, ttl=ctx.config.x_token_ttl
    )
    body: dict[str, object] = {
        "token_type": "bearer",
        "expires_in": ctx.config.x_token_ttl,
        "access_token": access.value,
        "scope": " ".join(scopes),
    }
    if "offline.access" in scopes:
        refresh = ctx.state.issue_token(
            network="x", kind="refresh", client_id=client, member_id=member_id, scopes=scopes, ttl=None
        )
        body["refresh_token"] = refresh.value
    return json_response(200, body, [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


def revoke(ctx: Sandbox, req: Request) -> Response:
    client = _client(ctx, req)
    if isinstance(client, Response):
        return client
    value = req.form.get("token")
    if not value:
        return oauth_error(400, "invalid_request", "Missing required parameter [token].")
    found = ctx.state.token(value, "x")
    if found is not None and found.client_id == client:
        found.revoked = True
    return json_response(200, {"revoked": True})


def user_token(ctx: Sandbox, req: Request) -> Token | None:
    """The active user-context token of the request, if any."""
    found = ctx.state.token(req.bearer(), "x")
    if found is None or found.kind != "access" or found.status(ctx.now()) != "active":
        return None
    return found


ROUTES: list[Route] = [
    route("GET", r"/x/i/oauth2/authorize", "x", "web", authorize),
    route("POST", r"/x/i/oauth2/authorize", "x", "web", authorize),
    route("POST", r"/x/2/oauth2/token", "x", "oauth", token),
    route("POST", r"/x/2/oauth2/revoke", "x", "oauth", revoke),
]
