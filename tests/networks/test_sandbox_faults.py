# ruff: noqa: F811
"""The sandbox's newer faults, met by our adapters over loopback HTTP.

One test per fault kind (``sandbox.faults.KINDS``), asserting what the adapter does with
the provider-shaped answer the sandbox gives, plus ``skip_metrics``: once against
``responses`` (LinkedIn's real host) and once against the sandbox's request counts.
"""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
import responses

from networks import (
    AmbiguousPostError,
    AuthError,
    ConfigError,
    PostRequest,
    RejectedError,
    TransientError,
)
from networks.linkedin import METRICS, LinkedInAdapter

from .conftest import linkedin_config

# The sandbox, its reset between tests and the two adapters pointed at it: the same
# fixtures as test_against_sandbox (pytest finds fixtures imported into a module; their
# names then shadow the imports in each test's arguments, hence F811 below).
from .test_against_sandbox import (  # noqa: F401
    REDIRECT,
    ConsentForm,
    clean,
    config_for,
    connect,
    linkedin,
    sandbox,
    x,
)

LI_ANALYTICS = "https://api.linkedin.com/rest/memberCreatorPostAnalytics"


def metrics_requests(sandbox, network: str) -> int:
    return sandbox.state.request_counts()["requests"].get(f"{network}.metrics", 0)


def queried_metrics(calls) -> list[str]:
    return [parse_qs(urlsplit(call.request.url).query)["queryType"][0] for call in calls]


# --------------------------------------------------------------------------- skip_metrics


def test_linkedin_skip_metrics_are_not_requested(mocked):
    def answer(request):
        metric = parse_qs(urlsplit(request.url).query)["queryType"][0]
        body = {"paging": {"start": 0, "count": 10, "links": []}, "elements": [{"count": 7, "metricType": metric}]}
        return 200, {}, json.dumps(body)

    mocked.add_callback(responses.GET, LI_ANALYTICS, callback=answer, content_type="application/json")
    adapter = LinkedInAdapter(linkedin_config())

    got = adapter.fetch_metrics(
        remote_ids=["urn:li:share:1", "urn:li:share:2"],
        token="member-token",
        skip_metrics=frozenset({"MEMBERS_REACHED", "RESHARE"}),
    )

    assert len(mocked.calls) == 6 and adapter.metrics_calls == 6  # 3 metrics x 2 posts
    assert "MEMBERS_REACHED" not in queried_metrics(mocked.calls)
    assert "RESHARE" not in queried_metrics(mocked.calls)
    one = got["urn:li:share:1"]
    assert (one.impressions, one.reactions, one.comments, one.members_reached) == (7, 7, 7, None)
    assert set(one.raw) == {"IMPRESSION", "REACTION", "COMMENT"}  # skipped ones: not known, not zero
    assert adapter.denied_metrics == set()


def test_linkedin_skipping_every_metric_makes_no_call(mocked):
    adapter = LinkedInAdapter(linkedin_config())

    assert adapter.fetch_metrics(remote_ids=["urn:li:share:1"], token="t", skip_metrics=frozenset(METRICS)) == {}
    assert len(mocked.calls) == 0 and adapter.metrics_calls == 0
    assert "urn:li:share:1" in adapter.unavailable


def test_x_accepts_and_ignores_skip_metrics(sandbox, x):
    tokens = connect(x)
    me = x.profile(token=tokens)
    post = x.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text="skip nothing"))

    got = x.fetch_metrics(remote_ids=[post.remote_id], skip_metrics=frozenset({"IMPRESSION"}))

    assert post.remote_id in got and x.metrics_calls == 1 == metrics_requests(sandbox, "x")


# --------------------------------------------------------------------------- LinkedIn publish


def test_body_only_id_gives_the_urn_from_the_body(sandbox, linkedin):
    tokens = connect(linkedin)
    me = linkedin.profile(token=tokens)
    sandbox.faults.next("body_only_id", network="linkedin", group="post")

    post = linkedin.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text="Id in the body"))

    assert post.remote_id.startswith("urn:li:")
    assert [p.id for p in sandbox.state.posts("linkedin")] == [post.remote_id]
    assert post.url == linkedin.post_url(post.remote_id)


def test_error_after_accept_is_ambiguous_and_the_repost_names_the_post(sandbox, linkedin):
    tokens = connect(linkedin)
    me = linkedin.profile(token=tokens)
    post = PostRequest(author_id=me.remote_id, text="Stored, then a 500")
    sandbox.faults.next("error_after_accept", network="linkedin", group="post", status=500)

    with pytest.raises(AmbiguousPostError) as ambiguous:
        linkedin.publish(token=tokens, post=post)
    assert ambiguous.value.status == 500
    [stored] = sandbox.state.posts("linkedin")

    with pytest.raises(RejectedError) as again:
        linkedin.publish(token=tokens, post=post)
    assert again.value.duplicate is True and again.value.duplicate_of == stored.id
    assert len(sandbox.state.posts("linkedin")) == 1


def test_error_503_on_publish_is_transient_and_nothing_is_stored(sandbox, linkedin):
    tokens = connect(linkedin)
    me = linkedin.profile(token=tokens)
    sandbox.faults.next("error", network="linkedin", group="post", status=503)

    with pytest.raises(TransientError) as caught:
        linkedin.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text="Service unavailable"))

    assert not isinstance(caught.value, AmbiguousPostError)
    assert sandbox.state.posts("linkedin") == []


# --------------------------------------------------------------------------- LinkedIn metrics


def test_metrics_forbidden_denies_the_metric_and_counts_the_calls_made(sandbox, linkedin):
    tokens = connect(linkedin)
    me = linkedin.profile(token=tokens)
    posts = [linkedin.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text=f"Measured {i}"))
             for i in range(2)]
    sandbox.clock.advance(6 * 3600)
    sandbox.faults.next("metrics_forbidden", network="linkedin", group="metrics")  # the first call: IMPRESSION

    got = linkedin.fetch_metrics(remote_ids=[p.remote_id for p in posts], token=tokens)

    assert linkedin.denied_metrics == {"IMPRESSION"}
    assert set(got) == {p.remote_id for p in posts}
    assert got[posts[1].remote_id].impressions is None  # refused: not known
    assert "IMPRESSION" not in got[posts[1].remote_id].raw
    assert linkedin.metrics_calls == 5 + 4 == metrics_requests(sandbox, "linkedin")

    # The caller remembers the refusal and leaves the metric out: one call fewer per post.
    sandbox.state.request_counts(reset=True)
    linkedin.fetch_metrics(remote_ids=[p.remote_id for p in posts], token=tokens,
                           skip_metrics=frozenset({"IMPRESSION"}))
    assert linkedin.metrics_calls == 4 * 2 == metrics_requests(sandbox, "linkedin")
    assert linkedin.denied_metrics == set()


def test_metrics_forbidden_for_every_metric_raises_nothing(sandbox, linkedin):
    tokens = connect(linkedin)
    me = linkedin.profile(token=tokens)
    posts = [linkedin.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text=f"Refused {i}"))
             for i in range(2)]
    sandbox.faults.add("metrics_forbidden", network="linkedin", group="metrics")

    got = linkedin.fetch_metrics(remote_ids=[p.remote_id for p in posts], token=tokens)

    assert got == {} and linkedin.denied_metrics == set(METRICS)
    assert set(linkedin.unavailable) == {p.remote_id for p in posts}
    assert linkedin.metrics_calls == 5 == metrics_requests(sandbox, "linkedin")  # nothing asked for the second


# --------------------------------------------------------------------------- OAuth


@pytest.mark.parametrize("status", [200, 502])
@pytest.mark.parametrize("network", ["linkedin", "x"])
def test_token_html_is_transient_never_auth(sandbox, linkedin, x, network, status):
    adapter = linkedin if network == "linkedin" else x
    sandbox.faults.next("token_html", 2, network=network, group="oauth", status=status)

    with pytest.raises(TransientError) as exchanged:
        connect(adapter)
    with pytest.raises(TransientError) as refreshed:
        adapter.refresh(refresh_token="some-refresh-token")

    for caught in (exchanged, refreshed):
        assert not isinstance(caught.value, AuthError)
    assert sandbox.faults.rules == []  # both token calls met the fault


def test_revoked_after_exchange_is_retried_once_on_the_first_call(sandbox, linkedin):
    pauses: list[float] = []
    linkedin.sleep = pauses.append
    sandbox.faults.next("revoked_after_exchange", network="linkedin")
    tokens = connect(linkedin)

    profile = linkedin.profile(token=tokens, first_call=True)

    assert profile.display_name == "Emma Employee"
    assert pauses == [linkedin.first_call_pause]
    assert sandbox.state.request_counts()["requests"]["linkedin.profile"] == 2


def test_revoked_after_exchange_without_first_call_is_an_auth_error(sandbox, linkedin):
    pauses: list[float] = []
    linkedin.sleep = pauses.append
    sandbox.faults.next("revoked_after_exchange", network="linkedin")
    tokens = connect(linkedin)

    with pytest.raises(AuthError):
        linkedin.profile(token=tokens)
    assert pauses == []


@pytest.mark.parametrize(("network", "missing"), [
    ("linkedin", "Sign In with LinkedIn using OpenID Connect"),
    ("x", "attached to a Project"),
])
def test_connect_forbidden_is_a_config_error_naming_what_is_missing(sandbox, linkedin, x, network, missing):
    adapter = linkedin if network == "linkedin" else x
    tokens = connect(adapter)
    sandbox.faults.next("connect_forbidden", network=network, group="profile")

    with pytest.raises(ConfigError) as caught:
        adapter.profile(token=tokens, first_call=True)

    assert missing in str(caught.value) and caught.value.status == 403


# --------------------------------------------------------------------------- X


def test_invalid_id_lands_in_unavailable_and_the_rest_are_read(sandbox, x):
    tokens = connect(x)
    me = x.profile(token=tokens)
    posts = [x.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text=f"Good {i}")) for i in range(2)]
    sandbox.clock.advance(3600)
    sandbox.faults.next("invalid_id", network="x", group="metrics")

    got = x.fetch_metrics(remote_ids=["99999999999999999999999", *(p.remote_id for p in posts)])

    assert set(got) == {p.remote_id for p in posts}
    assert set(x.unavailable) == {"99999999999999999999999"}
    assert x.metrics_calls == 2 == metrics_requests(sandbox, "x")  # one extra call


def test_x_same_text_twice_is_a_duplicate(sandbox, x):
    tokens = connect(x)
    me = x.profile(token=tokens)
    post = PostRequest(author_id=me.remote_id, text="Say it once")
    x.publish(token=tokens, post=post)

    with pytest.raises(RejectedError) as caught:
        x.publish(token=tokens, post=post)

    assert caught.value.duplicate is True
    assert len(sandbox.state.posts("x")) == 1


def test_x_finds_a_post_by_its_tracked_link(sandbox, x):
    tokens = connect(x)
    me = x.profile(token=tokens)
    since = datetime.now(UTC)
    link = "https://example.com/r/abc123"
    x.publish(token=tokens, post=PostRequest(author_id=me.remote_id, text="Unrelated", author_handle=me.handle))
    published = x.publish(
        token=tokens, post=PostRequest(author_id=me.remote_id, text="Read this", link_url=link, author_handle=me.handle)
    )

    found = x.find_recent_posts(
        token=tokens, author_id=me.remote_id, text="Read this", link_url=link, since=since, author_handle=me.handle
    )

    assert [p.remote_id for p in found] == [published.remote_id]
    assert found[0].created_at is not None


def test_x_without_offline_access_gives_no_refresh_token(sandbox, x):
    """The adapter always asks for offline.access, so the authorize URL is edited by hand
    (as a member who unticked it, or an older consent) and the code goes through our adapter."""
    request = x.authorization_request(redirect_uri=REDIRECT, state="state-abc")
    parts = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["scope"] = " ".join(s for s in query["scope"].split() if s != "offline.access")
    url = parts._replace(query=urlencode(query)).geturl()
    browser = requests.Session()
    page = browser.get(url, timeout=5)
    form = ConsentForm()
    form.feed(page.text)
    answer = browser.post(urljoin(url, form.action), data={**form.fields, "member": "Emma Employee",
                                                            "decision": "allow"}, allow_redirects=False, timeout=5)
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]

    tokens = x.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=request.code_verifier)

    assert tokens.refresh_token is None
    assert "offline.access" not in tokens.scopes
