"""Fault injection: in Python, over the HTTP control API, repeatable with a seed."""

import time

import pytest
import requests

from sandbox import Faults, SandboxServer, parse_fault_spec

from .helpers import TIMEOUT, li_headers, li_post, linkedin_connect, x_connect, x_post


def test_accept_then_drop_leaves_the_x_post_stored(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    sandbox.faults.next("drop_after_accept", network="x", group="post")
    with pytest.raises(requests.ConnectionError):
        x_post(sandbox, token, "Did this go out?")
    assert [p.raw_text for p in sandbox.state.posts("x")] == ["Did this go out?"]
    retry = x_post(sandbox, token, "Did this go out?")  # a naive retry: the duplicate check saves the day
    assert retry.status_code == 403


def test_accept_then_drop_leaves_the_linkedin_post_stored(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    headers = li_headers(token)
    author = requests.get(f"{sandbox.url}/linkedin/v2/userinfo", headers=headers, timeout=TIMEOUT).json()["sub"]
    assert author
    sandbox.faults.next("drop_after_accept", network="linkedin", group="post")
    with pytest.raises(requests.ConnectionError):
        li_post(sandbox, token, "Dropped but posted")
    assert [p.text for p in sandbox.state.posts("linkedin")] == ["Dropped but posted"]
    assert li_post(sandbox, token, "next one is fine").status_code == 201  # count was 1


def test_faults_over_the_http_control_endpoint(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    rule = {"kind": "error", "network": "x", "group": "post", "count": 2, "status": 503}
    configured = requests.post(f"{sandbox.url}/_sandbox/faults", json={"add": [rule]}, timeout=TIMEOUT)
    assert configured.status_code == 200 and configured.json()["rules"][0]["count"] == 2
    statuses = [x_post(sandbox, token, f"try {i}").status_code for i in range(3)]
    assert statuses == [503, 503, 201]
    assert requests.get(f"{sandbox.url}/_sandbox/faults", timeout=TIMEOUT).json()["rules"] == []
    bad = requests.post(f"{sandbox.url}/_sandbox/faults", json={"add": [{"kind": "meteor"}]}, timeout=TIMEOUT)
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]


def test_timeout_hangs_past_the_client_timeout_and_nothing_is_stored(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    sandbox.faults.hang_seconds = 2.0
    sandbox.faults.next("timeout", network="x", group="post")
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        x_post(sandbox, token, "slow", timeout=(1, 0.3))
    assert time.monotonic() - started < 1.5
    assert sandbox.state.posts("x") == []


def test_timeout_after_accept_stores_the_post(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    sandbox.faults.hang_seconds = 2.0
    sandbox.faults.next("timeout_after_accept", group="post")
    with pytest.raises(requests.ReadTimeout):
        x_post(sandbox, token, "stored, then silence", timeout=(1, 0.3))
    assert len(sandbox.state.posts("x")) == 1


def test_rate_limit_faults_with_and_without_reset_headers(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    sandbox.faults.next("rate_limit", network="x")
    with_headers = x_post(sandbox, token, "a")
    assert with_headers.status_code == 429 and with_headers.headers["x-rate-limit-remaining"] == "0"
    sandbox.faults.next("rate_limit_bare", network="x")
    bare = x_post(sandbox, token, "b")
    assert bare.status_code == 429 and "x-rate-limit-reset" not in bare.headers
    li_token = linkedin_connect(sandbox)["access_token"]
    sandbox.faults.next("rate_limit", network="linkedin", group="post")
    li = li_post(sandbox, li_token, "c")
    assert li.status_code == 429 and li.json()["serviceErrorCode"] == 101 and "x-rate-limit-reset" not in li.headers


def test_token_faults_expired_and_revoked_for_the_next_calls(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    sandbox.faults.next("expired_token", 2, network="linkedin", group="post")
    codes = [li_post(sandbox, token, f"t{i}").json().get("serviceErrorCode") for i in range(2)]
    assert codes == [65602, 65602]
    sandbox.faults.next("revoked_token", network="linkedin", group="profile")
    info = requests.get(f"{sandbox.url}/linkedin/v2/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert info.status_code == 401 and info.json()["serviceErrorCode"] == 65601
    x_token = x_connect(sandbox)
    sandbox.faults.next("revoked_token", network="x", group="oauth")
    refreshed = requests.post(f"{sandbox.url}/x/2/oauth2/token", auth=("chorus-sandbox-x", "sandbox-x-secret"),
                              data={"grant_type": "refresh_token", "refresh_token": x_token["refresh_token"]}, timeout=TIMEOUT)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_request"


def test_duplicate_and_version_faults(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]
    sandbox.faults.next("version_retired", network="linkedin")
    assert li_post(sandbox, token, "v").status_code == 426
    sandbox.faults.next("duplicate")
    assert li_post(sandbox, token, "d").json()["errorDetails"]["inputErrors"][0]["code"] == "DUPLICATE_POST"
    x_token = x_connect(sandbox)["access_token"]
    sandbox.faults.next("duplicate", network="x")
    assert x_post(sandbox, x_token, "fresh text").status_code == 403


def test_probability_is_repeatable_with_a_seed() -> None:
    def draws(seed: int) -> list[bool]:
        faults = Faults(seed=seed)
        faults.add("error", probability=0.5)
        return [faults.before("x", "post").rule is not None for _ in range(40)]

    assert draws(7) == draws(7)
    assert 5 < sum(draws(7)) < 35
    assert draws(7) != draws(8)


def test_error_rate_and_latency(sandbox: SandboxServer) -> None:
    sandbox.faults.latency_ms = 150
    started = time.monotonic()
    assert requests.get(f"{sandbox.url}/x/2/users/me", timeout=TIMEOUT).status_code == 401
    assert time.monotonic() - started >= 0.15
    sandbox.faults.latency_ms = 0
    sandbox.faults.error_rate = 1.0
    assert requests.get(f"{sandbox.url}/x/2/users/me", timeout=TIMEOUT).status_code in (500, 502, 503)
    assert requests.get(f"{sandbox.url}/_sandbox/state", timeout=TIMEOUT).status_code == 200  # never faulted


def test_web_pages_are_not_faulted_unless_targeted(sandbox: SandboxServer) -> None:
    sandbox.faults.add("error", status=500)
    assert requests.get(f"{sandbox.url}/x/i/oauth2/authorize", timeout=TIMEOUT).status_code == 400  # validation, not 500
    sandbox.faults.next("drop", group="web")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sandbox.url}/x/i/oauth2/authorize", timeout=TIMEOUT)


def test_parse_fault_spec() -> None:
    assert parse_fault_spec("drop_after_accept,network=x,group=post,count=1") == {
        "kind": "drop_after_accept", "network": "x", "group": "post", "count": 1}
    assert parse_fault_spec("error,probability=0.2,status=502") == {"kind": "error", "probability": 0.2, "status": 502}
    with pytest.raises(ValueError, match="unknown endpoint group"):
        parse_fault_spec("error,group=everything")
