"""What X gives back: t.co links with entities, HTML-escaped text, timelines Chorus searches."""

import datetime as dt

import requests

from sandbox import SandboxServer

from .helpers import TIMEOUT, bearer, x_connect, x_lookup, x_me, x_post


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_text_is_html_escaped_and_entities_index_into_it(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    sent = "Q&A <live> today: https://chorus.example/r/abc?x=1&y=2 & more"
    created = x_post(sandbox, token, sent).json()["data"]
    text = created["text"]
    assert text.startswith("Q&amp;A &lt;live&gt; today: https://t.co/") and text.endswith(" &amp; more")
    data = x_lookup(sandbox, [created["id"]], **{"tweet.fields": "entities,created_at"}).json()["data"][0]
    assert data["text"] == text and data["created_at"].endswith("Z")
    (url,) = data["entities"]["urls"]
    assert url["url"].startswith("https://t.co/") and text[url["start"]:url["end"]] == url["url"]
    assert url["expanded_url"] == "https://chorus.example/r/abc?x=1&y=2"
    assert url["unwound_url"] == url["expanded_url"]
    assert url["display_url"].startswith("chorus.example/r/abc")
    # The post page shows the text once escaped, not twice.
    page = requests.get(f"{sandbox.url}/x/EmmaEmployee/status/{created['id']}", timeout=TIMEOUT).text
    assert "Q&amp;A &lt;live&gt;" in page and "&amp;amp;" not in page
    # The duplicate check compares what was sent, not the rewritten text.
    assert x_post(sandbox, token, sent).status_code == 403


def test_timeline_as_chorus_searches_it(sandbox: SandboxServer) -> None:
    """GET /2/users/:id/tweets with start_time, exclude, expansions and entities (find_recent_posts)."""
    token = x_connect(sandbox)["access_token"]
    old = x_post(sandbox, token, "old news https://chorus.example/old").json()["data"]["id"]
    sandbox.clock.advance(3600)
    since = sandbox.clock.now() - 60
    fresh = x_post(sandbox, token, "Fresh & new https://chorus.example/new").json()["data"]["id"]
    user_id = x_me(sandbox, token).json()["data"]["id"]
    params = {"start_time": _iso(since), "max_results": "20", "exclude": "replies,retweets",
              "tweet.fields": "created_at,entities", "expansions": "author_id", "user.fields": "username"}
    body = requests.get(f"{sandbox.url}/x/2/users/{user_id}/tweets", params=params, headers=bearer(token),
                        timeout=TIMEOUT).json()
    assert [t["id"] for t in body["data"]] == [fresh]  # the older post is before start_time
    tweet = body["data"][0]
    assert tweet["text"].startswith("Fresh &amp; new https://t.co/") and tweet["created_at"].endswith("Z")
    assert tweet["entities"]["urls"][0]["unwound_url"] == "https://chorus.example/new"
    assert body["includes"]["users"] == [{"id": user_id, "name": "Emma Employee", "username": "EmmaEmployee"}]
    everything = requests.get(f"{sandbox.url}/x/2/users/{user_id}/tweets", params={"max_results": "5"},
                              headers=bearer(token), timeout=TIMEOUT).json()
    assert [t["id"] for t in everything["data"]] == [fresh, old] and "includes" not in everything
    until = requests.get(f"{sandbox.url}/x/2/users/{user_id}/tweets", timeout=TIMEOUT, headers=bearer(token),
                         params={"end_time": _iso(since), "max_results": "5"}).json()
    assert [t["id"] for t in until["data"]] == [old]


def test_timeline_parameter_errors_name_the_parameter(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    user_id = x_me(sandbox, token).json()["data"]["id"]
    for params, name in (({"start_time": "yesterday"}, "start_time"), ({"exclude": "likes"}, "exclude"),
                         ({"max_results": "500"}, "max_results")):
        response = requests.get(f"{sandbox.url}/x/2/users/{user_id}/tweets", params=params, headers=bearer(token),
                                timeout=TIMEOUT)
        assert response.status_code == 400, params
        assert name in response.json()["errors"][0]["parameters"]


def test_lookup_expands_authors_too(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox, member="Sofia Rossi")["access_token"]
    post_id = x_post(sandbox, token, "who wrote this?").json()["data"]["id"]
    body = x_lookup(sandbox, [post_id], **{"tweet.fields": "author_id", "expansions": "author_id",
                                           "user.fields": "username,public_metrics"}).json()
    (user,) = body["includes"]["users"]
    assert user["username"] == "SofiaRossi" and user["id"] == body["data"][0]["author_id"]
    assert user["public_metrics"]["tweet_count"] == 1
