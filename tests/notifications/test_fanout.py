"""Publishing an item tells the targeted advocates, each the way they chose."""

import re

import pytest
import responses
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from content.services.workflow import content_publish, content_transition
from notifications.models import ContentFanout, EmailDelivery, Notification, TeamSlackWebhook
from notifications.services.fanout import fanout_chunk, fanout_plan
from notifications.tasks import fanout_sweep_task
from tests.factories import ContentItemFactory, approver
from tests.notifications.helpers import item_for, person

pytestmark = pytest.mark.django_db

SHARE_LINK = re.compile(r"http://testserver(/n/share/[^/\s\"]+/)")


def publish(item, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert content_publish(item=item, user=approver())


def draft_for(*, teams=(), everyone=False, **kwargs):
    item = ContentItemFactory(target_everyone=everyone, **kwargs)
    item.target_teams.set(teams)
    return item


def test_each_preference_gets_what_it_chose(sales, engineering, django_capture_on_commit_callbacks):
    people = {pref: person(pref, team=sales) for pref in ("instant", "in_app", "daily", "weekly", "none")}
    other_team = person("instant", team=engineering)
    not_enrolled = person("instant", team=sales, advocate_opted_in_at=None)
    item = draft_for(teams=[sales], title="Our Q3 customer story")

    publish(item, django_capture_on_commit_callbacks)

    notified = set(Notification.objects.filter(kind="new_content", item=item).values_list("user_id", flat=True))
    assert notified == {people["instant"].pk, people["in_app"].pk}
    # The approver's own notification aside, exactly one email: the instant reader's.
    emails = [m for m in mail.outbox if m.to == [people["instant"].email]]
    assert len(emails) == 1
    for pk in (people["daily"].pk, people["weekly"].pk, people["none"].pk, other_team.pk, not_enrolled.pk):
        assert not any(m.to == [User.objects.get(pk=pk).email] for m in mail.outbox)
    message = emails[0]
    assert message.subject == "New to share: Our Q3 customer story"
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert "Share now" in html and "Share now" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://testserver/n/unsubscribe/[^>]+/>", message.extra_headers["List-Unsubscribe"])
    assert "http://testserver/accounts/me/preferences/" in message.body
    delivery = EmailDelivery.objects.get(user=people["instant"])
    assert (delivery.kind, delivery.status, delivery.period) == ("new_content", "sent", f"item-{item.pk}")


def test_share_now_link_is_signed_and_opens_the_share_dialog_after_login(
    client, sales, django_capture_on_commit_callbacks
):
    ann = person("instant", team=sales)
    item = draft_for(teams=[sales])
    publish(item, django_capture_on_commit_callbacks)
    [message] = [m for m in mail.outbox if m.to == [ann.email]]
    path = SHARE_LINK.search(message.body).group(1)
    assert path in message.alternatives[0][0]

    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == f"/share/{item.pk}/"
    # Login is still required: the dialog sends a stranger to the login page first.
    assert client.get(response["Location"])["Location"].startswith("/accounts/login/?next=/share/")
    client.force_login(ann)
    assert client.get(path, follow=True).status_code == 200

    tampered = path.replace(path.split("/")[3], path.split("/")[3][:-2] + "xx")
    assert client.get(tampered).status_code == 400


def test_expired_share_link_is_refused(client, settings, sales):
    from notifications.emails import share_link_token

    token = share_link_token(user_id=1, item_id=1)
    settings.NOTIFY_SHARE_LINK_MAX_AGE = -1
    response = client.get(f"/n/share/{token}/")
    assert response.status_code == 410 and b"expired" in response.content


def make_people(count: int, pref: str, team=None) -> list[int]:
    now = timezone.now()
    start = User.objects.count()
    User.objects.bulk_create([
        User(email=f"bulk{pref}{start + i}@example.com", full_name=f"Bulk {i}", advocate_opted_in_at=now,
             notification_preference=pref, team=team)
        for i in range(count)
    ])
    return list(User.objects.filter(email__startswith=f"bulk{pref}").values_list("pk", flat=True))


def count_chunk_queries(item, user_ids, token) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fanout_chunk(item_id=item.pk, user_ids=user_ids, claim_token=token)
    return len(ctx.captured_queries)


def test_a_chunk_costs_a_bounded_number_of_queries_whatever_its_size():
    item = item_for(everyone=True)
    small = make_people(10, "instant") + make_people(10, "in_app")
    few = count_chunk_queries(item, small, "t-small")
    big = make_people(250, "instant") + make_people(250, "in_app")
    big = [pk for pk in big if pk not in small]
    many = count_chunk_queries(item, big, "t-big")
    assert len(mail.outbox) == 10 + 250
    assert Notification.objects.filter(item=item).count() == 20 + 500
    # 25x the people: only SQLite's bulk-insert batches (999 parameters a statement) grow.
    assert few <= 10 and many <= 25, (few, many)
    assert many - few <= 20, (few, many)


def test_running_a_chunk_twice_sends_once(sales):
    ann, bob = person("instant", team=sales), person("in_app", team=sales)
    item = item_for(teams=[sales])
    fanout_chunk(item_id=item.pk, user_ids=[ann.pk, bob.pk], claim_token="first")
    fanout_chunk(item_id=item.pk, user_ids=[ann.pk, bob.pk], claim_token="second")
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(item=item).count() == 2
    # A re-delivered task (same task id = same token) finds its rows already sent.
    fanout_chunk(item_id=item.pk, user_ids=[ann.pk, bob.pk], claim_token="first")
    assert len(mail.outbox) == 1


def test_plan_splits_recipients_into_chunks_once(settings, monkeypatch):
    settings.NOTIFY_FANOUT_CHUNK_SIZE = 2
    item = item_for(everyone=True)
    people = [person("instant") for _ in range(3)] + [person("in_app") for _ in range(2)] + [person("weekly")]
    sent = []
    from notifications import tasks

    monkeypatch.setattr(tasks.fanout_chunk_task, "apply_async", lambda args, **options: sent.append(args))
    ContentFanout.objects.create(item=item)
    assert fanout_plan(item_id=item.pk) == 3
    assert fanout_plan(item_id=item.pk) == 0  # a second planner finds it dispatched
    assert sorted(pk for _, chunk in sent for pk in chunk) == sorted(p.pk for p in people[:5])
    assert all(len(chunk) <= 2 for _, chunk in sent)


def test_broker_down_at_publish_time_the_sweep_announces_later(sales, monkeypatch, django_capture_on_commit_callbacks):
    from notifications import tasks

    ann = person("instant", team=sales)
    item = draft_for(teams=[sales])

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    with monkeypatch.context() as m:
        m.setattr(tasks.fanout_plan_task, "apply_async", broker_down)
        publish(item, django_capture_on_commit_callbacks)
    assert ContentFanout.objects.get(item=item).status == "pending"
    assert not Notification.objects.filter(user=ann, item=item).exists()

    ContentFanout.objects.filter(item=item).update(created_at=timezone.now() - timezone.timedelta(minutes=5))
    assert fanout_sweep_task() == 1
    assert Notification.objects.filter(user=ann, item=item).exists()
    assert len([m for m in mail.outbox if m.to == [ann.email]]) == 1
    assert fanout_sweep_task() == 0


def test_an_item_withdrawn_before_its_chunk_runs_is_not_announced(sales):
    ann = person("instant", team=sales)
    item = item_for(teams=[sales])
    content_transition(item=item, user=None, name="archive")
    fanout_chunk(item_id=item.pk, user_ids=[ann.pk], claim_token="t")
    assert mail.outbox == [] and not Notification.objects.exists()


@responses.activate
def test_slack_gets_a_short_message_for_teams_the_item_reaches(sales, engineering, django_capture_on_commit_callbacks):
    person("weekly", team=sales)
    person("weekly", team=engineering)
    TeamSlackWebhook.objects.create(team=sales, url="https://hooks.slack.com/services/T000/B000/salessecret")
    TeamSlackWebhook.objects.create(team=engineering, url="https://hooks.slack.com/services/T000/B111/engsecret")
    hook = responses.post("https://hooks.slack.com/services/T000/B000/salessecret", body="ok")
    other = responses.post("https://hooks.slack.com/services/T000/B111/engsecret", body="ok")
    item = draft_for(teams=[sales], title="Sales <playbook> & more")

    publish(item, django_capture_on_commit_callbacks)

    assert hook.call_count == 1 and other.call_count == 0
    import json

    payload = json.loads(hook.calls[0].request.body)
    assert f"http://testserver/share/{item.pk}/" in payload["text"]
    assert "Sales &lt;playbook&gt; &amp; more" in payload["text"]
    assert TeamSlackWebhook.objects.get(team=sales).last_posted_at is not None


@responses.activate
def test_slack_refusal_is_recorded_not_retried(sales):
    from notifications.services.slack import slack_announce

    webhook = TeamSlackWebhook.objects.create(team=sales, url="https://hooks.slack.com/services/T0/B0/gone")
    gone = responses.post("https://hooks.slack.com/services/T0/B0/gone", status=404, body="no_service")
    item = item_for(everyone=True)
    assert slack_announce(webhook=webhook, item=item) == "failed"
    assert slack_announce(webhook=webhook, item=item) == "failed" and gone.call_count == 1
    assert "404" in TeamSlackWebhook.objects.get(pk=webhook.pk).last_error


@pytest.mark.parametrize("url", [
    "http://hooks.slack.com/services/T0/B0/x",
    "https://hooks.slack.com.evil.example/services/T0/B0/x",
    "https://evil.example/services/T0/B0/x",
    "https://user:pw@hooks.slack.com/services/T0/B0/x",
    "https://hooks.slack.com/api/other",
    "https://hooks.slack.com:8443/services/T0/B0/x",
])
def test_slack_webhook_urls_are_slack_only(url):
    from django.core.exceptions import ValidationError

    from notifications.models import validate_slack_webhook_url

    with pytest.raises(ValidationError):
        validate_slack_webhook_url(url)


def test_slack_webhook_url_is_encrypted_at_rest(sales):
    webhook = TeamSlackWebhook.objects.create(team=sales, url="https://hooks.slack.com/services/T0/B0/topsecret")
    with connection.cursor() as cursor:
        cursor.execute("SELECT url FROM notifications_teamslackwebhook WHERE id = %s", [webhook.pk])
        stored = cursor.fetchone()[0]
    assert "topsecret" not in stored
    assert TeamSlackWebhook.objects.get(pk=webhook.pk).url.endswith("topsecret")
    assert "topsecret" not in webhook.masked_url
