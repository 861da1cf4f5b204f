"""LinkedIn REST over real HTTP: posts, images, analytics, versions, errors."""

from urllib.parse import quote

import pytest
import requests

from sandbox import SandboxServer

from .helpers import (
    LI_ID,
    LI_SECRET,
    REDIRECT,
    TIMEOUT,
    consent,
    li_headers,
    li_member,
    li_post,
    li_post_body,
    linkedin_connect,
    query_of,
)


@pytest.fixture
def token(sandbox: SandboxServer) -> str:
    return linkedin_connect(sandbox, scopes=["openid", "profile", "email", "w_member_social", "r_member_postAnalytics"])[
        "access_token"
    ]


def _get_post(sandbox: SandboxServer, token: str, urn: str) -> requests.Response:
    return requests.get(f"{sandbox.url}/linkedin/rest/posts/{quote(urn, safe='')}", headers=li_headers(token),
                        timeout=TIMEOUT)


def _upload_image(sandbox: SandboxServer, token: str, author: str) -> str:
    init = requests.post(f"{sandbox.url}/linkedin/rest/images", params={"action": "initializeUpload"},
                         json={"initializeUploadRequest": {"owner": author}}, headers=li_headers(token), timeout=TIMEOUT)
    assert init.status_code == 200
    value = init.json()["value"]
    assert value["uploadUrl"].startswith(sandbox.url + "/linkedin/upload/")
    assert value["image"].startswith("urn:li:image:") and value["uploadUrlExpiresAt"] > sandbox.clock.ms()
    put = requests.put(value["uploadUrl"], data=b"\x89PNG fake bytes", timeout=TIMEOUT,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"})
    assert put.status_code == 201
    return value["image"]


def _analytics(sandbox: SandboxServer, token: str, urn: str, metric: str = "IMPRESSION") -> requests.Response:
    key = "share" if ":share:" in urn else "ugc"
    url = (f"{sandbox.url}/linkedin/rest/memberCreatorPostAnalytics?q=entity&entity=({key}:{quote(urn, safe='')})"
           f"&queryType={metric}&aggregation=TOTAL")
    return requests.get(url, headers=li_headers(token), timeout=TIMEOUT)


def test_full_flow_from_consent_to_a_post_with_plain_requests(sandbox: SandboxServer) -> None:
    """Authorize page -> Allow -> code -> token (body credentials) -> userinfo -> image -> post -> read back."""
    page = requests.get(f"{sandbox.url}/linkedin/oauth/v2/authorization", timeout=TIMEOUT, params={
        "response_type": "code", "client_id": LI_ID, "redirect_uri": REDIRECT, "state": "abc",
        "scope": "openid profile email w_member_social"})
    callback = query_of(consent(page, member="Emma Employee").headers["Location"])
    assert callback["state"] == "abc"
    token = requests.post(f"{sandbox.url}/linkedin/oauth/v2/accessToken", timeout=TIMEOUT, data={
        "grant_type": "authorization_code", "code": callback["code"], "redirect_uri": REDIRECT,
        "client_id": LI_ID, "client_secret": LI_SECRET}).json()
    assert token["scope"] == "email,openid,profile,w_member_social" and token["expires_in"] == 5184000
    access = token["access_token"]
    info = requests.get(f"{sandbox.url}/linkedin/v2/userinfo", headers={"Authorization": f"Bearer {access}"},
                        timeout=TIMEOUT).json()
    assert info["locale"] == {"country": "US", "language": "en"} and info["name"] == "Emma Employee"
    author = f"urn:li:person:{info['sub']}"
    image = _upload_image(sandbox, access, author)
    body = li_post_body(author, r"Big news \(really\) \#1 #launch",
                        content={"article": {"source": "https://chorus.example/n", "title": "News", "thumbnail": image}})
    created = requests.post(f"{sandbox.url}/linkedin/rest/posts", json=body, headers=li_headers(access), timeout=TIMEOUT)
    assert (created.status_code, created.content) == (201, b"")
    stored = _get_post(sandbox, access, created.headers["x-restli-id"]).json()
    assert stored["commentary"] == "Big news (really) #1 #launch"


def test_article_post_with_thumbnail_201_empty_body_and_id_in_header(sandbox: SandboxServer, token: str) -> None:
    author = li_member(sandbox, token)
    image = _upload_image(sandbox, token, author)
    article = {"source": "https://chorus.example/blog/launch", "title": "Launch", "description": "We shipped",
               "thumbnail": image}
    response = li_post(sandbox, token, r"We shipped \(finally\)\! Read more", content={"article": article})
    assert response.status_code == 201
    assert response.content == b""
    urn = response.headers["x-restli-id"]
    assert urn.startswith("urn:li:share:")
    stored = _get_post(sandbox, token, urn).json()
    assert stored["commentary"] == "We shipped (finally)! Read more"
    assert stored["author"] == author and stored["content"]["article"]["thumbnail"] == image
    page = requests.get(f"{sandbox.url}/linkedin/feed/update/{urn}/", timeout=TIMEOUT)
    assert page.status_code == 200 and "We shipped (finally)! Read more" in page.text and "Launch" in page.text
    assert [p.text for p in sandbox.state.posts("linkedin")] == ["We shipped (finally)! Read more"]


def test_thumbnail_must_be_an_uploaded_image(sandbox: SandboxServer, token: str) -> None:
    author = li_member(sandbox, token)
    init = requests.post(f"{sandbox.url}/linkedin/rest/images?action=initializeUpload", headers=li_headers(token),
                         json={"initializeUploadRequest": {"owner": author}}, timeout=TIMEOUT).json()["value"]
    article = {"source": "https://chorus.example/a", "title": "A", "thumbnail": init["image"]}
    assert li_post(sandbox, token, "not uploaded yet", content={"article": article}).status_code == 422
    article["thumbnail"] = "urn:li:image:doesNotExist"
    assert li_post(sandbox, token, "unknown image", content={"article": article}).status_code == 422


def test_unescaped_parenthesis_silently_truncates(sandbox: SandboxServer, token: str) -> None:
    response = li_post(sandbox, token, "Our results (Q3) are in")
    assert response.status_code == 201
    stored = _get_post(sandbox, token, response.headers["x-restli-id"]).json()
    assert stored["commentary"] == "Our results "


def test_hashtags_and_mentions_are_kept(sandbox: SandboxServer, token: str) -> None:
    text = r"Proud of @[Ada Admin](urn:li:person:AbC123) and the team #launch #Chorus2026 \- 100\% done\_"
    response = li_post(sandbox, token, text)
    stored = _get_post(sandbox, token, response.headers["x-restli-id"]).json()
    assert stored["commentary"] == "Proud of @[Ada Admin](urn:li:person:AbC123) and the team #launch #Chorus2026 - 100% done_"


def test_missing_fields_bad_json_long_text_and_wrong_author(sandbox: SandboxServer, token: str) -> None:
    author = li_member(sandbox, token)
    body = li_post_body(author, "hello")
    del body["distribution"]
    missing = requests.post(f"{sandbox.url}/linkedin/rest/posts", json=body, headers=li_headers(token), timeout=TIMEOUT)
    assert missing.status_code == 422 and "/distribution" in missing.json()["message"]
    bad_json = requests.post(f"{sandbox.url}/linkedin/rest/posts", data=b"{nope",
                             headers={**li_headers(token), "Content-Type": "application/json"}, timeout=TIMEOUT)
    assert bad_json.status_code == 400
    assert li_post(sandbox, token, "x" * 3001).status_code == 422
    assert li_post(sandbox, token, "x" * 3000).status_code == 201
    other = requests.post(f"{sandbox.url}/linkedin/rest/posts", json=li_post_body("urn:li:person:someoneElse", "hi"),
                          headers=li_headers(token), timeout=TIMEOUT)
    assert other.status_code == 403 and other.json()["code"] == "ACCESS_DENIED"


def test_duplicate_within_ten_minutes_is_422(sandbox: SandboxServer, token: str) -> None:
    first = li_post(sandbox, token, "Same words")
    assert first.status_code == 201
    duplicate = li_post(sandbox, token, "Same words")
    assert duplicate.status_code == 422
    body = duplicate.json()  # LinkedIn's real shape: the code only in errorDetails, the URN in the message
    assert body["errorDetails"]["inputErrors"][0]["code"] == "DUPLICATE_POST" and "code" not in body
    assert body["message"].endswith(f"Content is a duplicate of {first.headers['x-restli-id']}")
    sandbox.clock.advance(601)
    assert li_post(sandbox, token, "Same words").status_code == 201


def test_versions_missing_retired_and_current(sandbox: SandboxServer, token: str) -> None:
    headers = li_headers(token)
    del headers["LinkedIn-Version"]
    missing = requests.post(f"{sandbox.url}/linkedin/rest/posts", json={}, headers=headers, timeout=TIMEOUT)
    assert missing.status_code == 400 and missing.json()["code"] == "VERSION_MISSING"
    retired = requests.post(f"{sandbox.url}/linkedin/rest/posts", json={}, headers=li_headers(token, "202301"),
                            timeout=TIMEOUT)
    assert retired.status_code == 426
    assert retired.json() == {"status": 426, "code": "NONEXISTENT_VERSION",
                              "message": "Requested version 20230101 is not active"}
    sandbox.config.linkedin_retired_versions = ("202510",)
    assert li_post(sandbox, token, "on a version retired by config").status_code == 426


def test_expired_revoked_and_invalid_tokens_have_their_codes(sandbox: SandboxServer, token: str) -> None:
    invalid = li_post(sandbox, token, "x")  # warm-up succeeds
    assert invalid.status_code == 201
    garbage = requests.post(f"{sandbox.url}/linkedin/rest/posts", json={}, headers=li_headers("garbage"), timeout=TIMEOUT)
    assert garbage.json()["serviceErrorCode"] == 65600 and garbage.json()["code"] == "INVALID_ACCESS_TOKEN"
    author = li_member(sandbox, token)
    sandbox.clock.advance(5_184_001)
    expired = requests.post(f"{sandbox.url}/linkedin/rest/posts", json=li_post_body(author, "late"),
                            headers=li_headers(token), timeout=TIMEOUT)
    assert expired.status_code == 401
    assert expired.json() == {"status": 401, "serviceErrorCode": 65602, "code": "EXPIRED_ACCESS_TOKEN",
                              "message": "The token used in the request has expired"}
    fresh = linkedin_connect(sandbox)["access_token"]
    requests.post(f"{sandbox.url}/linkedin/oauth/v2/revoke", timeout=TIMEOUT, data={
        "client_id": "chorus-sandbox-linkedin", "client_secret": "sandbox-linkedin-secret", "token": fresh})
    revoked = requests.post(f"{sandbox.url}/linkedin/rest/posts", json=li_post_body(author, "revoked"),
                            headers=li_headers(fresh), timeout=TIMEOUT)
    assert revoked.status_code == 401 and revoked.json()["serviceErrorCode"] == 65601


def test_analytics_grow_over_time_for_every_metric(sandbox: SandboxServer, token: str) -> None:
    urn = li_post(sandbox, token, "Measure me").headers["x-restli-id"]
    first = _analytics(sandbox, token, urn)
    assert first.status_code == 200
    element = first.json()["elements"][0]
    assert element == {"count": 0, "metricType": "IMPRESSION", "targetEntity": {"share": urn}}
    sandbox.clock.advance(3600)
    counts = {}
    for metric in ("IMPRESSION", "MEMBERS_REACHED", "RESHARE", "REACTION", "COMMENT"):
        counts[metric] = _analytics(sandbox, token, urn, metric).json()["elements"][0]["count"]
    assert counts["IMPRESSION"] > 100 and counts["MEMBERS_REACHED"] <= counts["IMPRESSION"]
    sandbox.clock.advance(36000)
    assert _analytics(sandbox, token, urn).json()["elements"][0]["count"] >= counts["IMPRESSION"]
    sandbox.config.linkedin_legacy_metric_type = True
    legacy = _analytics(sandbox, token, urn).json()["elements"][0]["metricType"]
    assert isinstance(legacy, dict) and list(legacy.values()) == ["IMPRESSION"]


def test_analytics_for_ugc_posts(make_sandbox) -> None:
    sandbox = make_sandbox(linkedin_post_urn_kind="ugcPost")
    token = linkedin_connect(sandbox, scopes=["openid", "w_member_social", "r_member_postAnalytics"])["access_token"]
    urn = li_post(sandbox, token, "ugc").headers["x-restli-id"]
    assert urn.startswith("urn:li:ugcPost:")
    body = _analytics(sandbox, token, urn).json()
    assert body["elements"][0]["targetEntity"] == {"ugc": urn}


def test_analytics_without_scope_is_403_access_denied(sandbox: SandboxServer) -> None:
    token = linkedin_connect(sandbox)["access_token"]  # no r_member_postAnalytics
    urn = li_post(sandbox, token, "no analytics for me").headers["x-restli-id"]
    denied = _analytics(sandbox, token, urn)
    assert denied.status_code == 403 and denied.json()["code"] == "ACCESS_DENIED"


def test_member_daily_limit_is_429_without_rate_limit_headers(make_sandbox) -> None:
    sandbox = make_sandbox(linkedin_member_daily_posts=2)
    token = linkedin_connect(sandbox)["access_token"]
    assert [li_post(sandbox, token, f"post {i}").status_code for i in range(2)] == [201, 201]
    throttled = li_post(sandbox, token, "one too many")
    assert throttled.status_code == 429 and throttled.json()["serviceErrorCode"] == 101
    assert not any(h.lower().startswith(("x-rate", "retry-after", "x-ratelimit")) for h in throttled.headers)


def test_delete_post(sandbox: SandboxServer, token: str) -> None:
    urn = li_post(sandbox, token, "short-lived").headers["x-restli-id"]
    deleted = requests.delete(f"{sandbox.url}/linkedin/rest/posts/{quote(urn, safe='')}", headers=li_headers(token),
                              timeout=TIMEOUT)
    assert deleted.status_code == 204
    assert _get_post(sandbox, token, urn).status_code == 404
