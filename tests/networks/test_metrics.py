"""Metrics: X's 100-id chunks and partial errors; LinkedIn's one-call-per-metric analytics."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from networks import ConfigError, TokenSet, TransientError
from networks.linkedin import LinkedInAdapter
from networks.x import XAdapter

from .conftest import linkedin_config, x_config

X_TWEETS = "https://api.twitter.com/2/tweets"
ANALYTICS = "https://api.linkedin.com/rest/memberCreatorPostAnalytics"


def public_metrics(n: int) -> dict:
    return {"retweet_count": n, "reply_count": 2 * n, "like_count": 3 * n, "quote_count": 1, "bookmark_count": 0, "impression_count": 100 * n}


def echo_tweets(request: requests.PreparedRequest):
    """Answer every requested id, as X does for public posts."""
    ids = parse_qs(urlsplit(request.url).query)["ids"][0].split(",")
    data = [{"id": i, "text": "t", "edit_history_tweet_ids": [i], "public_metrics": public_metrics(int(i))} for i in ids]
    return 200, {"x-rate-limit-limit": "300", "x-rate-limit-remaining": "299", "x-rate-limit-reset": "1900000000"}, json.dumps({"data": data})


def test_x_metrics_chunks_101_ids_into_two_calls(mocked, x):
    mocked.add_callback(responses.GET, X_TWEETS, callback=echo_tweets, content_type="application/json")
    ids = [str(n) for n in range(1, 102)]

    metrics = x.fetch_metrics(remote_ids=ids)

    assert len(mocked.calls) == 2
    chunks = [parse_qs(urlsplit(c.request.url).query) for c in mocked.calls]
    assert [len(c["ids"][0].split(",")) for c in chunks] == [100, 1]
    assert all(c["tweet.fields"] == ["public_metrics"] for c in chunks)
    assert sorted(metrics, key=int) == ids
    seven = metrics["7"]
    assert (seven.reactions, seven.comments, seven.reshares, seven.impressions) == (21, 14, 8, 700)
    assert seven.members_reached is None
    assert seven.raw["bookmark_count"] == 0
    assert x.rate_limit is not None and x.rate_limit.remaining == 299


def test_x_metrics_deduplicates_ids(mocked, x):
    mocked.add_callback(responses.GET, X_TWEETS, callback=echo_tweets, content_type="application/json")

    x.fetch_metrics(remote_ids=["5", "5", "6"])

    assert parse_qs(urlsplit(mocked.calls[0].request.url).query)["ids"] == ["5,6"]


NOT_FOUND = {
    "value": "404",
    "detail": "Could not find tweet with ids: [404].",
    "title": "Not Found Error",
    "resource_type": "tweet",
    "parameter": "ids",
    "resource_id": "404",
    "type": "https://api.twitter.com/2/problems/resource-not-found",
}
PROTECTED = {
    "value": "403",
    "detail": "Sorry, you are not authorized to see the Tweet with ids: [403].",
    "title": "Authorization Error",
    "resource_type": "tweet",
    "parameter": "ids",
    "resource_id": "403",
    "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
}


def test_x_metrics_partial_errors_in_a_200(mocked, x):
    body = {"data": [{"id": "1", "text": "t", "public_metrics": public_metrics(1)}], "errors": [NOT_FOUND, PROTECTED]}
    mocked.add(responses.GET, X_TWEETS, json=body)

    metrics = x.fetch_metrics(remote_ids=["1", "404", "403", "999"])

    assert list(metrics) == ["1"]
    assert x.unavailable == {
        "404": "Could not find tweet with ids: [404].",
        "403": "Sorry, you are not authorized to see the Tweet with ids: [403].",
        "999": "not returned by X",
    }


def test_x_metrics_all_failed_has_no_data(mocked, x):
    mocked.add(responses.GET, X_TWEETS, json={"errors": [NOT_FOUND]})

    assert x.fetch_metrics(remote_ids=["404"]) == {}
    assert set(x.unavailable) == {"404"}


def test_x_metrics_accept_newer_repost_count_name(mocked, x):
    newer = {"repost_count": 4, "reply_count": 1, "like_count": 9, "quote_count": 2, "impression_count": 50}
    mocked.add(responses.GET, X_TWEETS, json={"data": [{"id": "1", "text": "t", "public_metrics": newer}]})

    metrics = x.fetch_metrics(remote_ids=["1"])["1"]

    assert (metrics.reactions, metrics.comments, metrics.reshares, metrics.impressions) == (9, 1, 6, 50)


def test_x_metrics_use_the_app_token_and_fall_back_to_the_users(mocked):
    mocked.add(responses.GET, X_TWEETS, json={"data": []})

    XAdapter(x_config()).fetch_metrics(remote_ids=["1"], token="user-token")
    XAdapter(x_config(app_bearer_token="")).fetch_metrics(remote_ids=["1"], token="user-token")

    assert mocked.calls[0].request.headers["Authorization"].startswith("Bearer app-bearer")
    assert mocked.calls[1].request.headers["Authorization"] == "Bearer user-token"
    with pytest.raises(ConfigError, match="X_APP_BEARER_TOKEN"):
        XAdapter(x_config(app_bearer_token="")).fetch_metrics(remote_ids=["1"])


def test_x_metrics_rate_limited_raises_transient(mocked, x):
    mocked.add(responses.GET, X_TWEETS, status=429, json={"title": "Too Many Requests", "status": 429})

    with pytest.raises(TransientError):
        x.fetch_metrics(remote_ids=["1"])


# --------------------------------------------------------------------------- LinkedIn


def analytics_answer(*, legacy: bool = False, counts: dict[str, int] | None = None):
    counts = counts or {"IMPRESSION": 1200, "MEMBERS_REACHED": 800, "REACTION": 31, "COMMENT": 4, "RESHARE": 2}

    def callback(request: requests.PreparedRequest):
        metric = parse_qs(urlsplit(request.url).query)["queryType"][0]
        metric_type = {"com.linkedin.adsexternalapi.memberanalytics.v1.CreatorPostAnalyticsMetricTypeV1": metric} if legacy else metric
        body = {"paging": {"start": 0, "count": 10, "links": []}, "elements": [{"count": counts[metric], "metricType": metric_type, "targetEntity": {"share": "urn:li:share:123"}}]}
        return 200, {}, json.dumps(body)

    return callback


def test_linkedin_metrics_skipped_without_analytics_access(mocked):
    adapter = LinkedInAdapter(linkedin_config(analytics_enabled=False))

    assert adapter.fetch_metrics(remote_ids=["urn:li:share:123"], token="member-token") == {}
    assert len(mocked.calls) == 0


@pytest.mark.parametrize("legacy", [False, True], ids=["string", "one-key-object"])
def test_linkedin_metrics_one_call_per_metric(mocked, linkedin, legacy):
    mocked.add_callback(responses.GET, ANALYTICS, callback=analytics_answer(legacy=legacy), content_type="application/json")

    metrics = linkedin.fetch_metrics(remote_ids=["urn:li:share:123"], token="member-token")["urn:li:share:123"]

    assert (metrics.impressions, metrics.members_reached, metrics.reactions, metrics.comments, metrics.reshares) == (1200, 800, 31, 4, 2)
    assert len(mocked.calls) == 5
    urls = [c.request.url for c in mocked.calls]
    assert all("?q=entity&entity=(share:urn%3Ali%3Ashare%3A123)&queryType=" in u for u in urls)
    assert all(u.endswith("&aggregation=TOTAL") for u in urls)
    assert {parse_qs(urlsplit(u).query)["queryType"][0] for u in urls} == {"IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE"}
    headers = mocked.calls[0].request.headers
    assert (headers["Authorization"], headers["LinkedIn-Version"], headers["X-Restli-Protocol-Version"]) == ("Bearer member-token", "202510", "2.0.0")


def test_linkedin_metrics_ugc_posts_use_the_ugc_entity(mocked, linkedin):
    mocked.add_callback(responses.GET, ANALYTICS, callback=analytics_answer(), content_type="application/json")

    linkedin.fetch_metrics(remote_ids=["urn:li:ugcPost:987"], token="member-token")

    assert "entity=(ugc:urn%3Ali%3AugcPost%3A987)" in mocked.calls[0].request.url


def test_linkedin_metrics_empty_elements_count_as_zero(mocked, linkedin):
    mocked.add(responses.GET, ANALYTICS, json={"paging": {}, "elements": []})

    metrics = linkedin.fetch_metrics(remote_ids=["urn:li:share:1"], token="member-token")["urn:li:share:1"]

    assert (metrics.impressions, metrics.reactions) == (0, 0)


def test_linkedin_metrics_deleted_and_foreign_ids_are_unavailable(mocked, linkedin):
    mocked.add(responses.GET, ANALYTICS, status=404, json={"status": 404, "message": "Not found"})

    assert linkedin.fetch_metrics(remote_ids=["urn:li:share:1", "1456012973835788293"], token="member-token") == {}
    assert set(linkedin.unavailable) == {"urn:li:share:1", "1456012973835788293"}
    assert len(mocked.calls) == 1  # stops at the first 404; the foreign id is never sent


def test_linkedin_metrics_skip_tokens_granted_without_analytics(mocked, linkedin):
    token = TokenSet(access_token="t", scopes=("openid", "profile", "w_member_social"))

    assert linkedin.fetch_metrics(remote_ids=["urn:li:share:1"], token=token) == {}
    assert "urn:li:share:1" in linkedin.unavailable
    assert len(mocked.calls) == 0


def test_linkedin_metrics_need_the_authors_token(linkedin):
    with pytest.raises(ValueError):
        linkedin.fetch_metrics(remote_ids=["urn:li:share:1"])
