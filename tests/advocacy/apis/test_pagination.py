"""KeysetCursorPage: pages by the values of every ordering column, robust to rows that
come and go, and a forged cursor is one clear 400."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from advocacy.models import Share
from tests.factories import advocate, published_item

pytestmark = pytest.mark.django_db

SHARES = "/api/v1/shares/"


@pytest.fixture
def shares(client):
    me = advocate()
    client.force_login(me)
    item = published_item()
    made = []
    for n in range(7):
        share = Share.objects.create(user=me, item=item, network="linkedin", text="t", final_text="t",
                                     idempotency_key=f"k{n}", status="posted")
        # Two pairs share a creation time: the id orders them.
        at = timezone.now() - timedelta(minutes=[1, 2, 2, 3, 4, 4, 5][n])
        Share.objects.filter(pk=share.pk).update(created_at=at)
        made.append(share.pk)
    return made


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    return [r["id"] for r in body["results"]], body


def test_ties_are_broken_by_id_and_nothing_is_lost(client, shares):
    seen, url = [], f"{SHARES}?page_size=2"
    while url:
        ids, body = page(client, url)
        seen += ids
        url = body["next"]
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen[1:3] == sorted(seen[1:3], reverse=True) and seen[4:6] == sorted(seen[4:6], reverse=True)


def test_the_row_a_cursor_points_at_may_be_gone(client, shares):
    first, body = page(client, f"{SHARES}?page_size=3")
    Share.objects.filter(pk=first[-1]).delete()
    rest, _ = page(client, body["next"] + "&page_size=10")
    assert set(first) | set(rest) == set(shares) and not set(first) & set(rest)


def test_the_first_page_has_no_previous_and_the_last_no_next(client, shares):
    _, first = page(client, f"{SHARES}?page_size=4")
    assert first["previous"] is None and first["next"]
    _, last = page(client, first["next"])
    assert last["next"] is None and last["previous"]
    back, _ = page(client, last["previous"])
    assert len(back) == 4


def _cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "%%%", "bm90IGpzb24", _cursor([1, 2]), _cursor({"p": "x"}), _cursor({"p": [[1], 2]}),
    _cursor({"p": [{"dt": "yesterday"}, 1]}), _cursor({"p": [{"dt": "2025-13-45T00:00:00+00:00"}, 1]}),
    _cursor({"p": [1.5, 1]}), _cursor({"p": [1, 2, 3]}), "A" * 2000, _cursor({"p": ["abc", 1]}),
    _cursor({"p": [{"dt": "2025-01-01T00:00:00+00:00"}, "abc"]}), _cursor({"p": [True, None]}),
    _cursor({"p": [{"dt": "2025-01-01T00:00:00+00:00"}, 10**30]}),
])
def test_a_forged_cursor_is_a_400(client, shares, cursor):
    response = client.get(SHARES, {"cursor": cursor})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == "cursor"


def test_a_cursor_of_another_ordering_is_a_400_not_a_wrong_page(client, shares):
    _, body = page(client, f"{SHARES}?page_size=2&ordering=-id")
    response = client.get(body["next"].replace("ordering=-id", "ordering=created_at"))
    assert response.status_code == 400 and response.json()["error"]["field"] == "cursor"
