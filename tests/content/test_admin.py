from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from content.models import ContentItem, ContentStatus
from tests.factories import ContentItemFactory, advocate, approver, curator

pytestmark = pytest.mark.django_db


def transition_url(item, name):
    return reverse("admin:content_contentitem_transition", args=[item.pk, name])


def test_advocate_cannot_reach_content_admin(client):
    client.force_login(advocate())
    response = client.get(reverse("admin:content_contentitem_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_curator_creates_an_item_with_texts(client, django_capture_on_commit_callbacks):
    cur = curator()
    client.force_login(cur)
    data = {
        "title": "Our new report", "url": "", "summary": "", "content_type": "industry_article",
        "hashtags": "", "target_everyone": "on", "priority": 0, "disclosure": "", "allow_linkedin": "on",
        "allow_x": "on", "preview_title": "", "preview_description": "", "preview_image_url": "",
        "preview_site_name": "",
        "share_texts-TOTAL_FORMS": 2, "share_texts-INITIAL_FORMS": 0,
        "share_texts-MIN_NUM_FORMS": 0, "share_texts-MAX_NUM_FORMS": 1000,
        "share_texts-0-network": "linkedin", "share_texts-0-text": "A great read", "share_texts-0-position": 0,
        "share_texts-1-network": "x", "share_texts-1-text": "Read it", "share_texts-1-position": 0,
        "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0, "changes-MIN_NUM_FORMS": 0,
        "changes-MAX_NUM_FORMS": 0,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:content_contentitem_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    item = ContentItem.objects.get(title="Our new report")
    assert item.status == ContentStatus.DRAFT and item.created_by == cur
    assert sorted(item.share_texts.values_list("network", "text")) == [("linkedin", "A great read"), ("x", "Read it")]
    assert item.changes.filter(action="create").exists()


def test_x_text_too_long_is_refused_with_counts(client):
    client.force_login(curator())
    item = ContentItemFactory(texts=[])
    data = _change_data(item, texts=[("x", "a" * 270)])
    response = client.post(reverse("admin:content_contentitem_change", args=[item.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "280" in html
    assert item.share_texts.count() == 0


def test_blocked_word_is_named(client):
    from content.models import ComplianceSettings

    ComplianceSettings.objects.update_or_create(pk=1, defaults={"blocked_words": "guarantee\nrisk-free"})
    client.force_login(curator())
    item = ContentItemFactory(texts=[])
    data = _change_data(item, texts=[("linkedin", "We Guarantee results, risk-free!")])
    response = client.post(reverse("admin:content_contentitem_change", args=[item.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "guarantee" in html.lower() and "risk-free" in html
    assert item.share_texts.count() == 0


def test_curator_cannot_publish_through_the_admin_even_with_a_crafted_post(client):
    client.force_login(curator())
    item = ContentItemFactory(status="in_review")
    response = client.post(transition_url(item, "publish"))
    assert response.status_code == 403
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"
    # the bulk action is refused too
    client.post(reverse("admin:content_contentitem_changelist"),
                {"action": "action_publish", "_selected_action": [item.pk]})
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"
    # and the status field is not editable in the form
    client.post(reverse("admin:content_contentitem_change", args=[item.pk]), {**_change_data(item), "status": "published"})
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"


def test_approver_publishes_and_schedules_from_the_item_page(client):
    client.force_login(approver())
    item = ContentItemFactory(status="in_review")
    page = client.get(reverse("admin:content_contentitem_change", args=[item.pk]))
    html = page.content.decode()
    assert 'data-transition="publish"' in html and 'data-transition="schedule"' in html
    assert "chorus-preview" in html
    # More than 90 days ahead is refused (core.scheduling); within, it is scheduled.
    refused = client.post(transition_url(item, "schedule"), {"publish_at": "2099-01-01T09:00"}, follow=True)
    assert "more than 90 days ahead" in refused.content.decode()
    assert ContentItem.objects.get(pk=item.pk).status == "in_review"
    when = timezone.localtime(timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)
    response = client.post(transition_url(item, "schedule"), {"publish_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "scheduled" and item.publish_at == when
    client.post(transition_url(item, "publish"))
    assert ContentItem.objects.get(pk=item.pk).status == "published"


def test_curator_sees_no_publish_button(client):
    client.force_login(curator())
    item = ContentItemFactory(status="draft")
    html = client.get(reverse("admin:content_contentitem_change", args=[item.pk])).content.decode()
    assert 'data-transition="submit"' in html
    assert 'data-transition="publish"' not in html and 'data-transition="schedule"' not in html


def test_bulk_actions(client):
    client.force_login(approver())
    drafts = [ContentItemFactory(status="draft") for _ in range(3)]
    ids = [i.pk for i in drafts]
    url = reverse("admin:content_contentitem_changelist")
    client.post(url, {"action": "action_submit", "_selected_action": ids})
    assert set(ContentItem.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"in_review"}
    client.post(url, {"action": "action_publish", "_selected_action": ids[:2]})
    assert ContentItem.objects.filter(pk__in=ids, status="published").count() == 2
    client.post(url, {"action": "action_duplicate", "_selected_action": ids[:1]})
    copy = ContentItem.objects.get(title=f"{drafts[0].title} (copy)")
    assert copy.status == "draft" and copy.share_texts.count() == 2
    client.post(url, {"action": "action_archive", "_selected_action": ids})
    assert set(ContentItem.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"archived"}


def test_changelist_and_review_queue_render_with_bounded_queries(client):
    client.force_login(approver())
    for i in range(30):
        ContentItemFactory(status="in_review" if i % 2 else "published")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:content_contentitem_changelist"))
    assert response.status_code == 200 and "chorus-badge" in response.content.decode()
    assert len(ctx.captured_queries) < 25
    queue = client.get(reverse("admin:content_contentitem_review"))
    assert queue.status_code == 200 and "Items waiting for review (15)" in queue.content.decode()


def _change_data(item, texts=()):
    data = {
        "title": item.title, "url": item.url, "summary": item.summary, "content_type": item.content_type,
        "hashtags": "", "target_everyone": "on", "priority": 0, "disclosure": "", "allow_linkedin": "on",
        "allow_x": "on", "preview_title": "", "preview_description": "", "preview_image_url": "",
        "preview_site_name": "",
        "share_texts-TOTAL_FORMS": len(texts), "share_texts-INITIAL_FORMS": 0,
        "share_texts-MIN_NUM_FORMS": 0, "share_texts-MAX_NUM_FORMS": 1000,
        "changes-TOTAL_FORMS": 0, "changes-INITIAL_FORMS": 0, "changes-MIN_NUM_FORMS": 0,
        "changes-MAX_NUM_FORMS": 0,
    }
    for n, (network, text) in enumerate(texts):
        data.update({f"share_texts-{n}-network": network, f"share_texts-{n}-text": text,
                     f"share_texts-{n}-position": n})
    return data
