from accounts.services.throttle import WINDOW_SECONDS, password_reset_allow
from core.redis import get_redis

T0 = 1_700_000_000.0


def _allow(email: str = "ann@example.com", client: str = "192.0.2.1", *, at: float) -> bool:
    return password_reset_allow(email=email, client=client, now=at)


def test_three_per_address_in_any_hour(redis_url):
    assert [_allow(at=T0 + i * 60, client=f"10.0.0.{i}") for i in range(5)] == [True, True, True, False, False]
    assert not _allow(at=T0 + WINDOW_SECONDS - 1)
    assert _allow(at=T0 + WINDOW_SECONDS + 1)  # the first one left the hour
    assert not _allow(at=T0 + WINDOW_SECONDS + 2)


def test_the_address_is_case_insensitive_and_not_stored_in_clear(redis_url):
    for email in ("ann@example.com", "ANN@example.com", " Ann@Example.com "):
        assert _allow(email, at=T0)
    assert not _allow("aNN@example.com", at=T0)
    assert not [k for k in get_redis().keys("*") if b"ann" in k.lower()]


def test_refused_requests_do_not_keep_the_address_blocked(redis_url):
    for i in range(3):
        _allow(at=T0 + i)
    for i in range(100):  # hammering after the limit
        assert not _allow(at=T0 + 10 + i * 30)
    assert _allow(at=T0 + WINDOW_SECONDS + 3)


def test_per_client_limit(redis_url, settings):
    settings.PASSWORD_RESET_PER_CLIENT = 4
    assert [_allow(f"p{i}@example.com", at=T0) for i in range(6)] == [True] * 4 + [False] * 2
    assert _allow("p9@example.com", client="192.0.2.2", at=T0)


def test_a_client_refusal_does_not_use_up_the_address(redis_url, settings):
    settings.PASSWORD_RESET_PER_CLIENT = 1
    assert _allow("other@example.com", at=T0)
    for _ in range(5):
        assert not _allow(at=T0)  # refused for the client
    assert [_allow(client=f"10.0.0.{i}", at=T0) for i in range(4)] == [True, True, True, False]


def test_redis_down_fails_open(settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert _allow(at=T0)
    assert "Redis unavailable" in caplog.text
