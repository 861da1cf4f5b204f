"""The digest's fast rendering (a layout rendered and CSS-inlined once per shape, per-person
values and per-item cards filled in) gives what css-inline gives the whole email, rendered
for that person: the same elements, attributes, inline styles and text, for every shape."""

import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import User
from analytics.impact import Impact
from notifications.services.digest_email import DigestRenderer
from notifications.services.digests import DigestBuilder, digest_chunk
from tests.factories import CampaignFactory, TeamFactory
from tests.notifications.helpers import days_ago, item_for, person

pytestmark = pytest.mark.django_db


class _Document(HTMLParser):
    """What a mail client's parser makes of an HTML email: elements with their attributes
    (character references decoded), comments and text; runs of whitespace count as one
    space (``short_lines`` breaks long lines at different spaces), ``style`` as parsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("<", tag, tuple(sorted((k, " ".join((v or "").split())) for k, v in attrs))))

    def handle_endtag(self, tag):
        self.events.append((">", tag))

    def handle_data(self, data):
        text = " ".join(data.split())
        if not text:
            return
        if self.events and self.events[-1][0] == "text":
            self.events[-1] = ("text", f"{self.events[-1][1]} {text}")
        else:
            self.events.append(("text", text))

    def handle_comment(self, data):
        self.events.append(("comment", data))


def document(html: str) -> list[tuple]:
    parser = _Document()
    parser.feed(html)
    parser.close()
    return parser.events


@pytest.fixture
def chunk(sales):
    """Three people (one without a team, one with a name to escape) and a realistic mix of
    items: a campaign's, a pinned one, images, summaries, new and old, shared by colleagues."""
    campaign = CampaignFactory(name="Cloud <Summit> & “launch”", goal_shares=10, goal_clicks=100, priority=1)
    CampaignFactory(name="Quiet campaign", goal_shares=5)
    people = [
        person("weekly", team=sales, full_name="<Zoë>&amp; O'Brien", timezone="Asia/Tokyo"),
        person("weekly", team=None, full_name="Ann Advocate", timezone="America/Los_Angeles"),
        person("weekly", team=TeamFactory(name="R&D — Paris"), full_name="", timezone="Europe/Berlin"),
    ]
    item_for(everyone=True, title="We launched in Frankfurt & Paris", campaign=campaign,
             preview_image_url="https://cdn.example.com/f.png", summary="Two new regions — “at last”.")
    item_for(everyone=True, title="Pinned: read this", pinned=True, published_at=days_ago(30))
    item_for(everyone=True, title="Numbers < words?", summary="A short summary. " * 20, published_at=days_ago(2))
    item_for(everyone=True, title="CHORUS__SHARE_URL__SLOT in a title stays as it is", published_at=days_ago(1))
    for n in range(3):
        item_for(everyone=True, title=f"Older story {n}", published_at=days_ago(12 + n))
    return [User.objects.select_related("team").get(pk=p.pk) for p in people]


IMPACTS = [
    None,  # analytics failed: no block
    Impact(),  # nothing last week: the empty block
    Impact(shares=1, clicks=1, points=10, rank=3, previous_rank=5),  # up, singular labels
    Impact(shares=12, clicks=1234, points=5678, rank=9, previous_rank=4, potential_reach=12345),  # down
    Impact(shares=2, clicks=0, points=20, rank=7, previous_rank=7),  # same place
    Impact(shares=3, clicks=5, points=30, rank=1),  # first week on the leaderboard
    Impact(shares=3, clicks=5, points=30, rank=None, engagements=2),  # opted out: no rank
]


def digests(users, kind="weekly_digest"):
    builder = DigestBuilder(kind=kind, users=users, as_of=timezone.now().replace(minute=0, second=0, microsecond=0))
    for user in users:
        digest = builder.build(user)
        assert digest.items and digest.new_count  # the fixture's items reach everyone
        for impact in IMPACTS if kind == "weekly_digest" else [None]:
            yield replace(digest, impact=impact)
        yield replace(digest, new_count=1, items=digest.items[:1])  # "1 new post"
        yield replace(digest, new_count=0)  # nothing new, still items waiting
        yield replace(digest, new_count=0, items=[], goals=[])  # shared everything


@pytest.mark.parametrize("kind", ["weekly_digest", "daily_digest", "test_digest"])
def test_fast_rendering_matches_the_inliner_on_the_whole_email(chunk, kind):
    fast, reference = DigestRenderer(), DigestRenderer(slots=False)
    seen = 0
    every = list(digests(chunk, kind))
    for digest in every:
        url = f"http://testserver/n/unsubscribe/{digest.user.pk}-{seen}/"
        got, want = fast.render(digest, unsubscribe=url), reference.render(digest, unsubscribe=url)
        assert got.subject == want.subject
        assert got.text == want.text
        assert document(got.html) == document(want.html)
        assert "CHORUS" not in got.html.replace("CHORUS__SHARE_URL__SLOT in a title", "")  # every slot filled
        assert max(len(line) for line in got.html.split("\n")) <= 700 and got.html.isascii()
        seen += 1
    assert seen >= 3 * 4
    # Layouts and item cards are rendered and inlined once each: the same emails again add none.
    layouts, blocks = dict(fast._layout._variants), dict(fast._layout._blocks)
    for digest in every:
        fast.render(digest, unsubscribe="http://testserver/u/")
    assert fast._layout._variants == layouts and fast._layout._blocks == blocks


def test_each_person_gets_their_own_values_escaped(chunk):
    zoe, ann, _ = chunk
    renderer = DigestRenderer()
    builder = DigestBuilder(kind="weekly_digest", users=chunk, as_of=timezone.now())
    impact = Impact(shares=12, clicks=1234, points=5678, rank=9, previous_rank=4, potential_reach=12345)
    first = renderer.render(replace(builder.build(zoe), impact=impact), unsubscribe="http://testserver/u/1/")
    second = renderer.render(replace(builder.build(ann), impact=impact), unsubscribe="http://testserver/u/2/?a=1&b=2")
    assert "&lt;Zo&#235;&gt;&amp;amp;" in first.html and "<Zoë>" not in first.html  # HTML-escaped, ASCII
    assert ", <Zoë>&amp;\n" in first.text  # plain text as it is
    assert ", Ann\n" in second.text and "Zoë" not in second.text and "Zo&#235;" not in second.html
    assert 'href="http://testserver/u/2/?a=1&amp;b=2"' in second.html and "u/1/" not in second.html
    assert "1,234" in first.html and "Down 5 places" in first.html and "12,345 people" in first.html
    share_links = set(re.findall(r"/n/share/([^/\"]+)/", first.html))
    assert share_links and share_links.isdisjoint(re.findall(r"/n/share/([^/\"]+)/", second.html))
    # The title that looks like a slot is the item's text, never someone's link.
    assert "CHORUS__SHARE_URL__SLOT in a title stays as it is" in first.text


def test_a_chunk_sends_the_fast_rendering(chunk):
    digest_chunk(kind="weekly_digest", period="2025-W48", user_ids=[u.pk for u in chunk], claim_token="t")
    assert len(mail.outbox) == 3
    for message in mail.outbox:
        html = message.alternatives[0][0]
        assert html.isascii() and 'style="' in html and "CHORUS" not in html.replace("CHORUS__SHARE_URL__SLOT", "")
        link = re.search(r"/n/unsubscribe/[^/\"]+/", message.extra_headers["List-Unsubscribe"])[0]
        assert link in html and link in message.body  # one signed link, in the header and the email
