"""The admin for curators: the title is optional with a link and the curator's wins, the
link preview's live endpoint, the review queue on the admin home."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from advocacy.models import Share
from advocacy.services.posting import _post_request
from content.models import ContentItem, ContentRevision, ContentSuggestion
from content.services.previews import content_fetch_preview
from networks.registry import get_adapter
from notifications.services.fanout import new_content_template
from tests.content.test_admin import _change_data
from tests.factories import (
    ContentItemFactory,
    SocialAccountFactory,
    UserFactory,
    advocate,
    approver,
    curator,
    published_item,
)
from tests.support import PageServer

pytestmark = pytest.mark.django_db

PAGE = b"""<html><head><title>Fallback</title><meta property="og:title" content="The fetched title">
<meta property="og:description" content="What it is about"></head></html>"""


@pytest.fixture
def site(settings):
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    with PageServer({"/article": (200, "text/html; charset=utf-8", PAGE),
                     "/other": (200, "text/html", PAGE.replace(b"The fetched title", b"Another page"))}) as server:
        yield server


def add_data(**fields):
    data = _change_data(ContentItem(title="", url="", summary="", content_type="industry_article"))
    data.update(fields)
    return data


def test_the_title_is_optional_with_a_link_and_the_page_gives_it(client, site, django_capture_on_commit_callbacks):
    client.force_login(curator())
    with django_capture_on_commit_callbacks(execute=True):  # the fetch runs after the commit
        response = client.post(reverse("admin:content_contentitem_add"), add_data(url=f"{site.url}/article"))
    item = ContentItem.objects.get()
    # Saved with a link: the curator stays on the item, where the preview fills in.
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:content_contentitem_change", args=[item.pk])
    assert (item.title, item.display_title, item.preview_status) == ("The fetched title", "The fetched title", "ok")


def test_no_title_and_no_link_is_refused(client):
    client.force_login(curator())
    response = client.post(reverse("admin:content_contentitem_add"), add_data())
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["title"] == ["Give a title, or a link to take the title from."]
    assert not ContentItem.objects.exists()


def test_a_typed_title_wins_everywhere(client, site):
    item = published_item(title="Our own words", url=f"{site.url}/article", texts=[("linkedin", "Read it")])
    content_fetch_preview(item=item, url=item.url)
    item.refresh_from_db()
    assert item.preview_title == "The fetched title" and item.display_title == "Our own words"
    user = UserFactory()
    client.force_login(user)
    feed = BeautifulSoup(client.get(reverse("home")).content, "html.parser")
    assert [h.get_text() for h in feed.select(".feed-title")] == ["Our own words"]
    api = client.get("/api/v1/feed/").json()
    assert [i["title"] for i in api["results"]] == ["Our own words"]
    email = new_content_template(item).rendered
    assert email.subject == "New to share: Our own words"
    assert "Our own words" in email.text and "The fetched title" not in email.text + email.html
    # The link card posted to the network.
    share = Share(item=item, network="linkedin", final_text="Read it",
                  account=SocialAccountFactory(user=user, network="linkedin"))
    assert _post_request(share, get_adapter("linkedin")).title == "Our own words"


def test_a_new_link_replaces_a_title_that_was_only_fetched(site):
    item = ContentItemFactory(title="", url=f"{site.url}/article")
    content_fetch_preview(item=item, url=item.url)
    item.url = f"{site.url}/other"
    item.save()
    content_fetch_preview(item=item, url=item.url)
    item.refresh_from_db()
    assert item.title == "Another page"
    typed = ContentItemFactory(title="Typed", url=f"{site.url}/other")
    content_fetch_preview(item=typed, url=typed.url)
    typed.refresh_from_db()
    assert typed.title == "Typed"


def test_the_link_preview_endpoint_says_what_the_worker_fetched(client, site):
    client.force_login(curator())
    item = ContentItemFactory(title="", url=f"{site.url}/article", preview_status="pending")
    url = reverse("admin:content_contentitem_link_preview", args=[item.pk])
    pending = client.get(url)
    assert pending.status_code == 200 and pending.json()["status"] == "pending"
    assert pending["Cache-Control"].startswith("max-age=0")
    content_fetch_preview(item=item, url=item.url)
    done = client.get(url).json()
    assert (done["status"], done["status_label"], done["title"], done["preview_title"]) == (
        "ok", "Fetched", "The fetched title", "The fetched title")
    assert done["preview_description"] == "What it is about" and done["fetched_at"]
    assert client.post(url).status_code == 405
    assert client.get(reverse("admin:content_contentitem_link_preview", args=[item.pk + 99])).status_code == 404


def test_the_link_preview_endpoint_is_for_staff_only(client):
    item = ContentItemFactory()
    client.force_login(advocate())
    response = client.get(reverse("admin:content_contentitem_link_preview", args=[item.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_change_page_polls_only_while_fetching(client):
    client.force_login(curator())
    item = ContentItemFactory(preview_status="pending")
    page = BeautifulSoup(client.get(reverse("admin:content_contentitem_change", args=[item.pk])).content,
                         "html.parser")
    root = page.find(id="chorus-preview")
    assert root["data-preview-status"] == "pending"
    assert root["data-link-preview-url"] == reverse("admin:content_contentitem_link_preview", args=[item.pk])
    assert page.find(attrs={"data-link-preview-state": True}).get_text() == "Fetching the link preview…"
    assert page.find("script", src=lambda s: s and s.endswith("js/admin-link-preview.js"))
    assert not page.find("input", id="id_title").has_attr("required")


def test_the_admin_home_links_the_review_queue_with_a_count(client):
    ContentItemFactory(status="in_review")
    ContentItemFactory(status="in_review")
    live = published_item()
    ContentRevision.objects.create(item=live, proposed_by=curator(), data={"fields": {"title": "New"}})
    ContentSuggestion.objects.create(suggested_by=advocate(), url="https://example.com/a")
    ContentSuggestion.objects.create(suggested_by=advocate(), url="https://example.com/b", status="accepted")
    client.force_login(approver())
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:index"))
    page = BeautifulSoup(response.content, "html.parser")
    box = page.select_one(".chorus-review-home")
    assert box.find("a", class_="chorus-review-link")["href"] == reverse("admin:content_contentitem_review")
    assert box.find(attrs={"data-review-count": True}).get_text() == "4 waiting"
    assert "2 items to approve, 1 change to live items, 1 employee suggestion" in box.get_text()
    assert page.select_one("#content-main")  # the usual app list is still there
    assert len(queries.captured_queries) < 20


def test_the_admin_home_says_when_nothing_waits(client):
    client.force_login(curator())
    box = BeautifulSoup(client.get(reverse("admin:index")).content, "html.parser").select_one(".chorus-review-home")
    assert box.find(attrs={"data-review-count": "0"}).get_text() == "nothing waiting"
