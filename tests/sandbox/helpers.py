"""Drive the sandbox like a browser plus an OAuth client: consent page, then tokens."""

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import requests
from requests_oauthlib import OAuth2Session

from sandbox import SandboxServer

REDIRECT = "http://localhost:8000/networks/callback"
LI_ID, LI_SECRET = "chorus-sandbox-linkedin", "sandbox-linkedin-secret"
X_ID, X_SECRET, X_APP_BEARER = "chorus-sandbox-x", "sandbox-x-secret", "sandbox-app-bearer"
LI_SCOPES = ["openid", "profile", "email", "w_member_social"]
X_SCOPES = ["tweet.read", "tweet.write", "users.read", "offline.access"]
LI_VERSION = "202510"
TIMEOUT = 5


class _FormParser(HTMLParser):
    """The consent form: its action, the fields a browser would send, the buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}  # label-less: value -> (name, value)
        self.radios: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = a.get("action", "")
        elif tag == "input" and a.get("type") == "radio":
            self.radios.append(a["value"])
            if "checked" in a:
                self.fields[a["name"]] = a["value"]
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("name"):
            self.buttons[a["value"]] = (a["name"], a["value"])


def parse_form(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


def consent(page: requests.Response, decision: str = "allow", **fields: str) -> requests.Response:
    """Click a button on the consent page (fields: ``member=...`` or ``name=...``); not followed."""
    form = parse_form(page.text)
    name, value = form.buttons[decision]
    data = {**form.fields, **fields, name: value}
    return requests.post(urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=TIMEOUT)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def normalise_comma_scope(response: requests.Response) -> requests.Response:
    """Compliance hook: LinkedIn's comma-separated scope would make oauthlib see a scope change."""
    try:
        body = response.json()
    except ValueError:
        return response
    if isinstance(body, dict) and isinstance(body.get("scope"), str):
        body["scope"] = " ".join(s for s in body["scope"].replace(",", " ").split())
        response._content = requests.compat.json.dumps(body).encode()  # type: ignore[attr-defined]
    return response


def linkedin_session(scopes: list[str] | None = None, *, hook: bool = True) -> OAuth2Session:
    session = OAuth2Session(LI_ID, redirect_uri=REDIRECT, scope=scopes or LI_SCOPES)
    if hook:
        session.register_compliance_hook("access_token_response", normalise_comma_scope)
    return session


def linkedin_connect(
    sandbox: SandboxServer, *, member: str = "Emma Employee", scopes: list[str] | None = None
) -> dict[str, Any]:
    """The whole LinkedIn connect dance; returns the token response (scope normalised)."""
    session = linkedin_session(scopes)
    url, _ = session.authorization_url(f"{sandbox.url}/linkedin/oauth/v2/authorization")
    redirect = consent(requests.get(url, timeout=TIMEOUT), member=member)
    return session.fetch_token(
        f"{sandbox.url}/linkedin/oauth/v2/accessToken",
        authorization_response=redirect.headers["Location"],
        client_secret=LI_SECRET,
        include_client_id=True,
        timeout=TIMEOUT,
    )


def li_headers(token: str, version: str = LI_VERSION) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "LinkedIn-Version": version, "X-Restli-Protocol-Version": "2.0.0"}


def li_post_body(author: str, commentary: str, **extra: Any) -> dict[str, Any]:
    return {
        "author": author,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
        **extra,
    }


def li_member(sandbox: SandboxServer, token: str) -> str:
    """The author URN of the member behind a token."""
    info = requests.get(f"{sandbox.url}/linkedin/v2/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    return f"urn:li:person:{info.json()['sub']}"


def li_post(sandbox: SandboxServer, token: str, commentary: str, **extra: Any) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/linkedin/rest/posts",
        json=li_post_body(li_member(sandbox, token), commentary, **extra),
        headers=li_headers(token),
        timeout=TIMEOUT,
    )


def x_session(scopes: list[str] | None = None) -> OAuth2Session:
    return OAuth2Session(X_ID, redirect_uri=REDIRECT, scope=scopes or X_SCOPES, pkce="S256")


def x_authorize(sandbox: SandboxServer, session: OAuth2Session, member: str = "Emma Employee") -> str:
    """Consent as ``member``; returns the callback URL carrying the code."""
    url, _ = session.authorization_url(f"{sandbox.url}/x/i/oauth2/authorize")
    return consent(requests.get(url, timeout=TIMEOUT), member=member).headers["Location"]


def x_connect(sandbox: SandboxServer, *, member: str = "Emma Employee", scopes: list[str] | None = None) -> dict[str, Any]:
    session = x_session(scopes)
    callback = x_authorize(sandbox, session, member)
    return session.fetch_token(
        f"{sandbox.url}/x/2/oauth2/token", authorization_response=callback, client_secret=X_SECRET, timeout=TIMEOUT
    )


def x_post(sandbox: SandboxServer, token: str, text: str, **kwargs: Any) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/x/2/tweets", json={"text": text}, headers={"Authorization": f"Bearer {token}"},
        timeout=kwargs.pop("timeout", TIMEOUT), **kwargs,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def li_analytics(sandbox: SandboxServer, token: str, urn: str, metric: str = "IMPRESSION") -> requests.Response:
    key = "share" if ":share:" in urn else "ugc"
    url = (f"{sandbox.url}/linkedin/rest/memberCreatorPostAnalytics?q=entity&entity=({key}:{quote(urn, safe='')})"
           f"&queryType={metric}&aggregation=TOTAL")
    return requests.get(url, headers=li_headers(token), timeout=TIMEOUT)


def li_userinfo(sandbox: SandboxServer, token: str) -> requests.Response:
    return requests.get(f"{sandbox.url}/linkedin/v2/userinfo", headers=bearer(token), timeout=TIMEOUT)


def x_me(sandbox: SandboxServer, token: str) -> requests.Response:
    return requests.get(f"{sandbox.url}/x/2/users/me", headers=bearer(token), timeout=TIMEOUT)


def x_lookup(sandbox: SandboxServer, ids: list[str], token: str = X_APP_BEARER, **params: str) -> requests.Response:
    return requests.get(f"{sandbox.url}/x/2/tweets", params={"ids": ",".join(ids), **params}, headers=bearer(token),
                        timeout=TIMEOUT)
