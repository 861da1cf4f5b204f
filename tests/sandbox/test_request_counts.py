"""Counting what the networks saw: per network and endpoint group, faulted ones too, resettable."""

import pytest
import requests

from sandbox import SandboxServer

from .helpers import TIMEOUT, li_post, linkedin_connect, x_connect, x_lookup, x_post


def _counts(sandbox: SandboxServer) -> dict:
    return requests.get(f"{sandbox.url}/_sandbox/requests", timeout=TIMEOUT).json()


def test_requests_during_an_outage_are_counted_and_the_window_resets(sandbox: SandboxServer) -> None:
    token = x_connect(sandbox)["access_token"]
    li_token = linkedin_connect(sandbox)["access_token"]
    before = requests.delete(f"{sandbox.url}/_sandbox/requests", timeout=TIMEOUT).json()  # returns, then resets
    assert before["requests"]["x.oauth"] == 1 and before["requests"]["linkedin.oauth"] == 1
    assert _counts(sandbox)["total"] == 0

    # The outage: every X post answers 503 for a while.
    sandbox.faults.add("error", network="x", group="post", status=503)
    statuses = [x_post(sandbox, token, f"attempt {i}").status_code for i in range(4)]
    assert statuses == [503] * 4
    sandbox.faults.next("drop", network="x", group="metrics")
    with pytest.raises(requests.ConnectionError):
        x_lookup(sandbox, ["1"])
    during = requests.post(f"{sandbox.url}/_sandbox/requests", json={"reset": True}, timeout=TIMEOUT).json()
    assert during["requests"] == {"x.metrics": 1, "x.post": 4}
    assert during["faulted"] == {"x.metrics": 1, "x.post": 4}
    assert during["networks"] == {"x": 5} and during["total"] == 5 and during["since"] <= during["now"]

    sandbox.faults.clear()
    assert x_post(sandbox, token, "after the outage").status_code == 201
    assert li_post(sandbox, li_token, "and LinkedIn").status_code == 201  # li_post also calls userinfo
    after = sandbox.state.request_counts()
    assert after["requests"] == {"linkedin.post": 1, "linkedin.profile": 1, "x.post": 1} and after["faulted"] == {}
    assert sandbox.state.requests["x.post"] == 1  # the plain dict stays available to Python callers


def test_control_requests_are_not_counted_and_state_shows_counts(sandbox: SandboxServer) -> None:
    for _ in range(3):
        requests.get(f"{sandbox.url}/_sandbox/state", timeout=TIMEOUT)
    requests.get(f"{sandbox.url}/x/2/users/me", timeout=TIMEOUT)  # 401, still counted
    state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=TIMEOUT).json()
    assert state["requests"] == {"x.profile": 1} and state["faulted"] == {}
    assert requests.put(f"{sandbox.url}/_sandbox/requests", timeout=TIMEOUT).status_code == 404
