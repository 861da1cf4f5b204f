"""The adapters end to end against the sandbox networks over loopback HTTP.

Configured exactly as ``make run`` configures Chorus (``NetworkConfig.from_settings`` with
the sandbox URL layout of settings/networks.py), the real OAuth flow is driven through the
consent page's Allow form with ``requests``, and then we post, measure, refresh, revoke,
and survive the faults that cause double posts.
"""

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import override_settings

from networks import (
    AmbiguousPostError,
    AuthError,
    ConfigError,
    NetworkAdapter,
    NetworkConfig,
    PostRequest,
    RejectedError,
    TokenSet,
    TransientError,
    get_adapter,
)
from networks.linkedin_text import escape_little_text
from sandbox import SandboxServer
from sandbox.text import parse_little_text

from .test_linkedin_text import CASES

REDIRECT = "http://127.0.0.1:8000/accounts/connect/callback/"
TRICKY = (
    "Q3 results (final!) are in: revenue +12% [audited] — C# team, *bold* _moves_ ~ <3 {ok} a|b \\o/ "
    "#growth #machine_learning #1 jane@example.com https://en.wikipedia.org/wiki/Foo_(bar)#History"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(sandbox: SandboxServer) -> Iterator[None]:
    sandbox.reset()
    sandbox.clock.reset()
    yield
    sandbox.reset()
    sandbox.clock.reset()


def sandbox_settings(base: str) -> dict[str, object]:
    """settings/networks.py with NETWORKS_SANDBOX=1 and SANDBOX_URL=base."""
    return {
        "LINKEDIN_CLIENT_ID": "chorus-sandbox-linkedin",
        "LINKEDIN_CLIENT_SECRET": "sandbox-linkedin-secret",
        "LINKEDIN_AUTH_URL": f"{base}/linkedin/oauth/v2",
        "LINKEDIN_API_URL": f"{base}/linkedin",
        "LINKEDIN_WEB_URL": f"{base}/linkedin",
        "LINKEDIN_POST_ANALYTICS": True,
        "X_CLIENT_ID": "chorus-sandbox-x",
        "X_CLIENT_SECRET": "sandbox-x-secret",
        "X_AUTHORIZE_URL": f"{base}/x/i/oauth2/authorize",
        "X_API_URL": f"{base}/x",
        "X_WEB_URL": f"{base}/x",
        "X_APP_BEARER_TOKEN": "sandbox-app-bearer",
        "OUTBOUND_HTTP_TIMEOUT": (2.0, 5.0),
    }


def config_for(sandbox: SandboxServer, network: str, **changes: object) -> NetworkConfig:
    assert settings.OUTBOUND_HTTP_TIMEOUT  # settings loaded before overriding
    with override_settings(**sandbox_settings(sandbox.url)):
        config = NetworkConfig.from_settings(network)
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


@pytest.fixture
def linkedin(sandbox: SandboxServer) -> NetworkAdapter:
    return get_adapter("linkedin", config_for(sandbox, "linkedin"))


@pytest.fixture
def x(sandbox: SandboxServer) -> NetworkAdapter:
    return get_adapter("x", config_for(sandbox, "x"))


class ConsentForm(HTMLParser):
    """The consent page's form: where it posts and its hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.action = values.get("action", "")
        elif tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def connect(adapter: NetworkAdapter, member: str = "Emma Employee") -> TokenSet:
    """What an employee does: open the authorize URL, press Allow, come back with a code."""
    request = adapter.authorization_request(redirect_uri=REDIRECT, state="state-abc")
    browser = requests.Session()
    page = browser.get(request.url, timeout=5)
    assert page.status_code == 200, page.text
    form = ConsentForm()
    form.feed(page.text)
    answer = browser.post(
        urljoin(request.url, form.action),
        data={**form.fields, "member": member, "decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code in (302, 303), answer.text
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.headers["Location"].startswith(REDIRECT)
    assert back["state"] == ["state-abc"]
    return adapter.exchange_code(code=back["code"][0], redirect_uri=REDIRECT, code_verifier=request.code_verifier)


# --------------------------------------------------------------------------- LinkedIn


def test_linkedin_connect_publish_and_measure(sandbox, linkedin):
    tokens = connect(linkedin)
    assert set(tokens.scopes) == {"openid", "profile", "email", "w_member_social", "r_member_postAnalytics"}
    assert tokens.refresh_token is None  # not a partner app
    assert tokens.expires_at is not None and tokens.expires_at - datetime.now(UTC) > timedelta(days=59)

    profile = linkedin.profile(token=tokens)
    assert (profile.display_name, profile.locale) == ("Emma Employee", "en_US")

    post = linkedin.publish(
        token=tokens,
        post=PostRequest(
            author_id=profile.remote_id,
            text=TRICKY,
            link_url="https://example.com/q3_report",
            title="Q3 report",
            description="Everything that happened",
            thumbnail=b"\x89PNG\r\n\x1a\nfake",
            thumbnail_content_type="image/png",
        ),
    )

    stored = sandbox.state.post("linkedin", post.remote_id)
    assert stored.text == TRICKY and stored.extra["truncated"] is False
    assert stored.extra["content"]["article"]["thumbnail"].startswith("urn:li:image:")
    assert requests.get(post.url, timeout=5).status_code == 200

    sandbox.clock.advance(6 * 3600)
    metrics = linkedin.fetch_metrics(remote_ids=[post.remote_id], token=tokens)[post.remote_id]
    assert metrics.impressions and metrics.impressions > 0
    assert metrics.members_reached is not None and metrics.members_reached <= metrics.impressions


def test_linkedin_revoke_then_reconnect_needed(linkedin):
    tokens = connect(linkedin)

    linkedin.revoke(token=tokens)

    with pytest.raises(AuthError, match="revoked"):
        linkedin.profile(token=tokens)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_our_escaping_survives_the_sandbox_little_text_parser(text, expected):
    parsed = parse_little_text(escape_little_text(text))
    assert (parsed.text, parsed.truncated) == (text, False)


# --------------------------------------------------------------------------- X


def test_x_connect_publish_measure_refresh_revoke(sandbox, x):
    tokens = connect(x, member="Liam Carter")
    assert tokens.refresh_token and "offline.access" in tokens.scopes

    profile = x.profile(token=tokens)
    assert profile.handle and profile.audience_size and profile.audience_size > 0

    post = x.publish(
        token=tokens,
        post=PostRequest(author_id=profile.remote_id, text="Worth a read", link_url="https://example.com/a_b", author_handle=profile.handle),
    )
    assert post.url == f"{sandbox.url}/x/{profile.handle}/status/{post.remote_id}"
    assert requests.get(post.url, timeout=5).status_code == 200
    assert sandbox.state.post("x", post.remote_id).raw_text == "Worth a read\n\nhttps://example.com/a_b"
    assert x.rate_limit is not None and x.daily_limits["user"].remaining >= 0

    sandbox.clock.advance(3600)
    metrics = x.fetch_metrics(remote_ids=[post.remote_id, "123"])
    assert metrics[post.remote_id].impressions and metrics[post.remote_id].impressions > 0
    assert "123" in x.unavailable

    rotated = x.refresh(refresh_token=tokens.refresh_token)
    assert rotated.refresh_token and rotated.refresh_token != tokens.refresh_token
    with pytest.raises(AuthError):
        x.refresh(refresh_token=tokens.refresh_token)  # the old one died with the rotation
    assert x.profile(token=rotated).remote_id == profile.remote_id

    x.revoke(token=rotated)
    with pytest.raises(AuthError):
        x.profile(token=rotated)


# --------------------------------------------------------------------------- double posts


def test_x_post_accepted_then_connection_dropped_is_found_not_reposted(sandbox, x):
    tokens = connect(x)
    me = x.profile(token=tokens)
    post = PostRequest(author_id=me.remote_id, text="Launch day! https://example.com/launch", author_handle=me.handle)
    sandbox.faults.next("drop_after_accept", network="x", group="post")

    with pytest.raises(AmbiguousPostError) as caught:
        x.publish(token=tokens, post=post)

    found = x.find_recent_posts(
        token=tokens,
        author_id=me.remote_id,
        text=post.text,
        link_url=post.link_url,
        since=caught.value.sent_at,
        author_handle=me.handle,
    )
    assert len(found) == 1
    [found] = found
    assert [p.id for p in sandbox.state.posts("x")] == [found.remote_id]
    assert found.url == f"{sandbox.url}/x/{me.handle}/status/{found.remote_id}"


def test_x_post_hanging_past_the_read_timeout_is_ambiguous(sandbox):
    x = get_adapter("x", config_for(sandbox, "x", timeout=(2.0, 0.5)))
    tokens = connect(x)
    me = x.profile(token=tokens)
    sandbox.faults.hang_seconds = 2.0
    sandbox.faults.next("timeout_after_accept", network="x", group="post")

    with pytest.raises(AmbiguousPostError):
        x.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text="hello"))

    assert len(sandbox.state.posts("x")) == 1


def test_linkedin_post_accepted_then_dropped_reconciles_through_the_duplicate(sandbox, linkedin):
    tokens = connect(linkedin)
    me = linkedin.profile(token=tokens)
    post = PostRequest(author_id=me.remote_id, text="Proud of the team (again)!")
    sandbox.faults.next("drop_after_accept", network="linkedin", group="post")

    with pytest.raises(AmbiguousPostError):
        linkedin.publish(token=tokens, post=post)
    assert linkedin.find_recent_posts(token=tokens, author_id=me.remote_id, text=post.text, link_url=None, since=datetime.now(UTC)) == []
    with pytest.raises(RejectedError) as caught:
        linkedin.publish(token=tokens, post=post)

    stored = sandbox.state.posts("linkedin")
    assert caught.value.duplicate is True
    assert [p.id for p in stored] == [caught.value.duplicate_of]


# --------------------------------------------------------------------------- faults


FAULTS = [
    ("linkedin", "version_retired", ConfigError, {}),
    ("linkedin", "expired_token", AuthError, {"code": 65602}),
    ("linkedin", "revoked_token", AuthError, {"code": 65601}),
    ("linkedin", "forbidden", RejectedError, {"reason": "forbidden"}),
    ("linkedin", "duplicate", RejectedError, {"duplicate": True, "duplicate_of": "urn:li:share:7000000000000000000"}),
    # A 500 to the create call may still have created the post: reconcile, don't re-post.
    ("linkedin", "error", AmbiguousPostError, {"status": 500}),
    # A 503 says LinkedIn did not handle it: an outage, waited out.
    ("linkedin", "error", TransientError, {"status": 503}),
    ("x", "expired_token", AuthError, {}),
    ("x", "forbidden", RejectedError, {"reason": "forbidden"}),
    ("x", "duplicate", RejectedError, {"duplicate": True}),
    ("x", "error", TransientError, {"status": 503}),
    ("x", "rate_limit_bare", TransientError, {"retry_after": None}),
]


@pytest.mark.parametrize(("network", "kind", "error", "attrs"), FAULTS)
def test_injected_faults_map_to_our_errors(sandbox, linkedin, x, network, kind, error, attrs):
    adapter = linkedin if network == "linkedin" else x
    tokens = connect(adapter)
    me = adapter.profile(token=tokens)
    sandbox.faults.next(kind, network=network, group="post", **{k: v for k, v in attrs.items() if k == "status"})

    with pytest.raises(error) as caught:
        adapter.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text="Fault drill"))

    for name, value in attrs.items():
        assert getattr(caught.value, name) == value, name


def test_rate_limits_wait_for_the_reset(sandbox, linkedin, x):
    for adapter in (linkedin, x):
        tokens = connect(adapter)
        me = adapter.profile(token=tokens)
        sandbox.faults.next("rate_limit", network=adapter.network, group="post")
        with pytest.raises(TransientError) as caught:
            adapter.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text="busy"))
        retry_after = caught.value.retry_after
        assert retry_after is not None
        if adapter.network == "x":
            assert 880 <= retry_after <= 901  # the sandbox resets X windows 15 minutes out
        else:
            assert 0 < retry_after <= 86_400  # LinkedIn: until midnight UTC


def test_refresh_with_a_dead_refresh_token_needs_reconnecting(sandbox, x):
    tokens = connect(x)
    sandbox.faults.next("expired_token", network="x", group="oauth")

    with pytest.raises(AuthError, match="connect"):
        x.refresh(refresh_token=tokens.refresh_token)
