"""Publishing: LinkedIn article posts and thumbnails, X text composition, reconciliation,
costs, URLs, and the registry."""

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.conf import settings
from django.test import override_settings

from networks import NETWORKS, NetworkConfig, PostRequest, RejectedError, get_adapter
from networks.linkedin import LinkedInAdapter
from networks.x import XAdapter

from .conftest import linkedin_config

POSTS = "https://api.linkedin.com/rest/posts"
IMAGES = "https://api.linkedin.com/rest/images"
UPLOAD = "https://www.linkedin.com/dms-uploads/sp/v2/D4E10AQ/uploaded-image/0?ca=vector_ads"
IMAGE_URN = "urn:li:image:C4E10AQFoyyAjHPMQuQ"
ARTICLE = PostRequest(
    author_id="abc",
    text="Our Q3 results (finally) #growth",
    link_url="https://example.com/q3_results",
    title="Q3 results",
    description="Everything that happened",
    thumbnail=b"\x89PNG-bytes",
    thumbnail_content_type="image/png",
)


def created(mocked, urn: str = "urn:li:share:1") -> None:
    mocked.add(responses.POST, POSTS, status=201, body="", headers={"x-restli-id": urn})


def sent_post(mocked) -> dict:
    return json.loads(next(c for c in mocked.calls if c.request.url == POSTS).request.body)


def test_linkedin_article_post_with_thumbnail(mocked, linkedin):
    mocked.add(responses.POST, IMAGES, json={"value": {"uploadUrlExpiresAt": 1700000000000, "uploadUrl": UPLOAD, "image": IMAGE_URN}})
    mocked.add(responses.PUT, UPLOAD, status=201)
    created(mocked, "urn:li:ugcPost:77")

    post = linkedin.publish(token="member-token", post=ARTICLE)

    init, put, create = mocked.calls
    assert parse_qs(urlsplit(init.request.url).query) == {"action": ["initializeUpload"]}
    assert json.loads(init.request.body) == {"initializeUploadRequest": {"owner": "urn:li:person:abc"}}
    assert put.request.body == b"\x89PNG-bytes"
    assert put.request.headers["Authorization"] == "Bearer member-token"
    assert put.request.headers["Content-Type"] == "image/png"
    body = json.loads(create.request.body)
    assert body["commentary"] == r"Our Q3 results \(finally\) #growth"
    assert body["content"] == {
        "article": {"source": "https://example.com/q3_results", "title": "Q3 results", "description": "Everything that happened", "thumbnail": IMAGE_URN}
    }
    assert post.url == "https://www.linkedin.com/feed/update/urn:li:ugcPost:77/"


@pytest.mark.parametrize("failure", ["init", "put", "insecure-upload-url", "bad-json"])
def test_linkedin_thumbnail_failure_posts_without_it(mocked, linkedin, caplog, failure):
    upload = "http://uploads.example.com/put" if failure == "insecure-upload-url" else UPLOAD
    if failure == "init":
        mocked.add(responses.POST, IMAGES, status=500, json={"status": 500, "message": "boom"})
    elif failure == "bad-json":
        mocked.add(responses.POST, IMAGES, json={"unexpected": True})
    else:
        mocked.add(responses.POST, IMAGES, json={"value": {"uploadUrl": upload, "image": IMAGE_URN}})
    mocked.add(responses.PUT, UPLOAD, status=500 if failure == "put" else 201)
    created(mocked)

    with caplog.at_level(logging.WARNING, logger="networks"):
        post = linkedin.publish(token="member-token", post=ARTICLE)

    assert post.remote_id == "urn:li:share:1"
    assert "thumbnail" not in sent_post(mocked)["content"]["article"]
    assert any("without a thumbnail" in r.getMessage() for r in caplog.records)
    assert not any(c.request.url.startswith("http://uploads.example.com") for c in mocked.calls)


def test_linkedin_text_post_has_no_content_and_title_falls_back_to_the_link(mocked, linkedin):
    created(mocked)
    linkedin.publish(token="t", post=PostRequest(author_id="urn:li:person:abc", text="Just words"))
    created(mocked)
    linkedin.publish(token="t", post=PostRequest(author_id="abc", text="", link_url="https://e.com/a"))

    first, second = (json.loads(c.request.body) for c in mocked.calls)
    assert "content" not in first and first["author"] == "urn:li:person:abc"
    assert second["content"] == {"article": {"source": "https://e.com/a", "title": "https://e.com/a"}}


def test_linkedin_refuses_text_over_3000_characters_without_calling(mocked, linkedin):
    with pytest.raises(RejectedError) as caught:
        linkedin.publish(token="t", post=PostRequest(author_id="abc", text="a" * 3001))

    assert caught.value.reason == "too_long"
    assert len(mocked.calls) == 0


def test_linkedin_find_recent_post_is_none_without_calling(mocked, linkedin):
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert linkedin.find_recent_posts(token="t", author_id="abc", text="x", link_url=None, since=since) == []
    assert len(mocked.calls) == 0


# --------------------------------------------------------------------------- X


@pytest.mark.parametrize(
    ("text", "link", "expected"),
    [
        ("Great read", "https://e.com/a", "Great read\n\nhttps://e.com/a"),
        ("Great read https://e.com/a !", "https://e.com/a", "Great read https://e.com/a !"),
        ("", "https://e.com/a", "https://e.com/a"),
        ("Just text", None, "Just text"),
    ],
)
def test_x_compose_text(text, link, expected):
    assert XAdapter.compose_text(PostRequest(author_id="1", text=text, link_url=link)) == expected


def test_x_publish_sends_only_text(mocked, x):
    mocked.add(responses.POST, "https://api.twitter.com/2/tweets", status=201, json={"data": {"id": "9", "text": "t", "edit_history_tweet_ids": ["9"]}})

    post = x.publish(token="user-token", post=ARTICLE)

    assert json.loads(mocked.calls[0].request.body) == {"text": "Our Q3 results (finally) #growth\n\nhttps://example.com/q3_results"}
    assert post.url == "https://x.com/i/web/status/9"  # no handle given


def test_x_costs(x, linkedin):
    assert x.cost_of(PostRequest(author_id="1", text="plain")) == Decimal("0.015")
    assert x.cost_of(PostRequest(author_id="1", text="see https://e.com")) == Decimal("0.20")
    assert x.cost_of(PostRequest(author_id="1", text="x", link_url="https://e.com")) == Decimal("0.20")
    assert linkedin.cost_of(ARTICLE) == Decimal("0")


TIMELINE = {
    "data": [
        {"id": "30", "author_id": "7", "text": "Something else entirely", "entities": {}},
        {
            "id": "20",
            "author_id": "7",
            "text": "Q&amp;A: results &lt;final&gt;\n\nhttps://t.co/abc",
            "entities": {"urls": [{"url": "https://t.co/abc", "expanded_url": "https://example.com/q3", "display_url": "example.com/q3"}]},
        },
    ],
    "includes": {"users": [{"id": "7", "username": "emma", "name": "Emma"}]},
    "meta": {"result_count": 2},
}


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("Q&A: results <final>\n\nhttps://example.com/q3", None),
        ("Q&A:   results <final>  https://example.com/q3", None),
        ("different words", "https://example.com/q3/"),
    ],
    ids=["text-with-link", "text-spacing", "link-only"],
)
def test_x_find_recent_post_matches(mocked, x, text, link):
    mocked.add(responses.GET, "https://api.twitter.com/2/users/7/tweets", json=TIMELINE)

    found = x.find_recent_posts(token="user-token", author_id="7", text=text, link_url=link, since=datetime(2026, 3, 4, 12, 0, tzinfo=UTC))

    assert len(found) == 1
    [found] = found
    assert (found.remote_id, found.url) == ("20", "https://x.com/emma/status/20")
    params = parse_qs(urlsplit(mocked.calls[0].request.url).query)
    assert params["start_time"] == ["2026-03-04T11:58:00Z"]
    assert params["exclude"] == ["replies,retweets"]
    assert mocked.calls[0].request.headers["Authorization"] == "Bearer user-token"


def test_x_find_recent_post_none_when_nothing_matches(mocked, x):
    mocked.add(responses.GET, "https://api.twitter.com/2/users/7/tweets", json={"meta": {"result_count": 0}})

    assert x.find_recent_posts(token="t", author_id="7", text="hello", link_url=None, since=datetime.now(UTC)) == []


# --------------------------------------------------------------------------- registry


def test_registry_builds_adapters_by_name():
    assert NETWORKS == ("linkedin", "x")
    assert isinstance(get_adapter("linkedin", linkedin_config()), LinkedInAdapter)
    with pytest.raises(ValueError):
        get_adapter("mastodon")
    with pytest.raises(ValueError):
        get_adapter("x", linkedin_config())


SANDBOX_SETTINGS = {
    "LINKEDIN_AUTH_URL": "http://127.0.0.1:8765/linkedin/oauth/v2",
    "LINKEDIN_API_URL": "http://127.0.0.1:8765/linkedin",
    "LINKEDIN_WEB_URL": "http://127.0.0.1:8765/linkedin",
    "LINKEDIN_CLIENT_ID": "chorus-sandbox-linkedin",
    "LINKEDIN_CLIENT_SECRET": "sandbox-linkedin-secret",
    "X_API_URL": "http://127.0.0.1:8765/x",
    "X_WEB_URL": "http://127.0.0.1:8765/x",
    "X_AUTHORIZE_URL": "http://127.0.0.1:8765/x/i/oauth2/authorize",
    "X_COST_POST_WITH_URL": 0.2,
}


def test_config_from_settings_follows_the_sandbox_url_layout():
    assert settings.OUTBOUND_HTTP_TIMEOUT  # loaded before overriding
    with override_settings(**SANDBOX_SETTINGS):
        li = NetworkConfig.from_settings("linkedin")
        x = NetworkConfig.from_settings("x")

    assert LinkedInAdapter(li).token_url == "http://127.0.0.1:8765/linkedin/oauth/v2/accessToken"
    assert li.authorize_url == "http://127.0.0.1:8765/linkedin/oauth/v2/authorization"
    assert XAdapter(x).token_url == "http://127.0.0.1:8765/x/2/oauth2/token"
    assert XAdapter(x).post_url("5", "emma") == "http://127.0.0.1:8765/x/emma/status/5"
    assert LinkedInAdapter(li).post_url("urn:li:share:1") == "http://127.0.0.1:8765/linkedin/feed/update/urn:li:share:1/"
    assert x.cost_post_with_url == Decimal("0.2")
    assert "sandbox-linkedin-secret" not in repr(li)
