"""The token check on every API request: the lockout count rides on the token's query
(one query, not two), and the lockout still holds both ways (accounts.api_auth,
accounts.lockout.first_if_login_allowed)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.api_auth import LockedOut, PersonalTokenAuthentication
from accounts.lockout import first_if_login_allowed, login_allowed
from accounts.models import ApiToken
from accounts.services.api_tokens import TOKEN_ROWS, api_token_create, api_token_prefix
from tests.factories import advocate

pytestmark = pytest.mark.django_db

FEED = "/api/v1/feed/"
IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def _redis(redis_url):
    """The API's throttle counts in the real embedded Redis (emptied for each test)."""


def _plain(**kwargs) -> str:
    return api_token_create(user=advocate(), name="Script", scope="read", expires_in_days=30, **kwargs).plain


def _authenticate(plain: str, ip: str = IP):
    request = APIView().initialize_request(
        APIRequestFactory().get(FEED, HTTP_AUTHORIZATION=f"Bearer {plain}", REMOTE_ADDR=ip)
    )
    return PersonalTokenAuthentication().authenticate(request)


def _failures(n: int, ip: str = IP, *, minutes_ago: int = 0) -> None:
    attempt = AccessAttempt.objects.create(
        ip_address=ip, username=None, user_agent="", http_accept="", path_info=FEED, failures_since_start=n,
    )
    # attempt_time is auto_now_add: set it afterwards
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(minutes=minutes_ago))


def test_a_right_token_costs_one_query(django_assert_num_queries):
    plain = _plain()
    _authenticate(plain)  # the first use writes last_used_at
    with django_assert_num_queries(1):
        user, token = _authenticate(plain)
    assert token.user == user and token.prefix in plain and user.is_active


def test_the_failures_are_counted_in_the_same_query(settings, django_assert_num_queries):
    settings.LOGIN_FAILURES_PER_CLIENT = 5
    plain = _plain()
    _authenticate(plain)
    _failures(4)
    with django_assert_num_queries(1):
        assert _authenticate(plain)[1].prefix in plain  # below the limit: in
    _failures(1)
    with django_assert_num_queries(1), pytest.raises(LockedOut):
        _authenticate(plain)  # at the limit: even the right token is refused
    assert _authenticate(plain, ip="198.51.100.8")[1].prefix in plain  # another client is not locked out


def test_old_failures_and_other_clients_failures_do_not_count(settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 3
    plain = _plain()
    _failures(10, minutes_ago=settings.LOGIN_LOCKOUT_MINUTES + 1)  # cooled off
    _failures(10, ip="198.51.100.9")
    assert _authenticate(plain)[1].prefix in plain


def test_it_decides_as_login_allowed_does(settings, rf):
    """Same answer as the separate check, at each count around the limit."""
    settings.LOGIN_FAILURES_PER_CLIENT = 3
    plain = _plain()
    for _ in range(4):
        expected = login_allowed(rf.get(FEED, REMOTE_ADDR=IP), username=None)
        allowed, row = first_if_login_allowed(rf.get(FEED, REMOTE_ADDR=IP), TOKEN_ROWS,
                                              {"prefix": api_token_prefix(plain)}, username=None)
        assert allowed == expected
        assert (row is not None) == allowed
        _failures(1)
    assert expected is False  # the loop went past the limit


def test_an_unknown_token_is_checked_and_counted_without_a_row(settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 2
    client = Client(REMOTE_ADDR=IP)
    unknown = "chorus_0123456789ab_guess"
    known_wrong_secret = _plain()[:-3] + "xyz"
    statuses = [client.get(FEED, HTTP_AUTHORIZATION=f"Bearer {t}").status_code
                for t in (unknown, known_wrong_secret, unknown, known_wrong_secret)]
    assert statuses == [401, 429, 429, 429]  # the second miss reached the limit
    assert AccessAttempt.objects.get(ip_address=IP).failures_since_start == 2  # refused ones are not counted


def test_a_whitelisted_client_skips_the_count(settings, django_assert_num_queries):
    settings.AXES_NEVER_LOCKOUT_WHITELIST = True
    settings.AXES_IP_WHITELIST = [IP]
    settings.LOGIN_FAILURES_PER_CLIENT = 1
    plain = _plain()
    _authenticate(plain)
    _failures(5)
    with django_assert_num_queries(1):
        assert _authenticate(plain)[1].prefix in plain


def test_the_304_answer_costs_two_queries(django_assert_num_queries):
    plain = _plain()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    tag = Client().get(FEED, **headers)["ETag"]
    Client().get(FEED, HTTP_IF_NONE_MATCH=tag, **headers)
    with django_assert_num_queries(2):  # the token with its owner and the lockout count; the feed's one
        assert Client().get(FEED, HTTP_IF_NONE_MATCH=tag, **headers).status_code == 304
    assert ApiToken.objects.get().last_used_at is not None
