"""The feed's filters take ids from the address bar: anything that is not an id is no
filter, never a server error."""

import pytest

from tests.factories import CampaignFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "0", "abc", "1e5", str(2**63)])
@pytest.mark.parametrize("name", ["campaign", "topic"])
def test_a_value_that_cannot_be_an_id_shows_the_whole_feed(client, name, value):
    published_item(title="Visible to all")
    client.force_login(UserFactory())
    response = client.get("/", {name: value})
    assert response.status_code == 200
    assert "Visible to all" in response.content.decode()


def test_a_real_campaign_id_filters(client):
    campaign = CampaignFactory()
    published_item(title="In the campaign", campaign=campaign)
    published_item(title="Elsewhere")
    client.force_login(UserFactory())
    page = client.get("/", {"campaign": campaign.pk}).content.decode()
    assert "In the campaign" in page and "Elsewhere" not in page
