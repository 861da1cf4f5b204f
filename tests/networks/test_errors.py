"""Every documented error shape and status, mapped to our error types.

Bodies are the shapes quoted in NETWORKS.md and in public issue threads (LinkedIn's
DUPLICATE_POST body is verbatim from a user's report; X's duplicate problem object too).
"""

from datetime import UTC, datetime

import pytest
import responses
from freezegun import freeze_time

from networks import (
    AmbiguousPostError,
    AuthError,
    ConfigError,
    NetworkError,
    PostRequest,
    RejectedError,
    TransientError,
)

POST = PostRequest(author_id="abc", text="Hello")
LINKEDIN_POSTS = "https://api.linkedin.com/rest/posts"
X_TWEETS = "https://api.twitter.com/2/tweets"

LINKEDIN_DUPLICATE = {
    "errorDetailType": "com.linkedin.common.error.BadRequest",
    "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
    "Content is a duplicate of urn:li:share:7141138937766391808",
    "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}]},
    "status": 422,
}

LINKEDIN_CASES = [
    # status, body, error type, attributes to check
    (401, {"serviceErrorCode": 65600, "message": "Invalid access token", "status": 401}, AuthError, {"code": 65600}),
    (
        401,
        {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN", "message": "The token used in the request has been revoked by the user"},
        AuthError,
        {"code": 65601},
    ),
    (
        401,
        {"status": 401, "serviceErrorCode": 65602, "code": "EXPIRED_ACCESS_TOKEN", "message": "The token used in the request has expired"},
        AuthError,
        {"code": 65602},
    ),
    (
        403,
        {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED", "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE.20251001"},
        RejectedError,
        {"reason": "forbidden", "duplicate": False},
    ),
    (422, LINKEDIN_DUPLICATE, RejectedError, {"duplicate": True, "duplicate_of": "urn:li:share:7141138937766391808"}),
    (
        422,
        {"status": 422, "message": "ERROR :: /author :: field is required but not found and has no default value"},
        RejectedError,
        {"reason": "invalid", "duplicate": False},
    ),
    (422, {"status": 422, "message": "/commentary :: length exceeds 3000"}, RejectedError, {"reason": "too_long"}),
    (400, {"status": 400, "message": "Unable to parse request body"}, RejectedError, {"reason": "invalid"}),
    (404, {"status": 404, "message": "Not Found"}, RejectedError, {"reason": "not_found"}),
    (
        426,
        {"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 20250101 is not active"},
        ConfigError,
        {"code": "NONEXISTENT_VERSION"},
    ),
    # A 5xx to the create call is ambiguous: the post may exist (wire.possibly_sent's rule).
    (500, {"status": 500, "message": "Internal Server Error"}, AmbiguousPostError, {}),
]


@pytest.mark.parametrize(("status", "body", "error", "attrs"), LINKEDIN_CASES)
def test_linkedin_error_table(mocked, linkedin, status, body, error, attrs):
    mocked.add(responses.POST, LINKEDIN_POSTS, status=status, json=body)

    with pytest.raises(error) as caught:
        linkedin.publish(token="member-token", post=POST)

    assert caught.value.status == status
    assert caught.value.network == "linkedin"
    for name, value in attrs.items():
        assert getattr(caught.value, name) == value, name


def test_linkedin_duplicate_message_is_plain_words(mocked, linkedin):
    mocked.add(responses.POST, LINKEDIN_POSTS, status=422, json=LINKEDIN_DUPLICATE)

    with pytest.raises(RejectedError) as caught:
        linkedin.publish(token="member-token", post=POST)

    assert str(caught.value) == "LinkedIn says this post is a duplicate of one you shared recently."
    assert "BadRequestResponseException" in caught.value.provider_message  # kept for admins


@freeze_time("2026-03-04 22:30:00")
def test_linkedin_429_waits_until_midnight_utc(mocked, linkedin):
    body = {"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS", "message": "Resource level throttle 1 DAY limit for calls to this resource is reached."}
    mocked.add(responses.POST, LINKEDIN_POSTS, status=429, json=body)

    with pytest.raises(TransientError) as caught:
        linkedin.publish(token="member-token", post=POST)

    assert caught.value.retry_after == 90 * 60
    assert "midnight UTC" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"), ("", "text/plain")],
)
def test_linkedin_non_json_5xx_on_publish_is_ambiguous(mocked, linkedin, body, content_type):
    mocked.add(responses.POST, LINKEDIN_POSTS, status=502, body=body, content_type=content_type)

    with pytest.raises(AmbiguousPostError) as caught:
        linkedin.publish(token="member-token", post=POST)

    assert "<html>" not in caught.value.provider_message


def test_linkedin_503_honours_retry_after_header(mocked, linkedin):
    mocked.add(responses.GET, "https://api.linkedin.com/v2/userinfo", status=503, headers={"Retry-After": "30"}, body="busy")

    with pytest.raises(TransientError) as caught:
        linkedin.profile(token="member-token")

    assert caught.value.retry_after == 30


# --------------------------------------------------------------------------- X

X_DUPLICATE = {"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank", "title": "Forbidden", "status": 403}
X_TOO_LONG = {
    "errors": [{"parameters": {"text": ["x" * 10]}, "message": "Your Tweet text is too long. For more information on how Twitter determines text length see https://github.com/twitter/twitter-text."}],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}
X_CASES = [
    (401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, AuthError, {}),
    (401, {"errors": [{"code": 89, "message": "Invalid or expired token."}]}, AuthError, {"code": 89}),
    (403, X_DUPLICATE, RejectedError, {"duplicate": True, "reason": "duplicate"}),
    (403, {"errors": [{"code": 187, "message": "Status is a duplicate."}]}, RejectedError, {"duplicate": True}),
    (400, X_TOO_LONG, RejectedError, {"reason": "too_long"}),
    (403, {**X_TOO_LONG, "status": 403, "title": "Forbidden"}, RejectedError, {"reason": "too_long"}),
    (
        403,
        {"detail": "You are not permitted to perform this action.", "type": "about:blank", "title": "Forbidden", "status": 403},
        RejectedError,
        {"reason": "forbidden", "duplicate": False},
    ),
    (
        403,
        {
            "client_id": "123",
            "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.",
            "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
            "title": "Client Forbidden",
            "required_enrollment": "Appropriate Level of API Access",
            "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden",
        },
        ConfigError,
        {},
    ),
    (
        402,
        {"title": "CreditsDepleted", "detail": "Your enrolled account [1] does not have any credits to fulfill this request.", "type": "https://api.twitter.com/2/problems/credits"},
        ConfigError,
        {},
    ),
    (404, {"title": "Not Found Error", "detail": "Not found", "type": "https://api.twitter.com/2/problems/resource-not-found"}, RejectedError, {"reason": "not_found"}),
    (503, {"title": "Service Unavailable", "detail": "Service Unavailable", "type": "about:blank", "status": 503}, TransientError, {}),
]


@pytest.mark.parametrize(("status", "body", "error", "attrs"), X_CASES)
def test_x_error_table(mocked, x, status, body, error, attrs):
    mocked.add(responses.POST, X_TWEETS, status=status, json=body)

    with pytest.raises(error) as caught:
        x.publish(token="user-token", post=POST)

    assert caught.value.status == status
    assert caught.value.network == "x"
    for name, value in attrs.items():
        assert getattr(caught.value, name) == value, name


def test_x_non_json_503_is_transient(mocked, x):
    mocked.add(responses.POST, X_TWEETS, status=503, body="Service Unavailable", content_type="text/plain")

    with pytest.raises(TransientError):
        x.publish(token="user-token", post=POST)


NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
RESET_IN_120 = str(int(NOW.timestamp()) + 120)


@freeze_time(NOW)
@pytest.mark.parametrize(
    "body",
    [
        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        {"errors": [{"code": 88, "message": "Rate limit exceeded"}]},
        None,
    ],
    ids=["problem", "legacy", "empty"],
)
def test_x_429_retry_after_from_rate_limit_reset(mocked, x, body):
    headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": RESET_IN_120}
    if body is None:
        mocked.add(responses.POST, X_TWEETS, status=429, body="", headers=headers)
    else:
        mocked.add(responses.POST, X_TWEETS, status=429, json=body, headers=headers)

    with pytest.raises(TransientError) as caught:
        x.publish(token="user-token", post=POST)

    assert caught.value.retry_after == 120
    assert x.rate_limit is not None and x.rate_limit.remaining == 0


@freeze_time(NOW)
def test_x_429_on_the_24_hour_user_limit_waits_for_that_reset(mocked, x):
    day_reset = str(int(NOW.timestamp()) + 3600)
    headers = {
        "x-rate-limit-limit": "100",
        "x-rate-limit-remaining": "42",
        "x-rate-limit-reset": RESET_IN_120,
        "x-user-limit-24hour-limit": "2400",
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": day_reset,
        "x-app-limit-24hour-limit": "10000",
        "x-app-limit-24hour-remaining": "9000",
        "x-app-limit-24hour-reset": day_reset,
    }
    mocked.add(responses.POST, X_TWEETS, status=429, json={"title": "Too Many Requests", "status": 429}, headers=headers)

    with pytest.raises(TransientError) as caught:
        x.publish(token="user-token", post=POST)

    assert caught.value.retry_after == 3600
    assert x.daily_limits["user"].remaining == 0
    assert x.daily_limits["app"].remaining == 9000


def test_x_metrics_401_with_app_token_is_a_config_error_not_the_employees(mocked, x):
    mocked.add(responses.GET, X_TWEETS, status=401, json={"title": "Unauthorized", "status": 401, "detail": "Unauthorized", "type": "about:blank"})

    with pytest.raises(ConfigError):
        x.fetch_metrics(remote_ids=["1"])


def test_every_error_is_a_network_error():
    for error in (AuthError, ConfigError, RejectedError, TransientError):
        assert issubclass(error, NetworkError)
