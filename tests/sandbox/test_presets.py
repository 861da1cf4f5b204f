"""Preset (demo-seeded) connections: deterministic tokens the sandbox accepts on any start."""

from pathlib import Path

import pytest
import requests

from sandbox import SandboxServer
from sandbox.presets import parse_preset_token, preset_connection, preset_token

from .helpers import (
    TIMEOUT,
    X_ID,
    X_SECRET,
    li_analytics,
    li_headers,
    li_post_body,
    li_userinfo,
    x_me,
    x_post,
)


def _li_post(sandbox: SandboxServer, connection: dict, text: str) -> requests.Response:
    """Post the way Chorus does with a stored connection: author from remote_id, no userinfo call."""
    return requests.post(f"{sandbox.url}/linkedin/rest/posts", timeout=TIMEOUT,
                         json=li_post_body(f"urn:li:person:{connection['remote_id']}", text),
                         headers=li_headers(connection["access_token"]))


def test_preset_connections_are_deterministic() -> None:
    first, again = preset_connection("linkedin", "Liam Carter"), preset_connection("linkedin", "Liam  Carter ")
    assert first == again
    assert first["access_token"].startswith("sandbox-demo.linkedin.") and first["refresh_token"] is None
    assert first["handle"] == "" and first["display_name"] == "Liam Carter" and len(first["remote_id"]) == 10
    x = preset_connection("x", "Mateo García")
    assert x["handle"] == "MateoGarcia" and x["remote_id"].isdigit() and len(x["remote_id"]) == 19
    assert x["refresh_token"] and x["scopes"] == "tweet.read tweet.write users.read offline.access"
    assert preset_connection("x", "Mateo García", scopes=["tweet.read", "tweet.write", "users.read"])["refresh_token"] is None
    parsed = parse_preset_token(x["refresh_token"])
    assert parsed is not None and parsed.kind == "refresh" and parsed.name == "Mateo García"
    with pytest.raises(ValueError, match="unknown network"):
        preset_token("mastodon", "Someone")


def test_seeded_linkedin_connection_posts_on_a_fresh_sandbox(sandbox: SandboxServer) -> None:
    connection = preset_connection("linkedin", "Noah Schmidt")
    created = _li_post(sandbox, connection, "Seeded, never connected in a browser")
    assert created.status_code == 201
    (post,) = sandbox.state.posts("linkedin")
    assert post.author_name == "Noah Schmidt" and post.author_id == connection["remote_id"]
    info = li_userinfo(sandbox, connection["access_token"]).json()
    assert info["sub"] == connection["remote_id"] and info["name"] == "Noah Schmidt"
    # Scopes are those of the preset: no analytics without r_member_postAnalytics.
    assert li_analytics(sandbox, connection["access_token"], post.id).status_code == 403
    with_analytics = preset_connection("linkedin", "Noah Schmidt",
                                       scopes=["openid", "profile", "email", "w_member_social", "r_member_postAnalytics"])
    assert li_analytics(sandbox, with_analytics["access_token"], post.id).status_code == 200


def test_seeded_x_connection_posts_and_refreshes(sandbox: SandboxServer) -> None:
    connection = preset_connection("x", "Grace Kim")
    me = x_me(sandbox, connection["access_token"]).json()["data"]
    assert me == {"id": connection["remote_id"], "name": "Grace Kim", "username": connection["handle"]}
    assert x_post(sandbox, connection["access_token"], "Seeded on X").status_code == 201
    refreshed = requests.post(f"{sandbox.url}/x/2/oauth2/token", auth=(X_ID, X_SECRET), timeout=TIMEOUT,
                              data={"grant_type": "refresh_token", "refresh_token": connection["refresh_token"]})
    assert refreshed.status_code == 200 and refreshed.json()["refresh_token"] != connection["refresh_token"]
    assert x_post(sandbox, refreshed.json()["access_token"], "After a refresh").status_code == 201
    reused = requests.post(f"{sandbox.url}/x/2/oauth2/token", auth=(X_ID, X_SECRET), timeout=TIMEOUT,
                           data={"grant_type": "refresh_token", "refresh_token": connection["refresh_token"]})
    assert reused.status_code == 400  # rotation applies to preset refresh tokens too


def test_seeded_connections_post_on_a_first_and_a_later_start(tmp_path: Path) -> None:
    path = tmp_path / "sandbox-state.json"
    li, x = preset_connection("linkedin", "Chloe Martin"), preset_connection("x", "Chloe Martin")
    with SandboxServer(state_file=path) as first:
        assert _li_post(first, li, "first start").status_code == 201
        assert x_post(first, x["access_token"], "first start").status_code == 201
    with SandboxServer(state_file=path) as later:
        assert _li_post(later, li, "later start").status_code == 201
        assert x_post(later, x["access_token"], "later start").status_code == 201
        assert len(later.state.posts("linkedin")) == 2 and len(later.state.posts("x")) == 2
    path.unlink()
    with SandboxServer(state_file=path) as lost_state:  # state file gone: still accepted
        assert _li_post(lost_state, li, "after losing the state").status_code == 201


def test_revoking_a_preset_token_sticks_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    x = preset_connection("x", "Ravi Patel")
    with SandboxServer(state_file=path) as first:
        revoked = requests.post(f"{first.url}/x/2/oauth2/revoke", auth=(X_ID, X_SECRET), timeout=TIMEOUT,
                                data={"token": x["access_token"]})
        assert revoked.status_code == 200
        assert x_post(first, x["access_token"], "revoked").status_code == 401
    with SandboxServer(state_file=path) as later:
        assert x_post(later, x["access_token"], "still revoked").status_code == 401


def test_preset_expiry_and_forged_tokens(sandbox: SandboxServer) -> None:
    expiring = preset_connection("linkedin", "Aisha Bello", expires_at=sandbox.clock.now() + 60)
    assert li_userinfo(sandbox, expiring["access_token"]).status_code == 200
    sandbox.clock.advance(61)
    expired = li_userinfo(sandbox, expiring["access_token"])
    assert expired.status_code == 401 and expired.json()["serviceErrorCode"] == 65602
    good = preset_connection("x", "Aisha Bello")["access_token"]
    prefix, network, payload, signature = good.split(".")
    for forged in (f"{prefix}.{network}.{payload}.{'0' * len(signature)}", good[:-1], "sandbox-demo.x.e30.abc",
                   good.replace("sandbox-demo.x.", "sandbox-demo.linkedin.")):
        assert x_post(sandbox, forged, "forged").status_code == 401
    assert li_userinfo(sandbox, good).status_code == 401  # an X token is not a LinkedIn token
