"""The adapters against responses recorded from the real X and LinkedIn APIs.

Recordings are replayed byte for byte (status, headers, body) from
tests/fixtures/realdata; see its README for where each came from.
"""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from networks import AuthError, ConfigError, PostRequest

from .conftest import realdata


def replay_x(mocked: responses.RequestsMock, name: str, index: int = 0, *, url: str | None = None) -> dict:
    """Register one recorded X exchange, matched on method and path (not query)."""
    exchange = realdata(f"x/{name}")[index]
    recorded = exchange["response"]
    parts = urlsplit(exchange["request"]["uri"])
    headers = {k: v for k, v in recorded["headers"].items() if k.lower() != "content-type"}
    mocked.add(
        exchange["request"]["method"],
        url or f"{parts.scheme}://{parts.netloc}{parts.path}",
        body=json.dumps(recorded["body"]),
        status=recorded["status"],
        headers=headers,
        content_type=recorded["headers"].get("content-type", "application/json"),
    )
    return exchange


# --------------------------------------------------------------------------- X


def test_x_publish_reads_id_and_rate_limits_from_recorded_201(mocked, x):
    replay_x(mocked, "test_client_create_and_delete_tweet.json")

    post = x.publish(token="user-token", post=PostRequest(author_id="1", text="Test Tweet", author_handle="TweepyDev"))

    assert post.remote_id == "1456012973835788293"
    assert post.url == "https://x.com/TweepyDev/status/1456012973835788293"
    assert json.loads(mocked.calls[0].request.body) == {"text": "Test Tweet"}
    assert x.rate_limit is not None
    assert (x.rate_limit.limit, x.rate_limit.remaining) == (200, 199)
    assert x.rate_limit.reset_at == datetime.fromtimestamp(1635976418, UTC)


def test_x_profile_from_recorded_users_me(mocked, x):
    replay_x(mocked, "test_client_get_me.json")

    profile = x.profile(token="user-token")

    assert (profile.remote_id, profile.handle, profile.display_name) == (
        "1072250532645998596",
        "TweepyDev",
        "Tweepy Testing",
    )
    assert profile.audience_size is None  # tweepy did not ask for public_metrics
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer user-token"
    assert parse_qs(urlsplit(mocked.calls[0].request.url).query)["user.fields"] == ["profile_image_url,public_metrics"]
    assert x.rate_limit is not None and x.rate_limit.remaining == 74


def test_x_metrics_parse_recorded_tweets_with_edit_history(mocked, x):
    replay_x(mocked, "test_client_get_tweets.json")
    ids = ["1293593516040269825", "1293595870563381249"]

    metrics = x.fetch_metrics(remote_ids=ids)

    assert sorted(metrics) == ids
    assert metrics[ids[0]].impressions is None  # recorded without public_metrics
    assert x.unavailable == {}
    query = parse_qs(urlsplit(mocked.calls[0].request.url).query)
    assert query["ids"] == [",".join(ids)]
    assert mocked.calls[0].request.headers["Authorization"].startswith("Bearer app-bearer")


def test_x_find_recent_post_matches_recorded_tweet_despite_tco_links(mocked, x):
    """Real tweet text comes back with t.co links and curly quotes: our text still matches."""
    exchange = replay_x(mocked, "test_client_get_tweets.json", url="https://api.twitter.com/2/users/783214/tweets")
    original = exchange["response"]["body"]["data"][1]["text"].replace(
        "https://t.co/g7v3aeIbtQ", "https://developer.twitter.com/en/docs/twitter-api/early-access"
    )

    found = x.find_recent_posts(
        token="user-token", author_id="783214", text=original, link_url=None, since=datetime(2022, 10, 7, tzinfo=UTC)
    )

    assert [post.remote_id for post in found] == ["1293595870563381249"]
    query = parse_qs(urlsplit(mocked.calls[0].request.url).query)
    assert query["start_time"] == ["2022-10-06T23:58:00Z"]


# --------------------------------------------------------------------------- LinkedIn


def linkedin_recording(name: str) -> dict:
    return realdata(f"linkedin/{name}")["response"]


def test_linkedin_publish_reads_urn_from_x_restli_id_on_empty_201(mocked, linkedin):
    recorded = linkedin_recording("rest_posts_create_201.json")
    mocked.add(
        responses.POST,
        "https://api.linkedin.com/rest/posts",
        status=recorded["status"],
        headers=recorded["headers"],
        body="",
    )

    post = linkedin.publish(token="member-token", post=PostRequest(author_id="AbCdE12345", text="text"))

    assert post.remote_id == "urn:li:share:6844785523593134080"
    assert post.url == "https://www.linkedin.com/feed/update/urn:li:share:6844785523593134080/"
    sent = mocked.calls[0].request
    expected = realdata("linkedin/rest_posts_create_201.json")["request"]["json"]
    assert json.loads(sent.body) == {**expected, "author": "urn:li:person:AbCdE12345"}
    assert sent.headers["LinkedIn-Version"] == "202510"
    assert sent.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Authorization"] == "Bearer member-token"


def test_linkedin_profile_accepts_locale_object(mocked, linkedin):
    recorded = linkedin_recording("userinfo_200_redacted.json")
    mocked.add(responses.GET, "https://api.linkedin.com/v2/userinfo", json=recorded["body"])

    profile = linkedin.profile(token="member-token")

    assert profile.remote_id == "AbCdE12345"
    assert profile.display_name == "Jane Doe"
    assert profile.email == "jane.doe@example.com"
    assert profile.avatar_url.startswith("https://media.licdn.com/")
    assert profile.locale == "en_US"
    assert profile.handle == ""


def test_linkedin_profile_accepts_locale_string(mocked, linkedin):
    body = {**linkedin_recording("userinfo_200_redacted.json")["body"], "locale": "en-US"}
    mocked.add(responses.GET, "https://api.linkedin.com/v2/userinfo", json=body)

    assert linkedin.profile(token="member-token").locale == "en-US"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("401_invalid_access_token.json", "no longer valid"), ("401_expired_access_token.json", "expired")],
)
def test_linkedin_recorded_401s_need_reconnecting(mocked, linkedin, name, expected):
    recorded = linkedin_recording(name)
    mocked.add(responses.GET, "https://api.linkedin.com/v2/userinfo", status=recorded["status"], json=recorded["body"])

    with pytest.raises(AuthError) as caught:
        linkedin.profile(token="member-token")

    assert expected in str(caught.value)
    assert "reconnect" in str(caught.value)
    assert caught.value.code == recorded["body"]["serviceErrorCode"]


def test_linkedin_recorded_426_is_a_config_error(mocked, linkedin):
    recorded = linkedin_recording("426_nonexistent_version.json")
    mocked.add(responses.POST, "https://api.linkedin.com/rest/posts", status=recorded["status"], json=recorded["body"])

    with pytest.raises(ConfigError) as caught:
        linkedin.publish(token="member-token", post=PostRequest(author_id="abc", text="hello"))

    assert "LINKEDIN_VERSION" in str(caught.value)
    assert caught.value.status == 426
    assert caught.value.code == "NONEXISTENT_VERSION"
