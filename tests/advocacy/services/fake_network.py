"""A scriptable in-memory network for deterministic posting tests.

``FakeNetwork`` keeps the posts (text, id, time) and a script of what the next calls do;
``FakeX``/``FakeLinkedIn`` are ``NetworkAdapter`` subclasses with the real networks' policy
(X can look posts up; LinkedIn cannot and has a 9-minute duplicate window) that publish to
it. Like the real networks, a repeat of an identical text is refused as a duplicate
(LinkedIn naming the earlier post). Times come from ``django.utils.timezone.now`` (fake
clocks move them).
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime, timedelta

from django.utils import timezone

from advocacy.models import Share
from content.text_rules import compose_share_text
from networks import (
    AmbiguousPostError,
    NetworkAdapter,
    NetworkConfig,
    PostBudget,
    PostMetrics,
    PostRequest,
    Profile,
    PublishedPost,
    TokenSet,
)

# What a scripted publish may do instead of creating a post.
ACCEPT_THEN_DROP = "accept_then_drop"  # the post is stored, the answer is lost
DROP = "drop"  # nothing is stored, the answer is lost


class FakeNetwork:
    """One network's posts and the script of its next answers."""

    def __init__(self) -> None:
        self.posts: list[tuple[PublishedPost, str]] = []  # (post, text)
        self.publish_script: list[object] = []  # exceptions to raise, or ACCEPT_THEN_DROP / DROP
        self.lookup_script: list[Exception] = []
        self.calls: Counter[str] = Counter()
        self.down = False  # every publish answers 503 (status configurable)
        self.down_status: int | None = 503
        self.names_duplicates = True  # LinkedIn's 422 names the earlier post
        self.fixed_ids: list[str] = []  # ids the next created posts get
        self._ids = itertools.count(1)

    def store(self, text: str, *, at: datetime | None = None, remote_id: str | None = None) -> PublishedPost:
        remote_id = remote_id or (self.fixed_ids.pop(0) if self.fixed_ids else f"post-{next(self._ids)}")
        post = PublishedPost(remote_id=remote_id, url=f"https://fake.example/p/{remote_id}",
                             created_at=at or timezone.now())
        self.posts.append((post, text))
        return post

    def texts(self) -> dict[str, str]:
        return {post.remote_id: text for post, text in self.posts}


class _FakeAdapter(NetworkAdapter):
    sends_thumbnail = False

    def __init__(self, net: FakeNetwork, *, budgets: tuple[PostBudget, ...] = ()) -> None:
        super().__init__(NetworkConfig(
            network=self.network, client_id="id", client_secret="secret", auth_url="https://fake.example/auth",
            api_url="https://fake.example/api", web_url="https://fake.example", authorize_url="https://fake.example/a",
            scopes=(),
        ))
        self.net = net
        self._budgets = budgets

    # --- what posting uses ---
    @property
    def post_budgets(self) -> tuple[PostBudget, ...]:
        return self._budgets

    def post_url(self, remote_id: str, handle: str = "") -> str:
        return f"https://fake.example/p/{remote_id}"

    def publish(self, *, token: TokenSet | str, post: PostRequest) -> PublishedPost:
        net = self.net
        net.calls["publish"] += 1
        if net.down:
            raise self._outage()
        if net.publish_script:
            step = net.publish_script.pop(0)
            if isinstance(step, Exception):
                raise step
            if step == DROP:
                raise AmbiguousPostError("No answer.", sent_at=timezone.now(), network=self.network)
            if step == ACCEPT_THEN_DROP:
                net.store(post.text)
                raise AmbiguousPostError("No answer.", sent_at=timezone.now(), network=self.network)
        earlier = next((p for p, text in reversed(net.posts) if text == post.text and self._recent(p)), None)
        if earlier is not None:
            raise self._duplicate(earlier)
        return net.store(post.text)

    def find_recent_posts(
        self, *, token: TokenSet | str, author_id: str, text: str, link_url: str | None, since: datetime,
        author_handle: str = "",
    ) -> list[PublishedPost]:
        net = self.net
        net.calls["lookup"] += 1
        if not self.can_find_posts:
            return []
        if net.lookup_script:
            raise net.lookup_script.pop(0)
        start = since - timedelta(minutes=2)
        return [
            post for post, body in net.posts
            if post.created_at >= start and ((link_url and link_url in body) or (not link_url and body == text))
        ]

    # --- network specifics ---
    def _recent(self, post: PublishedPost) -> bool:
        return True

    def _outage(self) -> Exception:
        raise NotImplementedError

    def _duplicate(self, earlier: PublishedPost) -> Exception:
        raise NotImplementedError

    # --- not used by posting ---
    @property
    def supports_refresh(self) -> bool:
        return False

    def authorization_request(self, *, redirect_uri: str, state: str):
        raise NotImplementedError

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        raise NotImplementedError

    def refresh(self, *, refresh_token: str) -> TokenSet:
        raise NotImplementedError

    def revoke(self, *, token: TokenSet | str) -> None:
        raise NotImplementedError

    def profile(self, *, token: TokenSet | str, first_call: bool = False) -> Profile:
        raise NotImplementedError

    def fetch_metrics(self, *, remote_ids: list[str], token: TokenSet | str | None = None) -> dict[str, PostMetrics]:
        raise NotImplementedError


class FakeX(_FakeAdapter):
    network = "x"
    display_name = "X"
    can_find_posts = True
    duplicate_window = None

    def _outage(self) -> Exception:
        from networks import TransientError

        return TransientError("X is having trouble right now.", status=self.net.down_status, network="x")

    def _duplicate(self, earlier: PublishedPost) -> Exception:
        from networks import RejectedError

        return RejectedError("X says this post is a duplicate.", duplicate=True, status=403, network="x")


class FakeLinkedIn(_FakeAdapter):
    network = "linkedin"
    display_name = "LinkedIn"
    can_find_posts = False
    duplicate_window = timedelta(minutes=9)

    def _recent(self, post: PublishedPost) -> bool:
        return timezone.now() - post.created_at <= timedelta(minutes=10)

    def _outage(self) -> Exception:
        # A 5xx to a create call may have created the post: LinkedIn's adapter says ambiguous.
        return AmbiguousPostError("LinkedIn had a problem.", sent_at=timezone.now(), status=self.net.down_status,
                                  network="linkedin")

    def _duplicate(self, earlier: PublishedPost) -> Exception:
        from networks import RejectedError

        return RejectedError(
            "LinkedIn says this post is a duplicate.", duplicate=True, status=422, network="linkedin",
            duplicate_of=earlier.remote_id if self.net.names_duplicates else None,
        )


def make_share(user, account, item, *, text: str = "Worth a read", key: str | None = None) -> Share:
    """A queued share as ``share_create`` writes it (final text = text + tracked link, if any)."""
    share = Share(
        user=user, item=item, network=account.network, account=account, text=text,
        idempotency_key=key or f"k-{Share.objects.count() + 1}", status="queued", enqueued_at=timezone.now(),
    )
    share.final_text = compose_share_text(text, link_url=share.tracked_url if item.url else None, disclosure="")
    share.save()
    return share
