"""Microsoft Teams announcements (Workflows incoming webhooks), beside Slack: an Adaptive
Card in a message, at most once per team channel and item, retried only when Teams
certainly did not take the message."""

import json

import pytest
import requests
import responses
from django.core.exceptions import ValidationError

import core.queueing
from content.services.workflow import content_publish
from notifications.models import SlackAnnouncement, TeamsAnnouncement, TeamSlackWebhook, TeamsWebhook
from notifications.models import validate_teams_webhook_url as validate
from notifications.services.teams import teams_announce
from notifications.tasks import teams_post_task
from tests.factories import ContentItemFactory, approver
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db
URL = ("https://prod-12.westeurope.logic.azure.com:443/workflows/4f1c/triggers/manual/paths/invoke"
       "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3t-signature")


@pytest.fixture(autouse=True)
def _broker_not_backed_off():
    core.queueing._broker_down_until = 0.0  # an earlier test's simulated broker outage


@pytest.fixture
def webhook(sales):
    return TeamsWebhook.objects.create(team=sales, url=URL)


def announcement(webhook, item) -> TeamsAnnouncement:
    return TeamsAnnouncement.objects.get(webhook=webhook, item=item)


@responses.activate
def test_the_message_is_one_adaptive_card_linking_to_the_share_dialog(webhook):
    hook = responses.post(URL, status=202)
    item = item_for(everyone=True, title="Quarterly results", summary="Numbers & *more*")
    assert teams_announce(webhook=webhook, item=item) == "sent"
    message = json.loads(hook.calls[0].request.body)
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert [block["text"] for block in card["body"]] == ["New to share in Chorus", "Quarterly results",
                                                         "Numbers & *more*"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Share it in your words",
                                "url": f"http://testserver/share/{item.pk}/"}]
    assert TeamsWebhook.objects.get(pk=webhook.pk).last_posted_at is not None


@responses.activate
def test_two_concurrent_tasks_post_once(webhook):
    item = item_for(everyone=True)
    second = []

    def teams_answers(request):
        # The first task is mid-POST (its claim is taken) when a duplicate task runs.
        if not second:
            second.append(teams_post_task.apply(args=[webhook.pk, item.pk]).get())
        return 202, {}, ""

    responses.add_callback(responses.POST, URL, callback=teams_answers)
    assert teams_post_task.apply(args=[webhook.pk, item.pk]).get() == "sent"
    assert second == ["sending"]  # the duplicate saw the claim and did not post
    assert teams_post_task.apply(args=[webhook.pk, item.pk]).get() == "sent"
    assert len(responses.calls) == 1
    row = announcement(webhook, item)
    assert (row.status, row.attempts) == ("sent", 1)


@responses.activate
@pytest.mark.parametrize("first", [{"status": 503}, {"status": 429}, {"body": requests.ConnectTimeout("timed out")}])
def test_transient_failures_are_retried_until_sent(webhook, first):
    item = item_for(everyone=True)
    responses.post(URL, **first)  # the first answer; the retry gets the second
    responses.post(URL, status=202)
    teams_post_task.apply(args=[webhook.pk, item.pk], throw=False)  # eager: the retry runs at once
    row = announcement(webhook, item)
    assert (row.status, row.attempts) == ("sent", 2) and len(responses.calls) == 2
    teams_post_task.apply(args=[webhook.pk, item.pk])
    assert len(responses.calls) == 2


@responses.activate
def test_no_answer_after_sending_is_recorded_and_not_repeated(webhook):
    hook = responses.post(URL, body=requests.ReadTimeout("read timed out"))
    item = item_for(everyone=True)
    assert teams_announce(webhook=webhook, item=item) == "unknown"
    assert teams_announce(webhook=webhook, item=item) == "unknown"
    assert hook.call_count == 1 and "No answer from Teams" in announcement(webhook, item).error


@responses.activate
def test_a_refusal_is_recorded_not_retried(webhook):
    responses.post(URL, status=400, body="Invalid card")
    item = item_for(everyone=True)
    teams_post_task.apply(args=[webhook.pk, item.pk])
    row = announcement(webhook, item)
    assert row.status == "failed" and "Teams answered 400: Invalid card" in row.error
    assert len(responses.calls) == 1


@responses.activate
def test_publishing_announces_in_slack_and_teams_channels_of_the_teams_it_reaches(
        sales, engineering, django_capture_on_commit_callbacks):
    person("weekly", team=sales)
    person("weekly", team=engineering)
    slack_url = "https://hooks.slack.com/services/T000/B000/salessecret"
    TeamSlackWebhook.objects.create(team=sales, url=slack_url)
    TeamsWebhook.objects.create(team=sales, url=URL)
    other_teams = URL.replace("prod-12", "prod-99")
    TeamsWebhook.objects.create(team=engineering, url=other_teams)
    slack, teams = responses.post(slack_url, body="ok"), responses.post(URL, status=202)
    not_reached = responses.post(other_teams, status=202)
    item = ContentItemFactory(target_everyone=False, title="Sales playbook")
    item.target_teams.set([sales])
    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=item, user=approver())
    assert (slack.call_count, teams.call_count, not_reached.call_count) == (1, 1, 0)
    assert SlackAnnouncement.objects.get().status == TeamsAnnouncement.objects.get().status == "sent"


@pytest.mark.parametrize("url", [
    URL,
    "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/"
    "abc/triggers/manual/paths/invoke?api-version=1&sig=x",
    "https://contoso.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi",
])
def test_microsoft_webhook_urls_are_accepted(url):
    validate(url)


@pytest.mark.parametrize("url", [
    URL.replace("https://", "http://"),
    "https://logic.azure.com.evil.example/workflows/x",
    "https://evil.example/workflows/x?host=.logic.azure.com",
    "https://user:pw@prod-1.westus.logic.azure.com/workflows/x",
    "https://prod-1.westus.logic.azure.com:8443/workflows/x",
    "https://hooks.slack.com/services/T0/B0/x",
    "http://127.0.0.1:9000/hook",
])
def test_other_urls_are_refused(url):
    with pytest.raises(ValidationError):
        validate(url)


def test_extra_hosts_allow_a_local_receiver_for_tests(settings):
    settings.TEAMS_WEBHOOK_EXTRA_HOSTS = ["127.0.0.1"]
    validate("http://127.0.0.1:9000/hook")


def test_the_admin_keeps_the_url_secret(admin_client, sales, webhook):
    page = admin_client.get(f"/admin/notifications/teamswebhook/{webhook.pk}/change/").content.decode()
    assert "s3cr3t-signature" not in page and webhook.masked_url in page
    response = admin_client.post("/admin/notifications/teamswebhook/add/", {
        "team": sales.pk, "url": "https://evil.example/hook", "is_active": "on"})
    assert "Teams workflow" in response.content.decode()
    item = item_for(everyone=True, title="Quarterly results")
    TeamsAnnouncement.objects.create(webhook=webhook, item=item, status="unknown",
                                     error="No answer from Teams (ReadTimeout); not repeated.")
    log = admin_client.get("/admin/notifications/teamsannouncement/?status=unknown").content.decode()
    assert "Quarterly results" in log and "not repeated" in log and "s3cr3t" not in log


def test_the_url_is_encrypted_at_rest_and_masked_in_the_audit_log(webhook):
    from auditlog.models import LogEntry
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM notifications_teamswebhook WHERE id = %s", [webhook.pk])
        stored = cursor.fetchone()[0]
    assert "s3cr3t" not in stored and "logic.azure.com" not in stored
    [entry] = LogEntry.objects.filter(object_pk=str(webhook.pk), content_type__model="teamswebhook")
    assert "s3cr3t" not in str(entry.changes)
