"""My data, end to end: the page, the zip download, and deleting one's own account, with
the connections revoked at the sandbox networks over real HTTP on loopback."""

import io
import json
import zipfile

import pytest
import requests
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from advocacy.models import Share, SocialAccount
from analytics.periods import calendar_period, utc_day
from analytics.selectors.leaderboards import leaderboard
from content.models import ContentChange, ContentSuggestion
from core.audit import ACCESS, DELETE
from notifications.models import EmailDelivery, Notification
from tests.accounts.conftest import ANN_LINKEDIN_TEXT, ANN_NOTE, ANN_X_TEXT, BROWSER, analytics_totals
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
PARTS = ["profile", "preferences", "api_tokens", "connections", "shares", "points", "impact", "notifications",
         "emails", "push_devices", "suggestions", "provisioning"]


def unzip(response) -> dict[str, bytes]:
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def stored_ciphertexts(user: User) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM advocacy_socialaccount WHERE user_id = %s", [user.pk])
        return [value for row in cursor.fetchall() for value in row if value]


def sandbox_token(networks, network: str, value: str):
    token = networks.state.token(value, network)
    assert token is not None, "the sandbox never issued this token"
    return token


def profile_answer(networks, network: str, access_token: str) -> int:
    path = "/x/2/users/me" if network == "x" else "/linkedin/v2/userinfo"
    return requests.get(f"{networks.url}{path}", headers={"Authorization": f"Bearer {access_token}"},
                        timeout=5).status_code


def test_preferences_lead_to_my_data(client):
    client.force_login(UserFactory())
    page = client.get(reverse("preferences")).content.decode()
    assert f'href="{reverse("my_data")}"' in page


def test_my_data_needs_a_login(client):
    for name in ("my_data", "my_data_download", "account_delete"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_page_lists_every_part_with_what_there_is(client, history):
    client.force_login(history.ann)
    response = client.get(reverse("my_data"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    counts = {s.name: s.count for s in response.context["sections"]}
    assert [s.name for s in response.context["sections"]] == PARTS
    assert counts["connections"] == 2 and counts["shares"] == 3 and counts["notifications"] >= 1
    page = response.content.decode()
    assert f'href="{reverse("my_data_download")}"' in page and f'href="{reverse("account_delete")}"' in page


def test_the_download_holds_every_part_and_no_secret(client, history):
    ann, bob = history.ann, history.bob
    client.force_login(ann)
    response = client.get(reverse("my_data_download"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="chorus-my-data-')
    assert "no-store" in response["Cache-Control"]
    files = unzip(response)
    assert sorted(files) == sorted(["README.txt"] + [f"{p}.json" for p in PARTS])
    data = {name.removesuffix(".json"): json.loads(body) for name, body in files.items() if name.endswith(".json")}

    assert data["profile"]["email"] == "ann@example.com" and data["profile"]["full_name"] == "Ann Lee"
    assert data["profile"]["team"] == "Sales" and data["profile"]["location"] == "Lisbon"
    assert data["preferences"]["timezone"] == ann.timezone and data["preferences"]["advocate"] is True
    assert {c["network"] for c in data["connections"]} == {"linkedin", "x"}
    assert all(c["handle"] or c["display_name"] for c in data["connections"])
    texts = {s["text"] for s in data["shares"]}
    assert {ANN_LINKEDIN_TEXT, ANN_X_TEXT, "Ann, scheduled"} <= texts
    assert {s["tracked_link"].rsplit("/", 1)[1] for s in data["shares"]} >= {s.link_code for s in history.shares}
    assert {p["kind"] for p in data["points"]} >= {"share", "first_share", "click", "suggestion"}
    assert sum(row["clicks"] for row in data["impact"]) == 5
    assert [n["title"] for n in data["notifications"]].count("Hello Ann") == 1
    assert data["suggestions"][0]["note"] == ANN_NOTE and data["suggestions"][0]["status"] == "accepted"
    assert isinstance(data["emails"], list)

    everything = b"".join(files.values())
    secrets = [t for values in history.tokens.values() for t in values] + stored_ciphertexts(ann)
    assert secrets and not any(secret.encode() in everything for secret in secrets)
    assert b"access_token" not in everything and b"refresh_token" not in everything
    # Nothing of a colleague's.
    for theirs in (bob.email, "Bob Stone", "Bob's words", "Hello Bob", "A note for Bob only"):
        assert theirs.encode() not in everything

    entry = LogEntry.objects.get(additional_data__event="data exported")
    assert entry.action == ACCESS and entry.object_pk == str(ann.pk) and entry.actor_id == ann.pk
    assert entry.additional_data["by"] == "self" and entry.additional_data["sections"] == PARTS


def test_a_wrong_password_deletes_nothing(client, history, networks):
    ann = history.ann
    client.force_login(ann)
    before = analytics_totals(history)
    page = client.get(reverse("account_delete"))
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()
    response = client.post(reverse("account_delete"), {"password": "not my password"})
    assert response.status_code == 400
    assert "That is not your password. Nothing was deleted." in response.content.decode()
    response = client.post(reverse("account_delete"), {})
    assert response.status_code == 400

    ann.refresh_from_db()
    assert ann.is_active and ann.email == "ann@example.com" and ann.check_password(PASSWORD)
    assert SocialAccount.objects.filter(user=ann, status="active").count() == 2
    for network, values in history.tokens.items():
        assert all(not sandbox_token(networks, network, v).revoked for v in values)
    assert {s.text for s in Share.objects.filter(user=ann)} == {ANN_LINKEDIN_TEXT, ANN_X_TEXT, "Ann, scheduled"}
    assert Notification.objects.filter(user=ann).exists()
    assert not LogEntry.objects.filter(additional_data__event="account deleted").exists()
    assert analytics_totals(history) == before
    assert client.get(reverse("my_data")).status_code == 200  # still logged in


def test_deleting_my_account_end_to_end(client, history, networks):
    ann, bob = history.ann, history.bob
    client.force_login(ann)
    before = analytics_totals(history)
    last_entry = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    bob_token = SocialAccount.objects.get(user=bob).access_token

    response = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Your Chorus account has been deleted and you are logged out.")
    assert "access to your LinkedIn and X accounts was revoked" in message
    assert "Your Chorus account has been deleted" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("my_data")).status_code == 302  # logged out

    # The person is gone: an inactive stub without name, address, password or roles.
    stub = User.objects.get(pk=ann.pk)
    assert stub.email == f"deleted-user-{ann.pk}@invalid"
    assert (stub.full_name, stub.job_title, stub.location) == ("", "", "")
    assert not stub.is_active and not stub.has_usable_password() and not stub.groups.exists()
    assert stub.leaderboard_opt_out and stub.notification_preference == "none"
    assert stub.team_id == history.team.pk  # the team's past numbers stay the team's
    login = Client().post(reverse("login"), {"username": "ann@example.com", "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.wsgi_request.session

    # Every grant revoked at the provider (the sandbox saw the calls), the rows deleted.
    for network, values in history.tokens.items():
        assert all(sandbox_token(networks, network, v).revoked for v in values), network
        assert profile_answer(networks, network, values[0]) == 401
    assert not SocialAccount.objects.filter(user=ann).exists()
    # A colleague's connection is untouched.
    assert not sandbox_token(networks, "linkedin", bob_token).revoked
    assert profile_answer(networks, "linkedin", bob_token) == 200

    # Shares stay for the numbers, with nothing of the person.
    for share in Share.objects.filter(pk__in=[s.pk for s in history.shares]):
        assert share.status == "posted" and share.user_id == ann.pk
        assert (share.text, share.final_text, share.remote_url, share.remote_id) == ("", "", "", "")
        assert Client().get(f"/r/{share.link_code}", HTTP_USER_AGENT=BROWSER).status_code == 302  # still on LinkedIn/X
    assert Share.objects.get(pk=history.scheduled.pk).status == "cancelled"
    assert Share.objects.get(pk=history.bob_share.pk).text == "Bob's words"

    # Notifications and email records deleted; the suggestion kept without the note.
    assert not Notification.objects.filter(user=ann).exists() and not EmailDelivery.objects.filter(user=ann).exists()
    assert Notification.objects.filter(user=bob, title="Hello Bob").exists()
    suggestion = ContentSuggestion.objects.get(pk=history.suggestion.pk)
    assert suggestion.note == "" and suggestion.status == "accepted"
    assert not ContentChange.objects.filter(user=ann, note__contains="private note").exists()

    # Aggregates unchanged: campaign, team and programme numbers, points.
    assert analytics_totals(history) == before
    # ... and the stub is on no leaderboard, while Bob still is.
    board = leaderboard(calendar_period("all", utc_day(timezone.now())))
    assert bob.pk in {s.user_id for s in board} and ann.pk not in {s.user_id for s in board}

    # One audit entry; none of the erased values copied into the log.
    entry = LogEntry.objects.get(additional_data__event="account deleted")
    assert entry.action == DELETE and entry.object_pk == str(ann.pk) and entry.actor_id == ann.pk
    assert entry.additional_data["by"] == "self" and entry.additional_data["connections revoked"] == 2
    assert entry.additional_data["shares anonymised"] == 3 and entry.additional_data["shares cancelled"] == 1
    new_entries = json.dumps(list(LogEntry.objects.filter(pk__gt=last_entry).values(
        "object_repr", "changes", "additional_data", "actor_email")), default=str)
    for personal in ("ann@example.com", "Ann Lee", "Lisbon", ANN_NOTE, ANN_LINKEDIN_TEXT):
        assert personal not in new_entries
