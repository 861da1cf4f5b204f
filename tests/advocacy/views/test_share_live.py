"""My shares, live: the status endpoint, the rows it renders and the confirmation."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy.models import Share
from advocacy.views.share import share_in_flight
from tests.factories import SocialAccountFactory, UserFactory, published_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = UserFactory(full_name="Ann Lee")
    SocialAccountFactory(user=user, network="linkedin")
    client.force_login(user)
    return user


def share(user, status, **fields):
    item = fields.pop("item", None) or published_item()
    return Share.objects.create(user=user, item=item, network="linkedin", text="Hi", final_text="Hi",
                                status=status, idempotency_key=f"k-{Share.objects.count()}", **fields)


def status(client, *shares, raw=None):
    ids = raw if raw is not None else ",".join(str(s.pk) for s in shares)
    return client.get(reverse("share_status"), {"ids": ids})


def test_the_status_of_own_shares_with_their_rows(client, ann):
    queued = share(ann, "queued")
    posted = share(ann, "posted", remote_url="https://www.linkedin.com/feed/update/urn:li:share:1/")
    failed = share(ann, "failed", error_message="LinkedIn refused the post: access denied.")
    response = status(client, queued, posted, failed)
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    data = response.json()
    by_id = {s["id"]: s for s in data["shares"]}
    assert data["in_flight"] is True
    assert (by_id[queued.pk]["status"], by_id[queued.pk]["in_flight"]) == ("queued", True)
    assert by_id[posted.pk]["in_flight"] is False and by_id[failed.pk]["in_flight"] is False

    posted_row = BeautifulSoup(by_id[posted.pk]["row"], "html.parser").tr
    assert posted_row["data-share-status"] == "posted" and not posted_row.has_attr("data-in-flight")
    assert posted_row.find("a", class_="view-post")["href"] == posted.remote_url
    failed_row = BeautifulSoup(by_id[failed.pk]["row"], "html.parser").tr
    assert failed_row.find(class_="share-reason").get_text() == "LinkedIn refused the post: access denied."
    retry = failed_row.find("form")
    assert retry["action"] == reverse("share_retry", args=[failed.pk]) and retry.button.get_text() == "Retry"
    assert retry.find("input", attrs={"name": "csrfmiddlewaretoken"})  # the button works as is
    queued_row = BeautifulSoup(by_id[queued.pk]["row"], "html.parser").tr
    assert queued_row.has_attr("data-in-flight") and queued_row.find(class_="pill").get_text() == "Queued"
    assert BeautifulSoup(by_id[failed.pk]["summary"], "html.parser").get_text() == (
        "Not posted on LinkedIn — the reason and Retry are below")


def test_someone_elses_shares_are_left_out(client, ann):
    bob_share = share(UserFactory(), "queued")
    mine = share(ann, "posting")
    data = status(client, bob_share, mine).json()
    assert [s["id"] for s in data["shares"]] == [mine.pk]
    assert status(client, bob_share).json() == {"shares": [], "in_flight": False}


def test_nothing_in_flight_says_so(client, ann):
    done = share(ann, "posted")
    assert status(client, done).json()["in_flight"] is False
    assert status(client, raw="").json() == {"shares": [], "in_flight": False}


@pytest.mark.parametrize("raw, message", [
    ("1,two", "ids must be share numbers"),
    (",".join(str(n) for n in range(1, 52)), "at most 50"),
])
def test_bad_ids_are_a_clear_400(client, ann, raw, message):
    response = status(client, raw=raw)
    assert response.status_code == 400 and message in response.json()["error"]


def test_only_get_and_only_signed_in(client, ann):
    assert client.post(reverse("share_status")).status_code == 405
    client.logout()
    response = client.get(reverse("share_status"), {"ids": "1"})
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_status_costs_one_query_for_the_shares(client, ann, django_assert_max_num_queries):
    shares = [share(ann, "queued") for _ in range(20)]
    with CaptureQueriesContext(connection) as one:
        status(client, shares[0])
    # The same for twenty as for one: the shares in one query (item and account joined), the
    # rest is the request's own (session, user, ...).
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = status(client, *shares)
    assert len(response.json()["shares"]) == 20
    assert len(one.captured_queries) <= 5


def test_scheduled_shares_are_followed_only_when_about_to_go_out():
    now = timezone.now()
    soon = Share(status="scheduled", scheduled_for=now + timedelta(minutes=1))
    later = Share(status="scheduled", scheduled_for=now + timedelta(hours=3))
    assert share_in_flight(soon, now=now) and not share_in_flight(later, now=now)
    assert share_in_flight(Share(status="posting"), now=now) and not share_in_flight(Share(status="failed"), now=now)


def test_my_shares_marks_rows_in_flight_and_offers_refresh(client, ann):
    queued = share(ann, "queued")
    posted = share(ann, "posted")
    page = BeautifulSoup(client.get(reverse("my_shares")).content, "html.parser")
    table = page.find("table", attrs={"data-share-status-url": reverse("share_status")})
    rows = {int(r["data-share-id"]): r for r in table.find_all("tr", attrs={"data-share-id": True})}
    assert rows[queued.pk].has_attr("data-in-flight") and not rows[posted.pk].has_attr("data-in-flight")
    note = page.find(attrs={"data-live-note": True})
    assert not note.has_attr("hidden") and note.find("a", attrs={"data-live-refresh": True})["href"] == "/shares/"
    assert page.find("script", src=lambda s: s and s.endswith("js/share-status.js"))


def test_my_shares_without_anything_in_flight_hides_the_note(client, ann):
    share(ann, "posted")
    page = BeautifulSoup(client.get(reverse("my_shares")).content, "html.parser")
    assert page.find(attrs={"data-live-note": True}).has_attr("hidden")


def test_the_confirmation_follows_the_shares_just_made(client, ann, django_capture_on_commit_callbacks):
    item = published_item(title="Our launch")
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        response = client.post(reverse("share_dialog", args=[item.pk]), {
            "networks": ["linkedin"], "text_linkedin": "Proud", "idempotency_key": "k", "when": "now"})
    made = Share.objects.get()
    # The new shares' ids travel in the address (no session write after the shares are saved).
    assert response["Location"] == f"{reverse('my_shares')}?shared={made.pk}"
    assert "chorus_just_shared" not in client.session
    page = BeautifulSoup(client.get(response["Location"]).content, "html.parser")
    [line] = page.select(".share-confirmation [data-summary-for]")
    assert int(line["data-summary-for"]) == made.pk and line.get_text().strip() == "Queued for LinkedIn…"
    assert "just-shared" in page.find("tr", attrs={"data-share-id": str(made.pk)})["class"]
    # The plain list has no confirmation; nor does an address naming someone else's share.
    assert not BeautifulSoup(client.get(reverse("my_shares")).content, "html.parser").select(".share-confirmation")
    other = share(UserFactory(email="bob@example.com"), "queued")
    foreign = BeautifulSoup(client.get(f"{reverse('my_shares')}?shared={other.pk},x,,9").content, "html.parser")
    assert not foreign.select(".share-confirmation")
