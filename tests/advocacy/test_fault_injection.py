"""Shares against sandbox networks that misbehave, driven like a worker pool on a fake clock.

Every share must end *posted*, *failed* or *unconfirmed* with a reason; no share may be
lost: a *posted* share has a post of its own on the sandbox (its remote id is a distinct
post whose text is the share's final text), never another share's; and no post exists
twice. Time is simulated: our clock (freezegun) and the sandbox's move together, to the
moment the next task is due.
"""

import heapq
import itertools
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from advocacy.models import Share
from advocacy.services.posting import (
    DUPLICATE_TEXT,
    STALE_POSTING,
    _claim,
    _post_request,
    share_post,
)
from advocacy.services.sharing import ShareRequest, share_create
from advocacy.services.sweeps import shares_sweep_stale
from advocacy.services.tokens import account_access_token
from networks.registry import get_adapter
from tests.factories import UserFactory, published_item
from tests.support import connect_account

pytestmark = pytest.mark.django_db

USERS, ITEMS = 25, 10  # 25 people x 10 items x 2 networks = 500 shares


class Clocks:
    """Chorus's clock (freezegun) and the sandbox's clock, frozen and moved together."""

    def __init__(self, frozen, sandbox) -> None:
        self.frozen, self.sandbox = frozen, sandbox
        sandbox.clock.freeze()  # at freezegun's "now": both clocks agree
        self.t = 0.0  # seconds since the start

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self.frozen.tick(seconds)
            self.sandbox.clock.advance(seconds)
            self.t += seconds


class Worker:
    """A worker pool in one thread: tasks run in order of their due time, and a task whose
    outcome says "again in N seconds" is due N seconds later (Celery's countdown)."""

    def __init__(self, clocks: Clocks) -> None:
        self.clocks, self.heap, self.seq, self.runs = clocks, [], itertools.count(), 0

    def add(self, share_id: int, delay: float = 0.0) -> None:
        heapq.heappush(self.heap, (self.clocks.t + delay, next(self.seq), share_id))

    def next_due(self) -> float | None:
        return self.heap[0][0] if self.heap else None

    def step(self) -> int:
        due, _, share_id = heapq.heappop(self.heap)
        self.clocks.advance(due - self.clocks.t)
        self.runs += 1
        return share_id

    def run(self, share_id: int):
        outcome = share_post(share_id=share_id)
        if outcome is not None and outcome.retry_in is not None:
            self.add(share_id, outcome.retry_in)
        return outcome


def sandbox_text(post) -> str:
    """What the sandbox stored as the post's text, comparable with ``Share.final_text``."""
    return post.text if post.network == "linkedin" else post.raw_text


def check_posted_the_design_way(sandbox, shares) -> None:
    """Every posted share has a post of its own on the sandbox, with its own text."""
    posts = {(p.network, p.id): p for net in ("linkedin", "x") for p in sandbox.state.posts(net)}
    seen = set()
    for share in shares:
        if share.status != "posted":
            continue
        key = (share.network, share.remote_id)
        assert share.remote_id and key in posts, (share.pk, share.remote_id)
        assert key not in seen, f"share {share.pk} records another share's post {share.remote_id}"
        seen.add(key)
        assert sandbox_text(posts[key]) == share.final_text, (share.pk, share.remote_id)


def people(sandbox, n, networks=("linkedin", "x")):
    users = [UserFactory(full_name=f"Person {k}") for k in range(n)]
    for user in users:
        for network in networks:
            connect_account(user, network, sandbox)
    return users


def create(user, item, networks, key, capture):
    """Share ``item`` like the portal does (again, if this person shared it before)."""
    with capture(execute=False):
        return share_create(user=user, item=item, request=ShareRequest(
            networks=list(networks), idempotency_key=key, share_again=set(networks)))


def worker_dies_mid_post(share_id: int) -> None:
    """Claim, send the post, and vanish before recording anything."""
    share = _claim(share_id)
    if share is None:
        return
    adapter = get_adapter(share.network)
    try:
        adapter.publish(token=account_access_token(account=share.account), post=_post_request(share, adapter))
    except Exception:  # noqa: S110  (the worker is dead: nobody sees this)
        pass


# --------------------------------------------------------------------------- the long run


def test_500_shares_with_faults_no_duplicates_no_losses(networks, redis_url, settings,
                                                       django_capture_on_commit_callbacks):
    settings.OUTBOUND_HTTP_TIMEOUT = (2.0, 0.5)
    users = people(networks, USERS)
    items = [published_item(url=f"https://example.com/story/{n}", texts=[("linkedin", f"Story {n} (ours) #news"),
                                                                      ("x", f"Story {n}")]) for n in range(ITEMS)]
    for user in users:
        for item in items:
            create(user, item, ["linkedin", "x"], f"{user.pk}-{item.pk}", django_capture_on_commit_callbacks)
    ids = list(Share.objects.values_list("pk", flat=True))
    assert len(ids) == 500

    faults = networks.faults
    faults.reseed(20261125)
    faults.hang_seconds = 0.7
    for kind, probability in [("error", 0.06), ("drop_after_accept", 0.05), ("timeout_after_accept", 0.02),
                              ("rate_limit", 0.03), ("timeout", 0.01), ("duplicate", 0.01)]:
        faults.add(kind, group="post", probability=probability)
    faults.add("expired_token", group="post", count=2)

    rng = random.Random(7)  # noqa: S311
    rng.shuffle(ids)
    random.seed(7)  # the retries' jitter: the same run every time
    with freeze_time(timezone.now(), tick=False) as frozen:
        clocks = Clocks(frozen, networks)
        worker = Worker(clocks)
        for share_id in ids:
            worker.add(share_id)
        while worker.heap:
            share_id = worker.step()
            if rng.random() < 0.01:
                worker_dies_mid_post(share_id)
            else:
                worker.run(share_id)
                if rng.random() < 0.1:
                    share_post(share_id=share_id)  # the same task delivered twice
            if not worker.heap:
                # Beat's sweep, once the dead workers' shares are stale: reconciled and dispatched again.
                clocks.advance((STALE_POSTING + timedelta(minutes=1)).total_seconds())
                with django_capture_on_commit_callbacks(execute=False) as dispatched:
                    shares_sweep_stale()
                for share_id in Share.objects.filter(status="queued").values_list("pk", flat=True):
                    worker.add(share_id)
                assert dispatched or not worker.heap
            assert worker.runs < 5000

    faults.clear()
    posts = networks.state.posts("linkedin") + networks.state.posts("x")
    posts_per_share = Counter()
    by_code = {s.link_code: s for s in Share.objects.all()}
    for post in posts:
        codes = [code for code in by_code if code in post.raw_text]
        assert len(codes) == 1, post.raw_text
        posts_per_share[codes[0]] += 1

    shares = list(Share.objects.all())
    statuses = Counter(s.status for s in shares)
    reasons = Counter((s.status, s.network, s.error_code) for s in shares if s.status != "posted")
    print(f"\nfault run: {dict(statuses)}, {len(posts)} posts, {worker.runs} task runs, "  # noqa: T201
          f"{clocks.t / 60:.0f} simulated minutes; not posted: {dict(reasons)}")
    assert set(statuses) <= {"posted", "failed", "unconfirmed"}, statuses  # nothing lost in flight
    assert max(posts_per_share.values()) == 1  # 0 duplicate posts on the sandbox
    check_posted_the_design_way(networks, shares)
    for share in shares:
        n = posts_per_share[share.link_code]
        if share.status == "posted":
            assert n == 1, (share.pk, share.network, share.error_message)
        elif share.status == "failed":
            assert n == 0 and share.error_message
        else:
            assert n <= 1 and share.error_message
    assert statuses["posted"] >= 450


# --------------------------------------------------------------------------- reproductions


@pytest.mark.parametrize("url", ["https://example.com/twice", ""], ids=["with-link", "text-only"])
def test_same_item_twice_on_x_second_dropped_never_takes_the_first_post(
    networks, redis_url, url, django_capture_on_commit_callbacks
):
    """(a) The same person shares the same item on X twice; the second attempt is dropped
    before reaching X. The second share must never be recorded with the first one's post."""
    [user] = people(networks, 1, networks=["x"])
    item = published_item(url=url, texts=[("x", "Worth a read")])
    [first] = create(user, item, ["x"], "first", django_capture_on_commit_callbacks)
    [second] = create(user, item, ["x"], "second", django_capture_on_commit_callbacks)
    with freeze_time(timezone.now(), tick=False) as frozen:
        worker = Worker(Clocks(frozen, networks))
        assert share_post(share_id=first.pk).status == "posted"
        networks.faults.next("drop", network="x", group="post")
        worker.add(second.pk)
        while worker.heap:
            worker.run(worker.step())
    first.refresh_from_db()
    second.refresh_from_db()
    posts = networks.state.posts("x")
    print(f"\n(a) {url or 'text-only'}: second share {second.status} {second.error_code or ''}, "  # noqa: T201
          f"{len(posts)} posts on X, {worker.runs} task runs")
    assert second.remote_id != first.remote_id
    check_posted_the_design_way(networks, [first, second])
    if url:
        # Its own link: the lookup finds nothing of its own, so it is posted again, once.
        assert (second.status, len(posts)) == ("posted", 2)
    else:
        # The same words: X refuses them as a duplicate of the first share's post.
        assert (second.status, second.error_code, second.error_message) == ("failed", "duplicate_text", DUPLICATE_TEXT)
        assert second.remote_id == "" and len(posts) == 1


def test_text_only_item_shared_twice_on_each_network_second_fails_with_the_message(
    networks, redis_url, django_capture_on_commit_callbacks
):
    """(b) Two separate shares of a text-only item on each network: the networks refuse the
    identical text, and the second share fails with the duplicate_text message."""
    [user] = people(networks, 1)
    item = published_item(url="", texts=[("linkedin", "We are hiring engineers"), ("x", "We are hiring engineers")])
    firsts = create(user, item, ["linkedin", "x"], "first", django_capture_on_commit_callbacks)
    seconds = create(user, item, ["linkedin", "x"], "second", django_capture_on_commit_callbacks)
    for share in firsts:
        assert share_post(share_id=share.pk).status == "posted"
    for share in seconds:
        assert share_post(share_id=share.pk).status == "failed"
    shares = [Share.objects.get(pk=s.pk) for s in firsts + seconds]
    for share in shares[2:]:
        assert (share.status, share.error_code, share.error_message, share.remote_id) == (
            "failed", "duplicate_text", DUPLICATE_TEXT, ""
        )
    assert {n: len(networks.state.posts(n)) for n in ("linkedin", "x")} == {"linkedin": 1, "x": 1}
    check_posted_the_design_way(networks, shares)


def test_ten_minute_outage_is_waited_out_with_few_requests(networks, redis_url, settings,
                                                          django_capture_on_commit_callbacks):
    """(c) Both networks answer 503 to every post for 10 minutes, then recover. Every share
    is posted, none fails, and the networks see a bounded number of requests during the
    outage: the breaker's threshold plus its probes, per network. (503 is "service
    unavailable": the request was not handled, so it is an outage to wait out, not an
    ambiguous post to reconcile.)"""
    settings.SHARE_BREAKER_THRESHOLD = 5
    settings.SHARE_BREAKER_COOLDOWN_SECONDS = 30.0
    settings.SHARE_BREAKER_MAX_COOLDOWN_SECONDS = 300.0
    settings.SHARE_BREAKER_DRAIN_SPACING_SECONDS = 1.0
    users = people(networks, 4)
    items = [published_item(url=f"https://example.com/outage/{n}", texts=[("linkedin", f"Outage story {n}"),
                                                                        ("x", f"Outage story {n}")])
             for n in range(5)]
    for user in users:
        for item in items:
            create(user, item, ["linkedin", "x"], f"{user.pk}-{item.pk}", django_capture_on_commit_callbacks)
    ids = list(Share.objects.values_list("pk", flat=True))
    assert len(ids) == 40

    seen: Counter = Counter()
    outage = {"on": False}
    real_before = networks.faults.before

    def counting_before(network, group):
        if outage["on"]:
            seen[network] += 1
        return real_before(network, group)

    networks.faults.before = counting_before  # every request the sandbox receives
    random.seed(3)  # the retries' jitter: the same run every time
    with freeze_time(timezone.now(), tick=False) as frozen:
        clocks = Clocks(frozen, networks)
        worker = Worker(clocks)
        rules = [networks.faults.add("error", network=n, group="post", status=503) for n in ("linkedin", "x")]
        outage["on"] = True
        for share_id in ids:
            worker.add(share_id)
        recovered = None
        while worker.heap:
            if outage["on"] and worker.next_due() >= 600:
                clocks.advance(600 - clocks.t)
                for rule in rules:
                    networks.faults.rules.remove(rule)
                outage["on"] = False
                recovered = timezone.now()
            worker.run(worker.step())
            assert worker.runs < 2000
        assert recovered is not None
    shares = list(Share.objects.all())
    statuses = {n: Counter(s.status for s in shares if s.network == n) for n in ("linkedin", "x")}
    posted = sum(s.status == "posted" for s in shares)
    print(f"\n(c) requests during the 10-minute outage: {dict(seen)}; shares: "  # noqa: T201
          f"{ {n: dict(c) for n, c in statuses.items()} }; posted {posted}/40; {worker.runs} task runs; "
          f"all done {clocks.t / 60:.1f} minutes after the outage began")
    # The cool-downs double from 30 s (30, 60, 120, 240, then 300): 4 probes fit in 10 minutes.
    probes, at, cooldown = 0, 0.0, 30.0
    while at + cooldown < 600:
        at, cooldown, probes = at + cooldown, min(cooldown * 2, 300.0), probes + 1
    assert probes == 4
    bound = settings.SHARE_BREAKER_THRESHOLD + probes
    assert seen["x"] <= bound and seen["linkedin"] <= bound, seen
    assert statuses == {"linkedin": {"posted": 20}, "x": {"posted": 20}}
    check_posted_the_design_way(networks, shares)
    assert len(networks.state.posts("x")) == 20
    assert len(networks.state.posts("linkedin")) == statuses["linkedin"]["posted"]
