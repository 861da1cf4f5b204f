"""X API v2 over real HTTP: posting, limits, lookups with partial errors, timelines."""

import pytest
import requests

from sandbox import SandboxServer

from .helpers import TIMEOUT, X_APP_BEARER, x_connect, x_post


@pytest.fixture
def token(sandbox: SandboxServer) -> str:
    return x_connect(sandbox)["access_token"]


def _lookup(sandbox: SandboxServer, ids: list[str], bearer: str = X_APP_BEARER, **params: str) -> requests.Response:
    return requests.get(f"{sandbox.url}/x/2/tweets", params={"ids": ",".join(ids), **params},
                        headers={"Authorization": f"Bearer {bearer}"}, timeout=TIMEOUT)


def test_post_201_like_the_recording_with_rate_limit_headers(sandbox: SandboxServer, token: str) -> None:
    response = x_post(sandbox, token, "Test Tweet")
    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == {"id", "text", "edit_history_tweet_ids"}
    assert data["text"] == "Test Tweet" and data["edit_history_tweet_ids"] == [data["id"]]
    assert response.headers["location"].endswith(f"/x/2/tweets/{data['id']}")
    assert response.headers["x-rate-limit-limit"] == "100" and response.headers["x-rate-limit-remaining"] == "99"
    assert int(response.headers["x-rate-limit-reset"]) > sandbox.clock.now()
    for scope in ("user", "app"):
        assert f"x-{scope}-limit-24hour-remaining" in response.headers
    assert response.headers["x-app-limit-24hour-limit"] == "10000"
    page = requests.get(f"{sandbox.url}/x/EmmaEmployee/status/{data['id']}", timeout=TIMEOUT)
    assert page.status_code == 200 and "Test Tweet" in page.text


def test_urls_come_back_as_tco_links(sandbox: SandboxServer, token: str) -> None:
    response = x_post(sandbox, token, "Read https://chorus.example/blog/a-very-long-path?utm=1 today")
    text = response.json()["data"]["text"]
    assert text.startswith("Read https://t.co/") and text.endswith(" today")
    post_id = response.json()["data"]["id"]
    entities = _lookup(sandbox, [post_id], **{"tweet.fields": "entities"}).json()["data"][0]["entities"]
    assert entities["urls"][0]["expanded_url"] == "https://chorus.example/blog/a-very-long-path?utm=1"


def test_duplicate_text_is_403_problem(sandbox: SandboxServer, token: str) -> None:
    assert x_post(sandbox, token, "Once only").status_code == 201
    duplicate = x_post(sandbox, token, "Once only")
    assert duplicate.status_code == 403
    assert duplicate.json() == {"title": "Forbidden", "detail": "You are not allowed to create a Tweet with duplicate content.",
                                "type": "about:blank", "status": 403}
    sandbox.clock.advance(30 * 86400)
    token = x_connect(sandbox)["access_token"]  # the old one has expired
    assert x_post(sandbox, token, "Once only").status_code == 403  # by default: ever


def test_duplicate_window_is_configurable(make_sandbox) -> None:
    sandbox = make_sandbox(x_duplicate_window=3600.0)
    token = x_connect(sandbox)["access_token"]
    assert x_post(sandbox, token, "again later").status_code == 201
    sandbox.clock.advance(3601)
    assert x_post(sandbox, token, "again later").status_code == 201


def test_weighted_length_limit(sandbox: SandboxServer, token: str) -> None:
    assert x_post(sandbox, token, "a" * 280).status_code == 201
    too_long = x_post(sandbox, token, "b" * 281)
    assert too_long.status_code == 400 and "too long" in too_long.json()["detail"]
    assert x_post(sandbox, token, "漢" * 140).status_code == 201
    assert x_post(sandbox, token, "字" * 141).status_code == 400
    url_heavy = "c" * 256 + " https://example.com/" + "p" * 200
    assert x_post(sandbox, token, url_heavy).status_code == 201  # 256 + 1 + 23


def test_app_only_token_cannot_post(sandbox: SandboxServer) -> None:
    refused = x_post(sandbox, X_APP_BEARER, "as the app")
    assert refused.status_code == 403 and refused.json()["title"] == "Unsupported Authentication"
    assert x_post(sandbox, "not-a-token", "nobody").status_code == 401


def test_user_window_429_with_reset_headers_in_both_body_shapes(make_sandbox) -> None:
    sandbox = make_sandbox(x_user_posts_per_window=2)
    token = x_connect(sandbox)["access_token"]
    assert [x_post(sandbox, token, f"post {i}").status_code for i in range(2)] == [201, 201]
    limited = x_post(sandbox, token, "third")
    assert limited.status_code == 429
    assert limited.json() == {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                              "status": 429}
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert int(limited.headers["x-rate-limit-reset"]) > sandbox.clock.now()
    sandbox.config.x_legacy_429_body = True
    legacy = x_post(sandbox, token, "fourth")
    assert legacy.status_code == 429
    assert legacy.json() == {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    sandbox.clock.advance(901)
    assert x_post(sandbox, token, "after the reset").status_code == 201


def test_app_daily_limit(make_sandbox) -> None:
    sandbox = make_sandbox(x_app_posts_per_day=1)
    first, second = x_connect(sandbox, member="Emma Employee"), x_connect(sandbox, member="Liam Carter")
    assert x_post(sandbox, first["access_token"], "one").status_code == 201
    limited = x_post(sandbox, second["access_token"], "two")
    assert limited.status_code == 429 and limited.headers["x-app-limit-24hour-remaining"] == "0"


def test_lookup_returns_data_and_errors_in_one_200(sandbox: SandboxServer, token: str) -> None:
    kept = x_post(sandbox, token, "kept").json()["data"]["id"]
    gone = x_post(sandbox, token, "gone").json()["data"]["id"]
    deleted = requests.delete(f"{sandbox.url}/x/2/tweets/{gone}", headers={"Authorization": f"Bearer {token}"},
                              timeout=TIMEOUT)
    assert deleted.json() == {"data": {"deleted": True}}
    sandbox.clock.advance(7000)
    response = _lookup(sandbox, [kept, gone, "123"], **{"tweet.fields": "public_metrics"})
    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [kept]
    metrics = body["data"][0]["public_metrics"]
    assert set(metrics) == {"retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count",
                            "impression_count"}
    assert metrics["impression_count"] > 0
    assert [(e["resource_id"], e["title"]) for e in body["errors"]] == [(gone, "Not Found Error"), ("123", "Not Found Error")]
    only_missing = _lookup(sandbox, ["1", "2"]).json()
    assert "data" not in only_missing and len(only_missing["errors"]) == 2


def test_lookup_validation_and_newer_metric_names(sandbox: SandboxServer, token: str) -> None:
    assert _lookup(sandbox, [str(i) for i in range(1, 102)]).status_code == 400
    assert _lookup(sandbox, ["abc"]).status_code == 400
    post_id = x_post(sandbox, token, "metrics").json()["data"]["id"]
    sandbox.config.x_new_metric_names = True
    metrics = _lookup(sandbox, [post_id], bearer=token, **{"post.fields": "public_metrics"}).json()["data"][0]
    assert "repost_count" in metrics["public_metrics"] and "retweet_count" in metrics["public_metrics"]


def test_private_metrics_only_for_the_author(sandbox: SandboxServer, token: str) -> None:
    post_id = x_post(sandbox, token, "private").json()["data"]["id"]
    own = _lookup(sandbox, [post_id], bearer=token, **{"tweet.fields": "non_public_metrics"}).json()
    assert "url_link_clicks" in own["data"][0]["non_public_metrics"] and "errors" not in own
    as_app = _lookup(sandbox, [post_id], **{"tweet.fields": "non_public_metrics"}).json()
    assert "non_public_metrics" not in as_app["data"][0]
    assert as_app["errors"][0]["type"].endswith("not-authorized-for-field")


def test_user_timeline_newest_first(sandbox: SandboxServer, token: str) -> None:
    ids = []
    for i in range(6):
        ids.append(x_post(sandbox, token, f"timeline {i}").json()["data"]["id"])
        sandbox.clock.advance(1)
    me = requests.get(f"{sandbox.url}/x/2/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    user_id = me.json()["data"]["id"]
    timeline = requests.get(f"{sandbox.url}/x/2/users/{user_id}/tweets",
                            params={"max_results": 5, "tweet.fields": "created_at"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT).json()
    assert [item["id"] for item in timeline["data"]] == ids[::-1][:5]
    assert timeline["data"][0]["text"] == "timeline 5" and timeline["data"][0]["created_at"].endswith("Z")
    assert timeline["meta"]["result_count"] == 5 and timeline["meta"]["next_token"]
    too_few = requests.get(f"{sandbox.url}/x/2/users/{user_id}/tweets", params={"max_results": 4},
                           headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert too_few.status_code == 400
