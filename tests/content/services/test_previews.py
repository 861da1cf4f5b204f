import pytest

from content.models import ContentItem
from content.services.previews import content_fetch_preview, content_request_preview
from tests.factories import ContentItemFactory
from tests.support import PageServer

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def site(settings):
    settings.FETCHER_ALLOWED_HOSTS = ["127.0.0.1"]
    with PageServer() as server:
        server.pages["/article"] = (200, "text/html; charset=utf-8", b"""<html><head>
            <title>Fallback</title><meta property="og:title" content="The real title">
            <meta property="og:description" content="What it is about"><meta property="og:image" content="/img.png">
            <meta property="og:site_name" content="Example"><link rel="canonical" href="/article"></head></html>""")
        server.pages["/img.png"] = (200, "image/png", PNG)
        yield server


def test_preview_fills_in_and_downloads_the_image(site, django_capture_on_commit_callbacks):
    item = ContentItemFactory(url=f"{site.url}/article", title="", summary="")
    with django_capture_on_commit_callbacks(execute=True):
        content_request_preview(item=item)  # the task runs after commit
    item.refresh_from_db()
    assert item.preview_status == "ok" and item.preview_title == "The real title"
    assert item.title == "The real title" and item.summary == "What it is about"
    assert item.preview_image_url == f"{site.url}/img.png" and item.canonical_url == f"{site.url}/article"
    assert item.image and item.image.read() == PNG


def test_hand_edited_fields_are_kept(site):
    item = ContentItemFactory(url=f"{site.url}/article", title="Our title", summary="Our words")
    content_fetch_preview(item=item, url=item.url)
    item.refresh_from_db()
    assert (item.title, item.summary) == ("Our title", "Our words")


def test_failure_is_stored_with_the_reason(site):
    item = ContentItemFactory(url=f"{site.url}/missing")
    content_fetch_preview(item=item, url=item.url)
    item.refresh_from_db()
    assert item.preview_status == "failed" and "404" in item.preview_error


def test_private_address_is_refused(settings):
    settings.FETCHER_ALLOWED_HOSTS = []
    item = ContentItemFactory(url="http://169.254.169.254/latest/meta-data/")
    content_fetch_preview(item=item, url=item.url)
    item.refresh_from_db()
    assert item.preview_status == "failed" and "169.254.169.254" in item.preview_error


def test_stale_task_for_an_old_url_does_nothing(site):
    item = ContentItemFactory(url=f"{site.url}/article", title="T")
    content_fetch_preview(item=item, url="https://old.example.com/")
    assert ContentItem.objects.get(pk=item.pk).preview_status == "none"
