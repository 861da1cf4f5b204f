"""Admin: EMV rate versions are added, never edited; points rules are editable."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import ADMIN, ADVOCATE
from analytics.models import EmvRate, PointsRule
from tests.factories import UserFactory, advocate

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[ADMIN, ADVOCATE], is_staff=True))
    return client


def test_a_rate_version_cannot_start_in_the_past(admin_client):
    form = {"network": "linkedin", "currency": "USD", "cpc": "4", "cpm": "20", "reaction_multiplier": "0"}
    yesterday = (timezone.now() - timedelta(days=1)).date()
    response = admin_client.post("/admin/analytics/emvrate/add/", {**form, "effective_from": yesterday.isoformat()})
    assert response.status_code == 200 and "cannot start in the past" in response.content.decode()
    tomorrow = (timezone.now() + timedelta(days=1)).date()
    response = admin_client.post("/admin/analytics/emvrate/add/", {**form, "effective_from": tomorrow.isoformat()})
    assert response.status_code == 302
    rate = EmvRate.objects.get(effective_from=tomorrow)
    assert rate.created_by is not None
    # Versions are read-only once saved.
    page = admin_client.get(f"/admin/analytics/emvrate/{rate.pk}/change/").content.decode()
    assert 'name="cpc"' not in page


def test_points_rules_can_be_changed(admin_client):
    response = admin_client.post("/admin/analytics/pointsrule/share/change/", {"points": "12", "active": "on"})
    assert response.status_code == 302
    assert PointsRule.objects.get(kind="share").points == 12


def test_everyone_sees_my_impact_in_the_navigation(client):
    client.force_login(advocate())
    body = client.get("/impact/").content.decode()
    assert 'href="/impact/"' in body and 'aria-current="page">My impact' in body
