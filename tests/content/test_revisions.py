"""Nothing reaches employees without approval: a curator's edit of a live item waits for an
approver; changes with consequences need an approver and a confirmation."""

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Share
from content.models import ContentItem, ContentRevision, ContentStatus, RevisionStatus, ShareText
from content.services.workflow import content_publish_due
from notifications.services.fanout import new_content_template
from tests.factories import (
    ContentItemFactory,
    SocialAccountFactory,
    UserFactory,
    advocate,
    approver,
    curator,
    published_item,
)

pytestmark = pytest.mark.django_db


def change_data(item: ContentItem, **overrides) -> dict:
    """What the admin's change form posts for ``item`` as it is, with ``overrides``.
    ``texts`` replaces the suggested texts: a list of (network, text); existing rows keep their id."""
    texts = overrides.pop("texts", None)
    data = {
        "title": item.title, "url": item.url, "summary": item.summary, "content_type": item.content_type,
        "hashtags": item.hashtags, "target_everyone": "on" if item.target_everyone else "",
        "priority": item.priority, "disclosure": item.disclosure,
        "allow_linkedin": "on" if item.allow_linkedin else "", "allow_x": "on" if item.allow_x else "",
        "text_locked": "on" if item.text_locked else "",
        "preview_title": item.preview_title, "preview_description": item.preview_description,
        "preview_image_url": item.preview_image_url, "preview_site_name": item.preview_site_name,
        "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0, "changes-MIN_NUM_FORMS": 0,
        "changes-MAX_NUM_FORMS": 0,
    }
    if item.publish_at:
        local = timezone.localtime(item.publish_at)
        data["publish_at_0"], data["publish_at_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
    existing = list(item.share_texts.order_by("network", "position", "pk"))
    rows = [(t.network, t.text) for t in existing] if texts is None else texts
    data.update({"share_texts-TOTAL_FORMS": len(rows), "share_texts-INITIAL_FORMS": min(len(existing), len(rows)),
                 "share_texts-MIN_NUM_FORMS": 0, "share_texts-MAX_NUM_FORMS": 1000})
    for n, (network, text) in enumerate(rows):
        data.update({f"share_texts-{n}-network": network, f"share_texts-{n}-text": text,
                     f"share_texts-{n}-position": n, f"share_texts-{n}-item": item.pk})
        if n < len(existing):
            data[f"share_texts-{n}-id"] = existing[n].pk
    for key, value in overrides.items():
        data[key] = value
    return {k: v for k, v in data.items() if v not in ("", None)}


def change(client, item, **overrides):
    return client.post(reverse("admin:content_contentitem_change", args=[item.pk]), change_data(item, **overrides))


def posted_share(item, code="Abc123defG"):
    account = SocialAccountFactory()
    return Share.objects.create(
        user=account.user, item=item, network="linkedin", account=account, text="t", final_text="t",
        idempotency_key=f"k-{code}", status="posted", posted_at=timezone.now(), remote_id=f"urn:li:share:{code}",
        link_code=code,
    )


def what_employees_see(client, item) -> dict:
    """The live item as the feed page, the API, the new-content email and /r/ show it."""
    client.force_login(advocate())
    feed = client.get(reverse("home")).content.decode()
    api = client.get(reverse("api_feed")).json()
    api_item = next(i for i in api["results"] if i["id"] == item.pk)
    email = new_content_template(ContentItem.objects.get(pk=item.pk)).rendered
    return {"feed": feed, "api": api_item, "email": email.subject + email.text}


@pytest.mark.parametrize("status", ["published", "scheduled", "approved"])
def test_curator_edit_of_a_live_item_waits_for_an_approver(client, status):
    when = {"published_at": timezone.now()} if status == "published" else {}
    if status == "scheduled":
        when["publish_at"] = timezone.now() + timedelta(days=1)
    item = ContentItemFactory(status=status, title="Approved title", summary="Approved summary",
                              texts=[("linkedin", "Approved text"), ("x", "Approved tweet")], **when)
    share = posted_share(item) if status == "published" else None
    cur = curator()
    client.force_login(cur)

    response = change(client, item, title="Curator's title", summary="Curator's summary",
                      texts=[("linkedin", "Curator's text"), ("x", "Approved tweet")])

    assert response.status_code == 302, response.content.decode()[:2000]
    live = ContentItem.objects.get(pk=item.pk)
    assert (live.title, live.summary, live.status) == ("Approved title", "Approved summary", status)
    assert sorted(live.share_texts.values_list("text", flat=True)) == ["Approved text", "Approved tweet"]
    revision = ContentRevision.objects.get(item=item, status=RevisionStatus.PENDING)
    assert revision.proposed_by == cur
    assert revision.data["fields"] == {"title": "Curator's title", "summary": "Curator's summary"}
    assert sorted(t["text"] for t in revision.data["texts"]) == ["Approved tweet", "Curator's text"]
    assert live.changes.filter(action="revision proposed").exists()
    if status == "published":
        seen = what_employees_see(client, item)
        assert "Approved title" in seen["feed"] and "Curator" not in seen["feed"]
        assert seen["api"]["title"] == "Approved title"
        assert "Curator" not in str(seen["api"])
        assert "Approved title" in seen["email"] and "Curator" not in seen["email"]
        redirect = client.get(f"/r/{share.link_code}")
        assert redirect.status_code == 302 and redirect["Location"].startswith(item.url)
    if status == "scheduled":
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(timezone, "now", lambda: item.publish_at + timedelta(minutes=1))
            assert content_publish_due(now=item.publish_at + timedelta(minutes=1)) == 1
        live = ContentItem.objects.get(pk=item.pk)
        assert (live.status, live.title, live.publish_at) == ("published", "Approved title", item.publish_at)


def test_approver_approves_the_revision_from_the_review_queue(client):
    item = published_item(title="Approved title", texts=[("linkedin", "Approved text")])
    text_id = item.share_texts.get().pk
    client.force_login(curator())
    change(client, item, title="Better title", texts=[("linkedin", "Better text"), ("x", "New tweet")])
    revision = ContentRevision.objects.get(item=item)

    boss = approver()
    client.force_login(boss)
    queue = client.get(reverse("admin:content_contentitem_review")).content.decode()
    # The field-by-field diff, texts included.
    for expected in ("Changes to approved items (1)", "Approved title", "Better title", "Approved text",
                     "Better text", "New tweet", "Suggested texts"):
        assert expected in queue, expected

    response = client.post(reverse("admin:content_contentrevision_decide", args=[revision.pk, "approve"]))
    assert response.status_code == 302
    live = ContentItem.objects.get(pk=item.pk)
    assert live.title == "Better title" and live.status == ContentStatus.PUBLISHED
    assert sorted(live.share_texts.values_list("network", "text")) == [("linkedin", "Better text"),
                                                                        ("x", "New tweet")]
    # The row a share may point at is kept, changed in place.
    assert ShareText.objects.filter(pk=text_id, text="Better text").exists()
    revision.refresh_from_db()
    assert (revision.status, revision.decided_by) == (RevisionStatus.APPROVED, boss)
    assert live.changes.filter(action="revision approved", user=boss).exists()
    seen = what_employees_see(client, item)
    assert "Better title" in seen["feed"] and seen["api"]["title"] == "Better title"
    # Approving twice does nothing more.
    client.force_login(boss)
    client.post(reverse("admin:content_contentrevision_decide", args=[revision.pk, "approve"]))
    assert ContentItem.objects.get(pk=item.pk).changes.filter(action="revision approved").count() == 1


def test_a_second_edit_adds_to_the_pending_revision(client):
    item = published_item(title="T0", summary="S0")
    client.force_login(curator())
    change(client, item, title="T1")
    change(client, item, summary="S1")
    pending = ContentRevision.objects.get(item=item, status=RevisionStatus.PENDING)
    assert pending.data["fields"] == {"title": "T1", "summary": "S1"}
    assert ContentRevision.objects.filter(item=item, status=RevisionStatus.REPLACED).count() == 1


def test_curator_cannot_approve_or_reject_a_revision(client):
    item = published_item(title="T0")
    client.force_login(curator())
    change(client, item, title="T1")
    revision = ContentRevision.objects.get(item=item)
    for decision in ("approve", "reject"):
        response = client.post(reverse("admin:content_contentrevision_decide", args=[revision.pk, decision]))
        assert response.status_code == 403
    assert ContentItem.objects.get(pk=item.pk).title == "T0"
    assert ContentRevision.objects.get(pk=revision.pk).status == RevisionStatus.PENDING


def test_approver_rejects_and_the_approved_version_stays(client):
    item = published_item(title="T0")
    client.force_login(curator())
    change(client, item, title="T1")
    revision = ContentRevision.objects.get(item=item)
    client.force_login(approver())
    client.post(reverse("admin:content_contentrevision_decide", args=[revision.pk, "reject"]),
                {"note": "Keep the title"})
    revision.refresh_from_db()
    assert revision.status == RevisionStatus.REJECTED and revision.note == "Keep the title"
    assert ContentItem.objects.get(pk=item.pk).title == "T0"


@pytest.mark.parametrize(
    ("field", "start", "edit", "message"),
    [
        ("url", {}, {"url": "https://elsewhere.example/new"}, "will now point to https://elsewhere.example/new"),
        ("text_locked", {"text_locked": True}, {"text_locked": ""}, "text lock is turned off"),
        ("disclosure", {"disclosure": "#ad"}, {"disclosure": ""}, "The disclosure “#ad”"),
        ("allow_x", {"allow_x": False}, {"allow_x": "on"}, "may now share it on X"),
    ],
)
def test_consequences_need_an_approver_and_a_confirmation(client, field, start, edit, message):
    texts = [("linkedin", "Approved text")]
    item = published_item(title="T0", texts=texts, **start)
    share = posted_share(item)
    before = {f: getattr(item, f) for f in ("url", "text_locked", "disclosure", "allow_x")}

    # A curator: refused, with the consequence named; nothing changes, no revision.
    client.force_login(curator())
    response = change(client, item, **edit)
    assert response.status_code == 200
    assert message in response.content.decode() and "Only an Approver can make this change" in \
        response.content.decode()
    assert {f: getattr(ContentItem.objects.get(pk=item.pk), f) for f in before} == before
    assert not ContentRevision.objects.filter(item=item).exists()

    # An approver: asked to confirm first.
    boss = approver()
    client.force_login(boss)
    response = change(client, item, **edit)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'name="confirm_consequences"' in html
    assert {f: getattr(ContentItem.objects.get(pk=item.pk), f) for f in before} == before

    response = change(client, item, confirm_consequences="1", **edit)
    assert response.status_code == 302, response.content.decode()[:3000]
    live = ContentItem.objects.get(pk=item.pk)
    assert getattr(live, field) != before[field]
    change_row = live.changes.get(action="confirmed consequences")
    assert change_row.user == boss and message in change_row.note
    entry = LogEntry.objects.get(additional_data__event="confirmed consequences", object_pk=str(item.pk))
    assert entry.actor == boss
    edit_entry = LogEntry.objects.filter(object_pk=str(item.pk), action=LogEntry.Action.UPDATE,
                                         changes__has_key=field).latest("timestamp")
    assert edit_entry.actor == boss
    if field == "url":
        redirect = client.get(f"/r/{share.link_code}")
        assert redirect["Location"].startswith("https://elsewhere.example/new")


def test_changing_the_link_of_a_live_item_with_no_posted_shares_is_an_ordinary_revision(client):
    item = published_item(title="T0")
    client.force_login(curator())
    response = change(client, item, url="https://elsewhere.example/new")
    assert response.status_code == 302
    assert ContentItem.objects.get(pk=item.pk).url == item.url
    assert ContentRevision.objects.get(item=item).data["fields"] == {"url": "https://elsewhere.example/new"}


def test_a_revision_whose_link_now_has_posted_shares_asks_the_approver_to_confirm(client):
    item = published_item(title="T0")
    client.force_login(curator())
    change(client, item, url="https://elsewhere.example/new")
    revision = ContentRevision.objects.get(item=item)
    posted_share(item)
    client.force_login(approver())
    assert "1 posted link" in client.get(reverse("admin:content_contentitem_review")).content.decode()
    url = reverse("admin:content_contentrevision_decide", args=[revision.pk, "approve"])
    client.post(url)
    assert ContentItem.objects.get(pk=item.pk).url == item.url
    client.post(url, {"confirm_consequences": "1"})
    assert ContentItem.objects.get(pk=item.pk).url == "https://elsewhere.example/new"


def test_approver_edits_to_a_live_item_take_effect_and_are_recorded(client):
    item = published_item(title="T0", texts=[("linkedin", "Old text")])
    boss = approver()
    client.force_login(boss)
    response = change(client, item, title="T1", texts=[("linkedin", "New text")])
    assert response.status_code == 302
    live = ContentItem.objects.get(pk=item.pk)
    assert live.title == "T1" and list(live.share_texts.values_list("text", flat=True)) == ["New text"]
    assert live.changes.filter(action="edit", user=boss).exists()
    texts = live.changes.get(action="texts")
    assert texts.changes["suggested texts"] == [["linkedin: Old text"], ["linkedin: New text"]]
    assert LogEntry.objects.filter(object_pk=str(item.pk), actor=boss, changes__title=["T0", "T1"]).exists()
    assert LogEntry.objects.filter(content_type__model="sharetext", actor=boss,
                                   changes__text=["Old text", "New text"]).exists()


def test_a_draft_is_edited_directly(client):
    item = ContentItemFactory(status="draft", title="T0")
    client.force_login(curator())
    assert change(client, item, title="T1").status_code == 302
    assert ContentItem.objects.get(pk=item.pk).title == "T1"
    assert not ContentRevision.objects.exists()


def test_published_or_shared_items_are_archived_not_deleted(client):
    item = published_item()
    draft = ContentItemFactory(status="draft")
    client.force_login(UserFactory(roles=["Admin"]))
    response = client.post(reverse("admin:content_contentitem_delete", args=[item.pk]), {"post": "yes"})
    assert response.status_code == 403
    changelist = reverse("admin:content_contentitem_changelist")
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [item.pk, draft.pk],
                                        "post": "yes"})
    assert response.status_code == 403
    assert ContentItem.objects.filter(pk__in=[item.pk, draft.pk]).count() == 2
    client.post(changelist, {"action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"})
    assert ContentItem.objects.filter(pk=item.pk).exists()
    assert not ContentItem.objects.filter(pk=draft.pk).exists()
    # The deleted draft stays on the record.
    assert LogEntry.objects.filter(object_pk=str(draft.pk), content_type__model="contentitem",
                                   action=LogEntry.Action.DELETE).exists()
