"""Slack announcements: at most once per team channel and item, retried only when Slack
certainly did not take the message."""

from http.client import RemoteDisconnected

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from notifications.models import SlackAnnouncement, TeamSlackWebhook
from notifications.services.slack import SlackTransientError, slack_announce
from notifications.tasks import slack_post_task
from tests.notifications.helpers import item_for

pytestmark = pytest.mark.django_db
URL = "https://hooks.slack.com/services/T0/B0/secret"


@pytest.fixture
def webhook(sales):
    return TeamSlackWebhook.objects.create(team=sales, url=URL)


def announcement(webhook, item) -> SlackAnnouncement:
    return SlackAnnouncement.objects.get(webhook=webhook, item=item)


@responses.activate
def test_a_task_delivered_twice_posts_once(webhook):
    hook = responses.post(URL, body="ok")
    item = item_for(everyone=True)
    assert slack_post_task.apply(args=[webhook.pk, item.pk]).get() == "sent"
    assert slack_post_task.apply(args=[webhook.pk, item.pk]).get() == "sent"
    assert hook.call_count == 1
    row = announcement(webhook, item)
    assert (row.status, row.attempts) == ("sent", 1)
    assert TeamSlackWebhook.objects.get(pk=webhook.pk).last_posted_at is not None


@responses.activate
@pytest.mark.parametrize("failure", [requests.ReadTimeout("read timed out"),
                                     requests.ConnectionError(ProtocolError("Connection aborted.",
                                                                            RemoteDisconnected("closed")))])
def test_no_answer_after_sending_is_recorded_and_never_repeated(webhook, failure):
    hook = responses.post(URL, body=failure)
    item = item_for(everyone=True)
    assert slack_announce(webhook=webhook, item=item) == "unknown"
    assert slack_announce(webhook=webhook, item=item) == "unknown"
    assert hook.call_count == 1
    assert "not repeated" in announcement(webhook, item).error
    assert "not repeated" in TeamSlackWebhook.objects.get(pk=webhook.pk).last_error


@responses.activate
@pytest.mark.parametrize("first", [
    {"status": 503}, {"status": 429},
    {"body": requests.ConnectionError(MaxRetryError(None, URL, NewConnectionError(None, "[Errno 111] Connection refused")))},
    {"body": requests.ConnectionError(MaxRetryError(None, URL, NameResolutionError("hooks.slack.com", None, OSError())))},
    {"body": requests.ConnectTimeout("connect timed out")},
])
def test_failures_before_slack_took_the_message_are_retried_until_sent(webhook, first):
    item = item_for(everyone=True)
    responses.post(URL, **first)
    with pytest.raises(SlackTransientError):
        slack_announce(webhook=webhook, item=item)
    assert announcement(webhook, item).status == "pending"  # free for the retry
    responses.replace(responses.POST, URL, body="ok")
    assert slack_announce(webhook=webhook, item=item) == "sent"
    row = announcement(webhook, item)
    assert (row.status, row.attempts) == ("sent", 2) and len(responses.calls) == 2


@responses.activate
def test_a_claim_left_by_a_dead_worker_is_not_sent_again(webhook):
    hook = responses.post(URL, body="ok")
    item = item_for(everyone=True)
    SlackAnnouncement.objects.create(webhook=webhook, item=item, status="sending", attempts=1)
    assert slack_announce(webhook=webhook, item=item) == "sending"
    assert hook.call_count == 0


@responses.activate
def test_the_task_retries_after_a_slack_outage_and_posts_once(webhook):
    item = item_for(everyone=True)
    responses.post(URL, status=500)  # the first answer; the retry gets the second
    responses.post(URL, body="ok")
    slack_post_task.apply(args=[webhook.pk, item.pk], throw=False)  # eager: the retry runs at once
    assert announcement(webhook, item).status == "sent"
    assert len(responses.calls) == 2
    slack_post_task.apply(args=[webhook.pk, item.pk])
    assert len(responses.calls) == 2


def test_the_admin_log_lists_announcements_with_their_status(admin_client, webhook):
    item = item_for(everyone=True, title="Quarterly results")
    SlackAnnouncement.objects.create(webhook=webhook, item=item, status="unknown", attempts=1,
                                     error="No answer from Slack (ReadTimeout); not repeated.")
    page = admin_client.get("/admin/notifications/slackannouncement/?status=unknown").content.decode()
    assert "Quarterly results" in page and "not repeated" in page and webhook.team.name in page
    assert URL not in page  # the webhook URL is a secret
