"""Connecting through the service with provider-shaped answers (``responses`` in front of the
real adapters): granted scopes, tokens that cannot renew themselves, LinkedIn's "revoked"
answer for a token it has just issued, and app-configuration refusals."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
import responses
from django.core import mail
from freezegun import freeze_time

from advocacy.models import SocialAccount
from advocacy.services.connections import (
    ConnectError,
    account_block_reason,
    cannot_post_message,
    connect_finish,
    connect_start,
)
from advocacy.services.tokens import account_access_token, accounts_warn_expiring
from networks import AuthError
from notifications.models import Notification
from tests.conftest import point_chorus_at_real_hosts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
X_TOKEN = "https://api.x.com/2/oauth2/token"
X_ME = "https://api.x.com/2/users/me"
LI_TOKEN = "https://www.linkedin.com/oauth/v2/accessToken"
LI_USERINFO = "https://api.linkedin.com/v2/userinfo"
X_ME_BODY = {"data": {"id": "1072250532645998596", "name": "Tweepy Testing", "username": "TweepyDev",
                      "public_metrics": {"followers_count": 42}}}
LI_USERINFO_BODY = {"sub": "AbCdE12345", "email_verified": True, "name": "Jane Doe",
                    "locale": {"country": "US", "language": "en"}, "given_name": "Jane", "family_name": "Doe",
                    "email": "jane.doe@example.com"}
LI_REVOKED = {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN",
              "message": "The token used in the request has been revoked by the user"}
LI_ACCESS_DENIED = {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                    "message": "Not enough permissions to access: userinfo.GET.NO_VERSION"}


@pytest.fixture
def real_hosts(settings):
    """Chorus configured for the real provider hosts (``responses`` answers for them)."""
    point_chorus_at_real_hosts(settings)
    settings.LINKEDIN_POST_ANALYTICS = False
    settings.ADMINS = [("Ops", "ops@example.com")]
    return settings


@pytest.fixture
def mocked(real_hosts) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def connect(user, network: str, *, pause=None):
    """What the browser does: start, consent (the provider redirects back with a code), finish."""
    session: dict = {}
    url = connect_start(session=session, network=network)
    state = parse_qs(urlsplit(url).query)["state"][0]
    return connect_finish(user=user, session=session, network=network,
                          params={"state": state, "code": "code-Tq3"}, pause=pause)


def x_token(*, scope: str, refresh: bool, expires_in: int = 7200) -> dict:
    body = {"token_type": "bearer", "expires_in": expires_in, "access_token": "x-access-Vb7r2Lq9mW", "scope": scope}
    if refresh:
        body["refresh_token"] = "x-refresh-Hs4p8Kd2nX"
    return body


# --------------------------------------------------------------------------- X without offline.access


def test_x_without_offline_access_is_stored_unrenewable_warned_once_with_its_real_expiry(mocked, redis_url):
    ann = UserFactory(timezone="Europe/Paris")
    mocked.post(X_TOKEN, json=x_token(scope="tweet.read users.read tweet.write", refresh=False))
    mocked.get(X_ME, json=X_ME_BODY)
    with freeze_time(NOW) as clock:
        result = connect(ann, "x")

        account = SocialAccount.objects.get(user=ann, network="x")
        assert (account.refresh_token, account.expires_at, account.status) == ("", NOW + timedelta(hours=2), "expiring")
        assert account.is_usable and result.can_post
        assert result.warning == (
            "This X connection can't renew itself because posting access wasn't granted to stay signed in. "
            "It works until 4 Mar 2026, 15:00 (Europe/Paris); after that, reconnect and allow Chorus to stay "
            "signed in to keep sharing."
        )
        [warning] = Notification.objects.filter(user=ann)
        assert warning.kind == "expiring" and warning.title == "Your X connection expires in 2 hours"
        assert warning.body == (
            "Your X connection can't renew itself because posting access wasn't granted to stay signed in. "
            "It works until 4 Mar 2026, 15:00 (Europe/Paris); after that, reconnect in one click and allow "
            "Chorus to stay signed in to keep sharing."
        )
        assert "60 days" not in warning.body and mail.outbox == []  # the employee is reading it on the page

        clock.move_to(NOW + timedelta(hours=1))  # the hourly sweep: already warned, nothing new
        assert accounts_warn_expiring() == 0
        assert Notification.objects.filter(user=ann).count() == 1

        clock.move_to(NOW + timedelta(hours=2, minutes=1))  # lapsed: reconnect, told once, by email
        accounts_warn_expiring()
        accounts_warn_expiring()
        account.refresh_from_db()
        assert account.status == "reconnect" and not account.is_usable
        assert account.last_error == "Your X connection expired and could not renew itself."
        [notice] = Notification.objects.filter(user=ann, kind="reconnect")
        assert notice.body == (
            "Your X connection expired: it couldn't renew itself because posting access wasn't granted to stay "
            "signed in. Reconnect in one click and allow Chorus to stay signed in to keep sharing."
        )
        assert [m.subject for m in mail.outbox] == ["Reconnect your X account"]
        with pytest.raises(AuthError, match="expired and could not renew itself"):
            account_access_token(account=account)


def test_reconnecting_x_with_offline_access_makes_it_renewable(mocked, redis_url):
    ann = UserFactory()
    mocked.post(X_TOKEN, json=x_token(scope="tweet.read users.read tweet.write", refresh=False))
    mocked.get(X_ME, json=X_ME_BODY)
    with freeze_time(NOW):
        connect(ann, "x")
    mocked.replace(responses.POST, X_TOKEN,
                   json=x_token(scope="tweet.read users.read tweet.write offline.access", refresh=True))
    with freeze_time(NOW + timedelta(minutes=30)):
        result = connect(ann, "x")
    account = SocialAccount.objects.get(user=ann)
    assert result.reconnected and result.warning == ""
    assert (account.status, account.refresh_token) == ("active", "x-refresh-Hs4p8Kd2nX")
    assert account.scope_set == {"tweet.read", "users.read", "tweet.write", "offline.access"}
    assert Notification.objects.filter(user=ann).count() == 1  # only the first connection's warning


# --------------------------------------------------------------------------- granted scopes


@pytest.mark.parametrize(("network", "granted"), [
    # LinkedIn sends comma-separated scopes; the member did not allow posting.
    ("linkedin", "email,openid,profile"),
    ("x", "tweet.read users.read offline.access"),
])
def test_consent_without_the_posting_permission_is_stored_as_cannot_post(mocked, redis_url, network, granted):
    ann = UserFactory()
    if network == "linkedin":
        mocked.post(LI_TOKEN, json={"access_token": "li-access-Pq8sT5vK2z", "expires_in": 5184000, "scope": granted})
        mocked.get(LI_USERINFO, json=LI_USERINFO_BODY)
    else:
        mocked.post(X_TOKEN, json=x_token(scope=granted, refresh=True))
        mocked.get(X_ME, json=X_ME_BODY)
    with freeze_time(NOW):
        result = connect(ann, network)
    account = SocialAccount.objects.get(user=ann)
    name = "LinkedIn" if network == "linkedin" else "X"
    message = f"Chorus can't post to {name} for you: posting wasn't allowed when you connected. " \
              f"Reconnect {name} and allow posting."
    assert cannot_post_message(network) == message
    assert account.scope_set == set(granted.replace(",", " ").split())
    assert (account.status, account.last_error, account.is_usable) == ("reconnect", message, False)
    assert not result.can_post and result.warning == message
    assert account_block_reason(account) == message
    with pytest.raises(AuthError) as refused:
        account_access_token(account=account)
    assert str(refused.value) == message
    # The employee reads it on the page right now: no notification, no email.
    assert not Notification.objects.exists() and mail.outbox == []


# --------------------------------------------------------------------------- LinkedIn's first profile call


def test_linkedin_revoked_answer_right_after_the_exchange_is_asked_again_once_after_a_pause(mocked, redis_url):
    ann = UserFactory()
    mocked.post(LI_TOKEN, json={"access_token": "li-access-Pq8sT5vK2z", "expires_in": 5184000,
                                "scope": "email,openid,profile,w_member_social"})
    userinfo = [
        mocked.get(LI_USERINFO, status=401, json=LI_REVOKED),
        mocked.get(LI_USERINFO, json=LI_USERINFO_BODY),
    ]
    pauses: list[float] = []
    with freeze_time(NOW):
        result = connect(ann, "linkedin", pause=pauses.append)
    assert pauses == [1.0] and [call.call_count for call in userinfo] == [1, 1]
    assert (result.account.remote_id, result.account.status, result.warning) == ("AbCdE12345", "active", "")


def test_linkedin_revoked_twice_fails_the_connect(mocked, redis_url):
    ann = UserFactory()
    mocked.post(LI_TOKEN, json={"access_token": "li-access-Pq8sT5vK2z", "expires_in": 5184000,
                                "scope": "email,openid,profile,w_member_social"})
    mocked.get(LI_USERINFO, status=401, json=LI_REVOKED)
    pauses: list[float] = []
    with freeze_time(NOW), pytest.raises(ConnectError, match="LinkedIn refused the sign-in"):
        connect(ann, "linkedin", pause=pauses.append)
    assert pauses == [1.0] and len(mocked.calls) == 3  # token, userinfo, userinfo: no third try
    assert not SocialAccount.objects.exists()


# --------------------------------------------------------------------------- configuration errors


def test_a_403_while_connecting_says_what_is_missing_and_emails_the_admins_once_an_hour(mocked, redis_url):
    mocked.post(LI_TOKEN, json={"access_token": "li-access-Pq8sT5vK2z", "expires_in": 5184000,
                                "scope": "w_member_social"})
    mocked.get(LI_USERINFO, status=403, json=LI_ACCESS_DENIED)
    with freeze_time(NOW), pytest.raises(ConnectError) as first:
        connect(UserFactory(), "linkedin")
    message = str(first.value)
    assert message.startswith("LinkedIn can't be connected yet: LinkedIn would not tell Chorus who you are: "
                              "Chorus's LinkedIn app is missing the product")
    assert message.endswith("Your administrators have been told.")
    assert "openid" in message and "please connect again" not in message.lower()
    assert not SocialAccount.objects.exists()
    [alert] = mail.outbox
    assert alert.to == ["ops@example.com"] and "can't connect LinkedIn" in alert.subject
    assert "Not enough permissions to access: userinfo.GET" in alert.body

    with freeze_time(NOW + timedelta(minutes=20)), pytest.raises(ConnectError):
        connect(UserFactory(), "linkedin")
    assert len(mail.outbox) == 1  # once an hour, whoever tries
    ttl = redis.Redis.from_url(redis_url).ttl("alert:admins:connect-config:linkedin:403:100")
    assert 0 < ttl <= 3600


def test_x_403_while_connecting_names_the_missing_permission(mocked, redis_url):
    mocked.post(X_TOKEN, json=x_token(scope="tweet.read tweet.write offline.access", refresh=True))
    mocked.get(X_ME, status=403, json={"title": "Forbidden", "type": "about:blank", "status": 403,
                                       "detail": "Forbidden"})
    with freeze_time(NOW), pytest.raises(ConnectError) as refused:
        connect(UserFactory(), "x")
    assert "users.read" in str(refused.value) and "Your administrators have been told." in str(refused.value)
    assert len(mail.outbox) == 1 and "can't connect X" in mail.outbox[0].subject


def test_admin_alerts_fail_open_without_redis(mocked, settings):
    from tests.conftest import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    mocked.post(LI_TOKEN, json={"access_token": "li-access-Pq8sT5vK2z", "expires_in": 5184000,
                                "scope": "w_member_social"})
    mocked.get(LI_USERINFO, status=403, json=LI_ACCESS_DENIED)
    for _ in range(2):
        with freeze_time(NOW), pytest.raises(ConnectError):
            connect(UserFactory(), "linkedin")
    assert len(mail.outbox) == 2  # Redis cannot say "already sent": better twice than never


@pytest.mark.parametrize(("status", "body"), [
    (503, '{"error": "server_error"}'),
    (200, "<html><body>We'll be back shortly</body></html>"),
])
def test_token_endpoint_outage_while_connecting_asks_to_try_again(mocked, redis_url, status, body):
    mocked.post(X_TOKEN, status=status, body=body,
                content_type="text/html" if body.startswith("<") else "application/json")
    with freeze_time(NOW), pytest.raises(ConnectError, match="X is not answering right now"):
        connect(UserFactory(), "x")
    assert not SocialAccount.objects.exists() and mail.outbox == []
