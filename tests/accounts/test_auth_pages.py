import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_and_login_with_email(client):
    UserFactory(email="ann@example.com", password="s3cret-Passphrase")
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "Work email" in page.content.decode()
    response = client.post(reverse("login"), {"username": "ANN@example.com", "password": "s3cret-Passphrase"})
    assert response.status_code == 302 and response.url == reverse("home")
    home = client.get(reverse("home"))
    assert "Log out" in home.content.decode()


def test_wrong_password_shows_an_error(client):
    UserFactory(email="ann@example.com", password="s3cret-Passphrase")
    response = client.post(reverse("login"), {"username": "ann@example.com", "password": "nope"})
    assert response.status_code == 200 and "enter a correct" in response.content.decode().lower()


def test_portal_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_logout_is_a_post(client):
    client.force_login(UserFactory())
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_password_reset_by_email(client, redis_url):
    user = UserFactory(email="ann@example.com")
    client.post(reverse("password_reset"), {"email": "ann@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session value
    response = client.post(form_url, {"new_password1": "N3w-Passphrase-x", "new_password2": "N3w-Passphrase-x"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("N3w-Passphrase-x")


def test_friendly_404(client):
    client.force_login(UserFactory())
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "couldn't find that page" in response.content.decode()


def test_preferences_opt_out_and_back_in(client):
    user = UserFactory()
    client.force_login(user)
    data = {
        "full_name": "Ann Lee", "job_title": "AE", "location": "London", "timezone": "Asia/Tokyo",
        "language": "en", "notification_preference": "weekly", "digest_weekday": 2, "digest_hour": 8,
    }
    assert client.post(reverse("preferences"), data).status_code == 302
    user.refresh_from_db()
    assert user.advocate_opted_in_at is None and user.timezone == "Asia/Tokyo" and user.digest_hour == 8
    client.post(reverse("preferences"), {**data, "advocate": "on"})
    user.refresh_from_db()
    assert user.advocate_opted_in_at is not None


def test_preferences_reject_bad_timezone_and_hour(client):
    user = UserFactory(timezone="UTC")
    client.force_login(user)
    data = {"full_name": "A", "timezone": "Mars/Olympus", "language": "en",
            "notification_preference": "weekly", "digest_weekday": 0, "digest_hour": 25}
    response = client.post(reverse("preferences"), data)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.timezone == "UTC" and user.digest_hour == 9
