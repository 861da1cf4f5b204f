"""The faults real LinkedIn and X produce that a naive client gets wrong, over real HTTP."""

import pytest
import requests

from sandbox import FAULT_KINDS, SandboxServer

from .helpers import (
    REDIRECT,
    TIMEOUT,
    X_ID,
    X_SECRET,
    li_analytics,
    li_post,
    li_userinfo,
    linkedin_connect,
    linkedin_session,
    x_connect,
    x_lookup,
    x_me,
    x_post,
)

LI_ANALYTICS_SCOPES = ["openid", "profile", "email", "w_member_social", "r_member_postAnalytics"]


def test_every_new_kind_is_described() -> None:
    for kind in ("body_only_id", "metrics_forbidden", "token_html", "revoked_after_exchange", "connect_forbidden",
                 "invalid_id", "error_after_accept"):
        assert FAULT_KINDS[kind]


# --- body_only_id ---
def test_body_only_id_puts_the_urn_in_the_body_and_not_in_the_header(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    x_token = x_connect(sandbox)["access_token"]
    sandbox.faults.next("body_only_id")  # no network or group: still only LinkedIn post creation
    assert x_post(sandbox, x_token, "X is untouched").status_code == 201
    created = li_post(sandbox, token, "Where is my id?")
    assert created.status_code == 201
    assert "x-restli-id" not in created.headers and created.headers["Content-Type"].startswith("application/json")
    (post,) = sandbox.state.posts("linkedin")
    assert created.json() == {"id": post.id} and post.id.startswith("urn:li:share:")
    assert sandbox.faults.rules == []
    assert li_post(sandbox, token, "back to normal").headers["x-restli-id"]


# --- error_after_accept ---
def test_error_after_accept_stores_the_post_then_answers_5xx(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    sandbox.faults.next("error_after_accept", network="linkedin", group="post")
    failed = li_post(sandbox, token, "Stored although you saw a 500")
    assert failed.status_code == 500 and failed.json()["status"] == 500 and "x-restli-id" not in failed.headers
    (stored,) = sandbox.state.posts("linkedin")
    retry = li_post(sandbox, token, "Stored although you saw a 500")  # a naive retry
    assert retry.status_code == 422 and retry.json()["message"].endswith(f"Content is a duplicate of {stored.id}")
    sandbox.faults.next("error_after_accept", network="linkedin", group="post", status=503)
    assert li_post(sandbox, token, "second one").status_code == 503
    assert len(sandbox.state.posts("linkedin")) == 2
    x_token = x_connect(sandbox)["access_token"]
    sandbox.faults.next("error_after_accept", network="x", group="post", status=503)
    x_failed = x_post(sandbox, x_token, "X too")
    assert x_failed.status_code == 503 and x_failed.json()["title"] == "Service Unavailable"
    assert [p.raw_text for p in sandbox.state.posts("x")] == ["X too"]


# --- metrics_forbidden ---
def test_metrics_forbidden_on_linkedin_analytics(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox, scopes=LI_ANALYTICS_SCOPES)["access_token"]
    sandbox.faults.add("metrics_forbidden")
    urn = li_post(sandbox, token, "posting still works").headers["x-restli-id"]  # not the metrics group
    denied = li_analytics(sandbox, token, urn)
    assert denied.status_code == 403
    assert denied.json() == {
        "status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
        "message": "Not enough permissions to access: memberCreatorPostAnalytics.GET_FINDER-entity.20251001",
    }


def test_metrics_forbidden_on_x_lookup_is_a_client_forbidden_problem(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    post_id = x_post(sandbox, token, "count me").json()["data"]["id"]
    sandbox.faults.next("metrics_forbidden", network="x")
    denied = x_lookup(sandbox, [post_id], **{"tweet.fields": "public_metrics"})
    assert denied.status_code == 403
    body = denied.json()
    assert body["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    assert body["title"] == "Client Forbidden" and body["reason"] == "client-not-enrolled" and body["detail"]
    assert x_lookup(sandbox, [post_id]).status_code == 200


# --- token_html ---
def test_token_html_answers_a_maintenance_page_with_200(sandbox: SandboxServer) -> None:
    session = linkedin_session()
    url, _ = session.authorization_url(f"{sandbox.url}/linkedin/oauth/v2/authorization")
    code = requests.get(url + "&decision=allow", allow_redirects=False, timeout=TIMEOUT).headers["Location"]
    code = code.split("code=", 1)[1].split("&", 1)[0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": "chorus-sandbox-linkedin", "client_secret": "sandbox-linkedin-secret"}
    sandbox.faults.next("token_html", network="linkedin")
    page = requests.post(f"{sandbox.url}/linkedin/oauth/v2/accessToken", data=form, timeout=TIMEOUT)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.text.lstrip().startswith("<!DOCTYPE html>")
    with pytest.raises(ValueError):
        page.json()
    retried = requests.post(f"{sandbox.url}/linkedin/oauth/v2/accessToken", data=form, timeout=TIMEOUT)
    assert retried.status_code == 200 and retried.json()["access_token"]  # the code was never used


def test_token_html_variant_with_502_on_x(sandbox: SandboxServer) -> None:
    connected = x_connect(sandbox)
    sandbox.faults.next("token_html", network="x", status=502)
    sandbox.faults.next("token_html", network="x", group="profile")  # meaningless there: never fires
    refresh = requests.post(f"{sandbox.url}/x/2/oauth2/token", auth=(X_ID, X_SECRET), timeout=TIMEOUT,
                            data={"grant_type": "refresh_token", "refresh_token": connected["refresh_token"]})
    assert refresh.status_code == 502 and refresh.headers["Content-Type"].startswith("text/html")
    assert x_me(sandbox, connected["access_token"]).status_code == 200


# --- revoked_after_exchange ---
def test_revoked_after_exchange_on_linkedin_first_userinfo_only(sandbox: SandboxServer) -> None:
    sandbox.faults.next("revoked_after_exchange", network="linkedin")
    token = linkedin_connect(sandbox)["access_token"]
    first = li_userinfo(sandbox, token)
    assert first.status_code == 401
    assert first.json() == {"status": 401, "serviceErrorCode": 65601,
                            "message": "The token used in the request has been revoked by the user"}
    assert li_userinfo(sandbox, token).status_code == 200
    assert li_post(sandbox, token, "the token was fine all along").status_code == 201
    assert sandbox.faults.to_dict()["rules"] == [] and sandbox.state.request_counts()["faulted"] == {"linkedin.profile": 1}


def test_revoked_after_exchange_on_x_arms_only_the_new_token(sandbox: SandboxServer) -> None:
    older = x_connect(sandbox, member="Liam Carter")["access_token"]
    sandbox.faults.next("revoked_after_exchange", network="x")
    newer = x_connect(sandbox)["access_token"]
    assert x_me(sandbox, older).status_code == 200  # issued before the fault was armed
    first = x_me(sandbox, newer)
    assert first.status_code == 401 and first.json()["title"] == "Unauthorized"
    assert x_me(sandbox, newer).status_code == 200
    third = x_connect(sandbox)["access_token"]  # count was 1: the next exchange is clean
    assert x_me(sandbox, third).status_code == 200


# --- connect_forbidden ---
def test_connect_forbidden_linkedin_without_openid_connect_product(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    sandbox.faults.next("connect_forbidden", network="linkedin")
    denied = li_userinfo(sandbox, token)
    assert denied.status_code == 403
    assert denied.json() == {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                             "message": "Not enough permissions to access: userinfo.GET.NO_VERSION"}


def test_connect_forbidden_x_client_forbidden(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    sandbox.faults.add("connect_forbidden", network="x")
    assert x_post(sandbox, token, "posting is another group").status_code == 201
    denied = x_me(sandbox, token)
    assert denied.status_code == 403
    assert denied.json()["type"] == "https://api.twitter.com/2/problems/client-forbidden"
    assert denied.json()["client_id"] == X_ID


# --- X lookups: deleted posts, invalid ids ---
def test_x_lookup_reports_posts_deleted_through_the_control_api(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    kept, gone = (x_post(sandbox, token, text).json()["data"]["id"] for text in ("kept", "gone"))
    deleted = requests.delete(f"{sandbox.url}/_sandbox/posts/x/{gone}", timeout=TIMEOUT)
    assert deleted.status_code == 200 and deleted.json()["post"]["deleted"] is True
    body = x_lookup(sandbox, [kept, gone], **{"tweet.fields": "public_metrics"}).json()
    assert [d["id"] for d in body["data"]] == [kept]
    (error,) = body["errors"]
    assert error == {"value": gone, "detail": f"Could not find tweet with ids: [{gone}].", "title": "Not Found Error",
                     "resource_type": "tweet", "parameter": "ids", "resource_id": gone,
                     "type": "https://api.twitter.com/2/problems/resource-not-found"}
    assert requests.get(f"{sandbox.url}/x/EmmaEmployee/status/{gone}", timeout=TIMEOUT).status_code == 404
    assert requests.delete(f"{sandbox.url}/_sandbox/posts/x/123", timeout=TIMEOUT).status_code == 404
    assert requests.delete(f"{sandbox.url}/_sandbox/posts/mastodon/1", timeout=TIMEOUT).status_code == 400
    sandbox.state.delete_post("x", kept)  # the same from Python
    assert "data" not in x_lookup(sandbox, [kept, gone]).json()


def test_x_lookup_names_invalid_ids_in_the_documented_shape(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    post_id = x_post(sandbox, token, "valid").json()["data"]["id"]
    natural = x_lookup(sandbox, [post_id, "urn:li:share:1", "12345678901234567890"])
    assert natural.status_code == 400
    body = natural.json()
    assert body["title"] == "Invalid Request" and body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["detail"] == "One or more parameters to your request was invalid." and "status" not in body
    assert [e["parameters"] for e in body["errors"]] == [{"ids": ["urn:li:share:1"]}, {"ids": ["12345678901234567890"]}]
    assert "[urn:li:share:1]" in body["errors"][0]["message"]

    sandbox.faults.next("invalid_id", network="x")
    injected = x_lookup(sandbox, [post_id, "1"])
    assert injected.status_code == 400
    assert injected.json()["errors"] == [
        {"parameters": {"ids": [post_id]}, "message": f"The `ids` query parameter value [{post_id}] is not valid"}]
    assert x_lookup(sandbox, [post_id]).status_code == 200


# --- duplicates naming the existing post ---
def test_injected_linkedin_duplicate_names_the_post_with_the_same_text(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    sandbox.faults.next("duplicate", network="linkedin")
    placeholder = li_post(sandbox, token, "nothing posted yet").json()
    assert placeholder["message"].endswith("Content is a duplicate of urn:li:share:7000000000000000000")
    urn = li_post(sandbox, token, "the real one").headers["x-restli-id"]
    li_post(sandbox, token, "a later, different post")
    sandbox.clock.advance(3600)  # past the natural ~10-minute check: only the fault can say "duplicate"
    sandbox.faults.next("duplicate", 2, network="linkedin")
    named = li_post(sandbox, token, "the real one")
    assert named.status_code == 422
    body = named.json()
    assert body["message"] == ("com.linkedin.content.common.exception.BadRequestResponseException: "
                               f"Content is a duplicate of {urn}")
    assert body["errorDetails"] == {"inputErrors": [{"description": "Duplicate post is detected", "input": {},
                                                     "code": "DUPLICATE_POST"}]}
    assert body["status"] == 422 and body["errorDetailType"] == "com.linkedin.common.error.BadRequest"
    other = li_post(sandbox, token, "words never posted").json()["message"]
    assert other.endswith("urn:li:share:7000000000000000000")  # never another post with other text


def test_x_natural_duplicate_is_the_documented_403(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    assert x_post(sandbox, token, "Say it once").status_code == 201
    again = x_post(sandbox, token, "Say it once")
    assert again.status_code == 403
    assert again.json()["detail"] == "You are not allowed to create a Tweet with duplicate content."
    other = x_connect(sandbox, member="Sofia Rossi")["access_token"]
    assert x_post(sandbox, other, "Say it once").status_code == 201  # same text, another author


# --- X refresh tokens only with offline.access ---
def test_x_refresh_token_only_when_consent_included_offline_access(sandbox: SandboxServer) -> None:
    without = x_connect(sandbox, scopes=["tweet.read", "tweet.write", "users.read"])
    assert "refresh_token" not in without and "offline.access" not in without["scope"]
    with_offline = x_connect(sandbox)
    assert with_offline["refresh_token"]
