from urllib.parse import parse_qs, urlsplit

import pytest

from advocacy.models import Share
from tests.factories import CampaignFactory, SocialAccountFactory, published_item

pytestmark = pytest.mark.django_db


def make_share(url: str, *, network="linkedin", campaign=None) -> Share:
    item = published_item(url=url, campaign=campaign)
    account = SocialAccountFactory(network=network)
    return Share.objects.create(
        user=account.user, item=item, network=network, account=account, text="t", final_text="t",
        idempotency_key="k", status="posted",
    )


def test_redirects_to_the_item_with_utm_tags_keeping_its_query(client):
    campaign = CampaignFactory(slug="summit", utm_campaign="summit-2026")
    share = make_share("https://example.com/post?id=7&utm_source=old#top", network="x", campaign=campaign)
    response = client.get(f"/r/{share.link_code}")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc, target.path, target.fragment) == ("https", "example.com", "/post", "top")
    assert parse_qs(target.query) == {
        "id": ["7"], "utm_source": ["x"], "utm_medium": ["employee_advocacy"],
        "utm_campaign": ["summit-2026"], "utm_content": [share.link_code],
    }


def test_unknown_code_is_404(client):
    assert client.get("/r/doesnotexist").status_code == 404


def test_no_open_redirect(client):
    share = make_share("https://example.com/a")
    response = client.get(f"/r/{share.link_code}?next=https://evil.example/&url=https://evil.example/")
    assert response.status_code == 302 and response["Location"].startswith("https://example.com/a?")


def test_codes_are_short_unique_and_unguessable():
    codes = {make_share(f"https://example.com/{i}").link_code for i in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 10 and c.isalnum() for c in codes)
