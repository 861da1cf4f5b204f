"""The audit log: an entry with before → after for every kind of admin action and every
share posted; append-only; kept after deletion; readable by Admins (Approvers: content)."""

import csv
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from accounts.models import Team, User
from accounts.services.invitations import invitations_mark_pending
from advocacy.models import ProgrammeSettings
from advocacy.services.posting import share_post
from advocacy.services.sharing import ShareRequest, share_create
from analytics.models import PointsRule
from content.models import Campaign, ComplianceSettings, ContentItem, FeedSource, Topic
from notifications.models import TeamSlackWebhook
from tests.factories import ContentItemFactory, UserFactory, advocate, approver, curator, published_item
from tests.support import connect_account

pytestmark = pytest.mark.django_db


def entries(obj_or_model, **filters):
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    qs = LogEntry.objects.filter(content_type__app_label=model._meta.app_label,
                                 content_type__model=model._meta.model_name, **filters)
    if not isinstance(obj_or_model, type):
        qs = qs.filter(object_pk=str(obj_or_model.pk))
    return qs.order_by("pk")


@pytest.fixture
def admin_user():
    return UserFactory(roles=["Admin"], email="admin.person@example.com")


def test_campaign_topic_team_and_feed_changes(client, admin_user):
    client.force_login(admin_user)
    # Through the admin: the entry names the person and their address.
    response = client.post(reverse("admin:content_topic_add"), {"name": "Cloud", "slug": "cloud"})
    assert response.status_code == 302, response.content.decode()[:2000]
    [created] = entries(Topic.objects.get(slug="cloud"))
    assert created.action == LogEntry.Action.CREATE and created.actor == admin_user
    assert created.changes["name"] == [None, "Cloud"] and created.remote_addr == "127.0.0.1"

    campaign = Campaign.objects.create(name="Spring", slug="spring")
    campaign.name = "Spring launch"
    campaign.save()
    [_, updated] = entries(campaign)
    assert updated.changes["name"] == ["Spring", "Spring launch"]
    team = Team.objects.create(name="Sales", slug="sales")
    feed = FeedSource.objects.create(name="Blog", url="https://blog.example/feed")
    for obj in (team, feed):
        assert entries(obj, action=LogEntry.Action.CREATE).exists()


def test_compliance_programme_and_points_settings(client, admin_user):
    client.force_login(admin_user)
    settings_row = ComplianceSettings.load()
    settings_row.default_disclosure = "#employee"
    settings_row.save()
    assert entries(settings_row).last().changes["default_disclosure"][1] == "#employee"
    programme = ProgrammeSettings.objects.create()
    programme.x_monthly_budget = 250
    programme.save()
    assert [str(v) for v in entries(programme).last().changes["x_monthly_budget"]] == ["100.00", "250"]
    rule, _ = PointsRule.objects.get_or_create(kind="share", defaults={"points": 10})
    rule.points = 25
    rule.save()
    assert str(entries(rule).last().changes["points"][1]) == "25"


def test_users_roles_and_group_permissions(client, admin_user):
    person = advocate(full_name="Old Name")
    client.force_login(admin_user)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        if hasattr(value, "all"):
            value = [o.pk for o in value.all()]
        elif isinstance(value, list):
            value = [getattr(v, "pk", v) for v in value]
        data[name] = value
    curator_group = Group.objects.get(name="Curator")
    data.update({"full_name": "New Name", "groups": [Group.objects.get(name="Advocate").pk, curator_group.pk]})
    data = {k: v for k, v in data.items() if k not in {"password", "last_login", "date_joined"}}
    data["date_joined_0"], data["date_joined_1"] = "2026-01-01", "09:00:00"
    response = client.post(url, data)
    assert response.status_code == 302, [str(e) for e in response.context["errors"]] if response.context else ""
    person_entries = entries(person)
    assert person_entries.filter(changes__full_name=["Old Name", "New Name"], actor=admin_user).exists()
    groups = [e.changes["groups"] for e in person_entries if "groups" in (e.changes or {})]
    assert {"type": "m2m", "operation": "add", "objects": ["Curator"]} in groups

    group = Group.objects.create(name="Helpers")
    group.permissions.add(Permission.objects.get(codename="view_team"))
    assert entries(group).filter(changes__permissions__operation="add").exists()


def test_csv_import_and_invitations_write_one_entry_per_person(client, admin_user):
    client.force_login(admin_user)
    Team.objects.create(name="Sales", slug="sales")
    content = b"email,name,team\nnew.one@example.com,New One,Sales\nnew.two@example.com,New Two,Sales\n"
    response = client.post(reverse("admin:accounts_user_import"),
                           {"file": SimpleUploadedFile("people.csv", content, content_type="text/csv"),
                            "send_invitations": "on"})
    assert response.status_code in (200, 302)
    for email in ("new.one@example.com", "new.two@example.com"):
        user = User.objects.get(email=email)
        [imported] = entries(user, additional_data__event="import")
        assert imported.action == LogEntry.Action.CREATE and imported.actor == admin_user
        assert imported.changes["email"] == ["", email] and imported.changes["team"] == ["", "Sales"]
        assert entries(user, additional_data__event="invitation requested").exists()
    other = advocate()
    invitations_mark_pending(user_ids=[other.pk])
    assert entries(other, additional_data__event="invitation requested").count() == 1


def test_bulk_actions_write_an_entry_per_item(client):
    boss = approver()
    items = [ContentItemFactory(status="in_review") for _ in range(3)]
    client.force_login(boss)
    client.post(reverse("admin:content_contentitem_changelist"),
                {"action": "action_publish", "_selected_action": [i.pk for i in items]})
    for item in items:
        [entry] = entries(item, additional_data__event="publish")
        assert entry.actor == boss and entry.changes["status"] == ["in_review", "published"]


def test_slack_webhook_url_is_masked(admin_user):
    team = Team.objects.create(name="Ops", slug="ops")
    secret = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    hook = TeamSlackWebhook.objects.create(team=team, url=secret)
    text = str(list(entries(hook).values_list("changes", "changes_text", "serialized_data", "object_repr")))
    assert "very-secret-token" not in text and "•" in text


def test_entries_outlive_the_object(admin_user):
    campaign = Campaign.objects.create(name="Gone soon", slug="gone")
    pk = campaign.pk
    campaign.delete()
    kinds = list(LogEntry.objects.filter(content_type__model="campaign", object_pk=str(pk))
                 .values_list("action", flat=True))
    assert kinds == [LogEntry.Action.CREATE, LogEntry.Action.DELETE] or sorted(kinds) == [0, 2]
    draft = ContentItemFactory(status="draft", title="Draft to go")
    draft_pk = draft.pk
    draft.title = "Draft renamed"
    draft.save()
    draft.delete()
    history = LogEntry.objects.filter(content_type__model="contentitem", object_pk=str(draft_pk))
    assert history.filter(changes__title=["Draft to go", "Draft renamed"]).exists()
    assert history.filter(action=LogEntry.Action.DELETE).exists()


def test_the_log_is_append_only(admin_user):
    topic = Topic.objects.create(name="Kept", slug="kept")
    entry = entries(topic).get()
    entry.object_repr = "tampered"
    with pytest.raises(PermissionDenied), transaction.atomic():
        entry.save()
    with pytest.raises(PermissionDenied), transaction.atomic():
        entry.delete()
    with pytest.raises(PermissionDenied), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    assert LogEntry.objects.get(pk=entry.pk).object_repr == "Kept"


def test_a_posted_share_is_on_the_record_with_its_exact_text(networks, redis_url, settings,
                                                            django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    ann = UserFactory(full_name="Ann Lee")
    connect_account(ann, "linkedin", networks)
    item = published_item(url="https://example.com/story", texts=[("linkedin", "Proud of this")])
    with django_capture_on_commit_callbacks(execute=False):
        [share] = share_create(user=ann, item=item, request=ShareRequest(networks=["linkedin"], idempotency_key="a1"))
    assert share_post(share_id=share.pk).status == "posted"
    share.refresh_from_db()
    [entry] = entries(share, additional_data__event="share posted")
    [post] = networks.state.posts("linkedin")
    assert entry.actor == ann
    assert entry.additional_data["text"] == share.final_text
    assert post.text.startswith("Proud of this") and share.final_text.startswith("Proud of this")
    assert entry.additional_data["remote_id"] == share.remote_id == post.id or share.remote_id.endswith(
        str(post.id))
    assert entry.additional_data["network"] == "linkedin" and entry.additional_data["account"]


def _changelist(client, **params):
    return client.get(reverse("admin:auditlog_logentry_changelist"), params)


def test_who_may_read_the_log(client, admin_user):
    item = ContentItemFactory(title="Visible to approvers")
    person = advocate(full_name="Private Person")
    person.full_name = "Renamed Person"
    person.save()

    client.force_login(admin_user)
    page = _changelist(client).content.decode()
    assert "Visible to approvers" in page and "Renamed Person" in page

    client.force_login(approver())
    response = _changelist(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Visible to approvers" in page and "Renamed Person" not in page
    assert client.get(reverse("admin:auditlog_logentry_change", args=[entries(person).last().pk])).status_code \
        in (302, 404)

    for user in (curator(), advocate()):
        client.force_login(user)
        response = _changelist(client)
        assert response.status_code in (302, 403)
        assert client.get(reverse("admin:auditlog_logentry_export")).status_code in (302, 403)
    assert ContentItem.objects.filter(pk=item.pk).exists()


def test_search_filter_and_csv_export(client, admin_user):
    client.force_login(admin_user)
    ContentItemFactory(title="=HYPERLINK(\"http://evil.example\")")
    boss = approver(email="boss@example.com")
    item = ContentItemFactory(status="in_review", title="Searchable item")
    client.force_login(boss)
    client.post(reverse("admin:content_contentitem_transition", args=[item.pk, "approve"]))
    client.force_login(admin_user)

    by_person = _changelist(client, q="boss@example.com").content.decode()
    assert "Searchable item" in by_person and "HYPERLINK" not in by_person
    by_event = _changelist(client, event="approve").content.decode()
    assert "Searchable item" in by_event
    by_type = _changelist(client, action=LogEntry.Action.DELETE).content.decode()
    assert "Searchable item" not in by_type

    response = client.get(reverse("admin:auditlog_logentry_export"), {"q": ""})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["timestamp", "who", "address", "action", "event"]
    approve = [r for r in rows if r[4] == "approve"]
    assert approve and approve[0][1] == "boss@example.com" and "Searchable item" in approve[0][7]
    assert any(r[7].startswith("'=HYPERLINK") for r in rows)
    filtered = client.get(reverse("admin:auditlog_logentry_export"), {"event": "approve"})
    assert len(list(csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode())))) == 2


def _columns(log: LogEntry) -> dict:
    return {f.attname: getattr(log, f.attname) for f in LogEntry._meta.concrete_fields if f.attname != "id"}


def test_a_workers_entry_is_written_without_the_orm_and_reads_back_the_same(admin_user, monkeypatch):
    """Outside a request (a worker posting shares) an entry is one INSERT built once per
    process; it reads back exactly as an entry saved the ORM's way."""
    from core import audit

    team = Team.objects.create(name="Ops")
    fast = audit.record(team, event="team checked", actor=admin_user, changes={"name": ["", "Ops"]},
                        extra={"text": "ünïcode ✓", "n": 3})
    saved = audit.entry(team, event="team checked", actor=admin_user, changes={"name": ["", "Ops"]},
                        extra={"text": "ünïcode ✓", "n": 3})
    saved.timestamp = fast.timestamp
    saved.save()
    assert fast.pk and fast.pk != saved.pk and not fast._state.adding
    assert _columns(LogEntry.objects.get(pk=fast.pk)) == _columns(LogEntry.objects.get(pk=saved.pk))
    assert entries(team, additional_data__event="team checked").count() == 2
    # The path is the INSERT: with save() refused, the worker's entry is still written.
    monkeypatch.setattr(LogEntry, "save", lambda *a, **k: pytest.fail("save() called"))
    assert audit.record(team, event="team checked again", actor=admin_user).pk


def test_in_a_request_entries_are_saved_with_the_requests_actor_and_address(admin_user, monkeypatch):
    from auditlog.context import set_actor

    from core import audit

    team = Team.objects.create(name="Sales")
    saved = []
    real_save = LogEntry.save
    monkeypatch.setattr(LogEntry, "save", lambda self, *a, **k: saved.append(self) or real_save(self, *a, **k))
    with set_actor(admin_user, remote_addr="203.0.113.9"):  # what AuditlogMiddleware does
        log = audit.record(team, event="team checked")
    assert saved == [log]  # the ORM's save, whose signal fills in the request's actor
    log = LogEntry.objects.get(pk=log.pk)
    assert log.actor == admin_user and log.remote_addr == "203.0.113.9"
