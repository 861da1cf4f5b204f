"""LinkedIn OAuth 2.0 and identity: consent page, token, introspection, revocation, userinfo.

The awkward parts are deliberate: client credentials only in the form body (HTTP Basic
alone is refused), a comma-separated ``scope`` in the token response, refresh tokens only
for partner apps, ``locale`` as an object in userinfo.
"""

import base64
import json
from html import escape
from typing import Any

from .context import Route, Sandbox, route
from .errors import li_error, li_token_error, oauth_error
from .pages import authorize_page, error_page
from .state import Member, Token
from .web import Request, Response, add_query, html_response, json_response, redirect

SCOPE_DESCRIPTIONS = {
    "openid": "Use your name and photo",
    "profile": "Use your name and photo",
    "email": "Use the primary email address associated with your LinkedIn account",
    "w_member_social": "Create, modify, and delete posts, comments, and reactions on your behalf",
    "r_member_postAnalytics": "Retrieve analytics for your posts",
}
_AUTHORIZE_PARAMS = ("response_type", "client_id", "redirect_uri", "state", "scope")
_NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
_CODE_INVALID = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. "
    "Or authorization code expired. Or external member binding exists"
)
_REFRESH_INVALID = "The provided authorization grant or refresh token is invalid, expired or revoked."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def authorize(ctx: Sandbox, req: Request) -> Response:
    """GET shows the consent page; the form (or ``decision=`` on the URL) decides."""
    cfg, params = ctx.config, req.params()
    if params.get("client_id") != cfg.linkedin_client_id:
        return html_response(400, error_page("linkedin", "The application you are trying to access is not available (invalid client_id)."))
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        return html_response(400, error_page("linkedin", "The redirect_uri parameter is missing."))
    if cfg.linkedin_redirect_uris and redirect_uri not in cfg.linkedin_redirect_uris:
        return html_response(400, error_page("linkedin", "The redirect_uri does not match the registered value."))
    if params.get("response_type") != "code":
        return html_response(400, error_page("linkedin", "response_type must be code."))
    state = params.get("state")
    extra = {"state": state} if state is not None else {}
    scopes = params.get("scope", "").replace(",", " ").split()
    unknown = [s for s in scopes if s not in cfg.linkedin_app_scopes]
    if not scopes or unknown:
        description = f'Scope "{unknown[0]}" is not authorized for your application' if unknown else "Scope is missing"
        return redirect(add_query(redirect_uri, {"error": "unauthorized_scope_error", "error_description": description, **extra}))

    decision = params.get("decision")
    if not decision:
        return html_response(
            200,
            authorize_page(
                network="linkedin",
                action=req.path,
                app_name=cfg.linkedin_app_name,
                scopes=_describe(scopes),
                hidden={k: params[k] for k in _AUTHORIZE_PARAMS if k in params},
                members=[ctx.state.member("linkedin", name) for name in cfg.preset_members],
                allow_label="Allow",
                cancel_label="Cancel",
            ),
        )
    if decision != "allow":
        return redirect(
            add_query(
                redirect_uri,
                {"error": "user_cancelled_authorize", "error_description": "The user cancelled the authorization", **extra},
            )
        )
    name = (params.get("name") or "").strip() or params.get("member") or cfg.preset_members[0]
    member = ctx.state.member("linkedin", name, email=(params.get("email") or "").strip() or None)
    code = ctx.state.new_code(
        network="linkedin",
        client_id=cfg.linkedin_client_id,
        redirect_uri=redirect_uri,
        scopes=tuple(dict.fromkeys(scopes)),
        member_id=member.id,
        expires_at=ctx.now() + cfg.linkedin_code_ttl,
    )
    return redirect(add_query(redirect_uri, {"code": code.code, **extra}))


def _describe(scopes: list[str]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for scope in scopes:
        seen.setdefault(SCOPE_DESCRIPTIONS.get(scope, scope), scope)
    return [(scope, description) for description, scope in seen.items()]


def _client_error(ctx: Sandbox, req: Request) -> Response | None:
    """LinkedIn wants client_id and client_secret in the body; Basic alone is refused."""
    if req.content_type != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    form = req.form
    if "client_id" not in form or "client_secret" not in form:
        if req.basic() is not None:
            return oauth_error(401, "invalid_client", "Client authentication failed: send client_id and client_secret in the request body")
        missing = "client_id" if "client_id" not in form else "client_secret"
        return oauth_error(400, "invalid_request", f'A required parameter "{missing}" is missing')
    if (form["client_id"], form["client_secret"]) != (ctx.config.linkedin_client_id, ctx.config.linkedin_client_secret):
        return oauth_error(401, "invalid_client", "Client authentication failed")
    return None


def access_token(ctx: Sandbox, req: Request) -> Response:
    if failure := _client_error(ctx, req):
        return failure
    form, cfg, now = req.form, ctx.config, ctx.now()
    grant = form.get("grant_type")
    if grant == "authorization_code":
        for name in ("code", "redirect_uri"):
            if not form.get(name):
                return oauth_error(400, "invalid_request", f'A required parameter "{name}" is missing')
        code = ctx.state.codes.get(form["code"])
        if (
            code is None or code.network != "linkedin" or code.used or now >= code.expires_at
            or code.redirect_uri != form["redirect_uri"] or code.client_id != form["client_id"]
        ):
            return oauth_error(400, "invalid_request", _CODE_INVALID)
        code.used = True
        access = ctx.state.issue_token(
            network="linkedin", kind="access", client_id=code.client_id, member_id=code.member_id,
            scopes=code.scopes, ttl=cfg.linkedin_token_ttl,
        )
        refresh = None
        if cfg.linkedin_partner_app:
            refresh = ctx.state.issue_token(
                network="linkedin", kind="refresh", client_id=code.client_id, member_id=code.member_id,
                scopes=code.scopes, ttl=cfg.linkedin_refresh_ttl,
            )
        return json_response(200, _token_body(ctx, access, refresh), _NO_STORE)
    if grant == "refresh_token":
        if not cfg.linkedin_partner_app:
            return oauth_error(400, "invalid_request", "Refresh tokens are not enabled for this application")
        refresh = ctx.state.token(form.get("refresh_token"), "linkedin")
        if refresh is None or refresh.kind != "refresh" or refresh.client_id != form["client_id"] or refresh.status(now) != "active":
            return oauth_error(400, "invalid_request", _REFRESH_INVALID)
        access = ctx.state.issue_token(
            network="linkedin", kind="access", client_id=refresh.client_id, member_id=refresh.member_id,
            scopes=refresh.scopes, ttl=cfg.linkedin_token_ttl,
        )
        return json_response(200, _token_body(ctx, access, refresh, id_token=False), _NO_STORE)
    return oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r} is not supported")


def _token_body(ctx: Sandbox, access: Token, refresh: Token | None, *, id_token: bool = True) -> dict[str, Any]:
    now = ctx.now()
    body: dict[str, Any] = {
        "access_token": access.value,
        "expires_in": round(access.expires_at - now) if access.expires_at else 0,
    }
    if refresh is not None and refresh.expires_at is not None:
        # Not extended by refreshing: the remaining lifetime of the original refresh token.
        body["refresh_token"] = refresh.value
        body["refresh_token_expires_in"] = round(refresh.expires_at - now)
    body["scope"] = ",".join(sorted(access.scopes))
    body["token_type"] = "Bearer"  # noqa: S105  (not a secret)
    if id_token and "openid" in access.scopes:
        member = ctx.state.get_member("linkedin", access.member_id)
        if member is not None:
            body["id_token"] = _id_token(ctx, member, access.scopes, access.client_id)
    return body


def _id_token(ctx: Sandbox, member: Member, scopes: tuple[str, ...], audience: str) -> str:
    """A well-formed JWT, HS256-signed with the client secret (real LinkedIn signs RS256)."""
    import hashlib
    import hmac

    now = int(ctx.now())
    claims: dict[str, Any] = {"iss": "https://www.linkedin.com", "aud": audience, "iat": now, "exp": now + 3600, "sub": member.id}
    if "profile" in scopes:
        claims.update(name=member.name, given_name=member.given_name, family_name=member.family_name, locale="en_US")
    if "email" in scopes:
        claims.update(email=member.email, email_verified="true")
    header = _b64(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "chorus-sandbox"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(ctx.config.linkedin_client_secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(signature.digest())}"


def introspect(ctx: Sandbox, req: Request) -> Response:
    if failure := _client_error(ctx, req):
        return failure
    token = ctx.state.token(req.form.get("token"), "linkedin")
    if token is None:
        return json_response(200, {"active": False})
    status = token.status(ctx.now())
    body: dict[str, Any] = {"active": status == "active", "status": status}
    if status == "active":
        body.update(
            client_id=token.client_id, authorized_at=int(token.issued_at), created_at=int(token.issued_at),
            expires_at=int(token.expires_at or 0), scope=",".join(sorted(token.scopes)), auth_type="3L",
        )
    return json_response(200, body)


def revoke(ctx: Sandbox, req: Request) -> Response:
    if failure := _client_error(ctx, req):
        return failure
    token = ctx.state.token(req.form.get("token"), "linkedin")
    if token is not None:
        token.revoked = True
    return Response(200, b"", [("Content-Length", "0")])


def authenticate(ctx: Sandbox, req: Request, *, with_code: bool = True) -> tuple[Token, Member] | Response:
    """The member behind a Bearer token, or the 401 LinkedIn would send."""
    value = req.bearer()
    if value is None:
        return li_token_error("empty", with_code=with_code)
    token = ctx.state.token(value, "linkedin")
    if token is None or token.kind != "access":
        return li_token_error("invalid", with_code=with_code)
    status = token.status(ctx.now())
    if status != "active":
        return li_token_error("revoked" if status == "revoked" else "expired", with_code=with_code)
    member = ctx.state.get_member("linkedin", token.member_id)
    if member is None:
        return li_token_error("invalid", with_code=with_code)
    return token, member


def userinfo(ctx: Sandbox, req: Request) -> Response:
    auth = authenticate(ctx, req, with_code=False)
    if isinstance(auth, Response):
        return auth
    token, member = auth
    if "openid" not in token.scopes:
        return li_error(403, "Not enough permissions to access: userinfo.GET.NO_VERSION", code="ACCESS_DENIED", service_error_code=100)
    body: dict[str, Any] = {"sub": member.id}
    if "email" in token.scopes:
        body["email_verified"] = True
    if "profile" in token.scopes:
        body["name"] = member.name
        body["locale"] = {"country": "US", "language": "en"}
        body["given_name"] = member.given_name
        body["family_name"] = member.family_name
    if "email" in token.scopes:
        body["email"] = member.email
    if "profile" in token.scopes:
        body["picture"] = f"{ctx.base_url(req)}/linkedin/avatar/{member.id}.svg"
    return json_response(200, body)


def avatar(ctx: Sandbox, req: Request, member_id: str, network: str = "linkedin") -> Response:
    """An initials avatar, so profile pictures render in the demo without the internet."""
    member = ctx.state.get_member(network, member_id)
    initials = "".join(part[0] for part in (member.name.split()[:2] if member else ["?"])).upper()
    colour = "#0a66c2" if network == "linkedin" else "#1d9bf0"
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' width='100' height='100'>"
        f"<rect width='100' height='100' fill='{colour}'/><text x='50' y='62' font-size='38' fill='#fff' "
        f"text-anchor='middle' font-family='sans-serif'>{escape(initials)}</text></svg>"
    )
    return Response(200, svg.encode(), [("Content-Type", "image/svg+xml")])


ROUTES: list[Route] = [
    route("GET", r"/linkedin/oauth/v2/authorization", "linkedin", "web", authorize),
    route("POST", r"/linkedin/oauth/v2/authorization", "linkedin", "web", authorize),
    route("POST", r"/linkedin/oauth/v2/accessToken", "linkedin", "oauth", access_token),
    route("POST", r"/linkedin/oauth/v2/introspectToken", "linkedin", "oauth", introspect),
    route("POST", r"/linkedin/oauth/v2/revoke", "linkedin", "oauth", revoke),
    route("GET", r"/linkedin/v2/userinfo", "linkedin", "profile", userinfo),
    route("GET", r"/linkedin/avatar/(?P<member_id>[A-Za-z0-9]+)\.svg", "linkedin", "web", avatar),
]
