"""The share dialog's previews and "Another wording", as the server renders them."""

import pytest
from bs4 import BeautifulSoup
from django.core.files.base import ContentFile
from django.urls import reverse

from advocacy.models import Share
from content.models import ComplianceSettings
from tests.factories import SocialAccountFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee")
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    return user


def dialog(client, item, **query):
    response = client.get(reverse("share_dialog", args=[item.pk]), query)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def preview_text(page, network):
    return page.select_one(f'[data-post-preview="text_{network}"] [data-preview-text]').get_text()


def test_the_preview_is_the_text_that_will_be_posted(client, ann, django_capture_on_commit_callbacks):
    ComplianceSettings.objects.update_or_create(pk=1, defaults={"default_disclosure": "#employee"})
    item = published_item(url="https://www.example.com/story", texts=[("linkedin", "Proud of this launch")])
    page = dialog(client, item)
    shown = preview_text(page, "linkedin")
    assert shown == "Proud of this launch #employee\nhttp://testserver/r/XXXXXXXXXX"

    key = page.find("input", attrs={"name": "idempotency_key"})["value"]
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("share_dialog", args=[item.pk]), {
            "networks": ["linkedin"], "text_linkedin": "Proud of this launch", "idempotency_key": key, "when": "now"})
    made = Share.objects.get()
    # What the posting code sends is the preview with this share's own tracked link.
    assert made.final_text == shown.replace("XXXXXXXXXX", made.link_code)


def test_the_link_card_shows_the_image_the_title_and_the_domain(client, ann):
    item = published_item(title="Our launch", url="https://www.example.com/story", preview_title="Fetched title")
    item.image.save("card.png", ContentFile(PNG))
    card = dialog(client, item).select_one('[data-post-preview="text_linkedin"] .link-card')
    assert card.select_one(".link-card-title").get_text() == "Our launch"  # the curator's title wins
    assert card.select_one(".link-card-domain").get_text() == "example.com"
    assert card.img["src"] == item.image.url


def test_a_text_post_has_no_link_card(client, ann):
    item = published_item(url="", texts=[("linkedin", "Just words")])
    page = dialog(client, item)
    assert page.select_one('[data-post-preview="text_linkedin"] .link-card') is None
    assert preview_text(page, "linkedin") == "Just words"


def test_another_wording_without_javascript_asks_for_the_next_one(client, ann):
    item = published_item(texts=[("linkedin", "First"), ("linkedin", "Second"), ("linkedin", "Third")])
    offered = client.get(reverse("share_dialog", args=[item.pk])).context["networks"][0]["text"]
    page = dialog(client, item)
    link = page.find("a", attrs={"data-another-wording": "text_linkedin"})
    assert link.get_text() == "Another wording"
    at = ["First", "Second", "Third"].index(offered)  # the variant this person is offered
    assert link["href"] == f"?wording_linkedin={(at + 1) % 3}"
    assert link["data-wordings"] == '["First", "Second", "Third"]'

    page = dialog(client, item, wording_linkedin="1")
    assert page.find("textarea", id="text_linkedin").get_text() == "Second"
    assert page.find(attrs={"data-wording-label": "text_linkedin"}).get_text() == "Suggestion 2 of 3"
    assert page.find("a", attrs={"data-another-wording": "text_linkedin"})["href"] == "?wording_linkedin=2"
    assert preview_text(page, "linkedin").startswith("Second")
    assert dialog(client, item, wording_linkedin="5").find("textarea", id="text_linkedin").get_text() == "Third"
    assert dialog(client, item, wording_linkedin="x").find("textarea", id="text_linkedin").get_text() == "First"


def test_no_other_wording_for_a_single_text_or_a_locked_one(client, ann):
    single = published_item(texts=[("linkedin", "Only one")])
    assert dialog(client, single).find(attrs={"data-another-wording": True}) is None
    locked = published_item(text_locked=True, texts=[("linkedin", "Exact"), ("linkedin", "Also exact")])
    page = dialog(client, locked, wording_linkedin="1")
    assert page.find(attrs={"data-another-wording": True}) is None
    offered = client.get(reverse("share_dialog", args=[locked.pk])).context["networks"][0]["text"]
    assert page.find("textarea", id="text_linkedin").get_text() == offered


def test_the_share_again_warning_stays(client, ann):
    item = published_item()
    Share.objects.create(user=ann, item=item, network="linkedin", text="Hi", final_text="Hi", status="posted",
                         idempotency_key="old", remote_url="https://www.linkedin.com/feed/update/1/")
    page = dialog(client, item)
    assert page.find(attrs={"data-recent-share": "linkedin"}).get_text().startswith("You shared this on LinkedIn")
    assert page.find("input", attrs={"name": "share_again", "value": "linkedin"})
