"""Posting a share: the state machine that guarantees no double posts and no lost shares.

Strategy (read this before changing anything here):

1. **The row is the lock.** A worker may only post a share it moved from *queued* to
   *posting* with a conditional UPDATE (``WHERE status = 'queued'``). A task that runs
   twice, a redelivered task, or two workers racing: exactly one wins; the others return.
2. **Budgets before calls.** Rate budgets are reserved in Redis before calling the
   network (the adapter's ``post_budgets``); if there is no room the share goes back to
   *queued* with a countdown.
3. **Outcomes.** Posted → *posted* with the remote id and URL. A transient error
   (5xx, 429, connection refused before sending) → back to *queued*, retried with
   exponential backoff and jitter (``core.retry.backoff``, honouring ``retry_after``), up
   to ``MAX_ATTEMPTS``, then *failed*. Auth error → *failed* ("reconnect") and the account
   is marked. A rejection → *failed* with the provider's reason in plain words. A config
   error (e.g. LinkedIn 426, retired API version) → *failed* and admins are alerted.
4. **Ambiguous outcomes are reconciled, never blindly re-posted.** When the request may
   have reached the provider but no answer came back (connection dropped, read timeout,
   or a worker that died mid-post, found by the stale sweep), ``ambiguous_at`` is set and
   the network's adapter says how to reconcile (``networks.base.NetworkAdapter``):
   - **Networks that can find posts** (``can_find_posts``; X): look the post up among the
     account's recent posts (the text contains the share's unique tracked link, so a
     match is certain). Found → *posted*. Not found → post again; if the network answers
     "duplicate", look again; still not found → *unconfirmed*.
   - **Networks that cannot** (LinkedIn: there is no lookup API for members): within the
     adapter's ``duplicate_window`` of the ambiguous attempt (9 minutes on LinkedIn),
     posting again is safe because the network answers "duplicate" for the same text
     (LinkedIn's 422, for ~10 minutes) — and our text is unique (tracked link). A
     duplicate answer means the first post landed → *posted*. After the window →
     *unconfirmed*.
   - *unconfirmed* shares are shown to the employee, who says whether the post is on
     their profile (``share_confirm``).
5. **Stale sweeps** (beat): *queued* shares whose enqueue is older than a few minutes are
   enqueued again (the broker was down or the message was lost); *posting* shares older
   than the task time limit are treated as ambiguous.
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import mail_admins
from django.db.models import F
from django.utils import timezone

from advocacy import signals
from advocacy.models import SocialAccount
from advocacy.models.shares import Share, ShareStatus
from advocacy.services.budgets import budget_release, budget_reserve
from advocacy.services.tokens import account_access_token, account_mark_needs_reconnect
from core.queueing import enqueue
from core.retry import backoff
from networks import (
    AmbiguousPostError,
    AuthError,
    ConfigError,
    NetworkAdapter,
    NetworkError,
    PostRequest,
    PublishedPost,
    RejectedError,
    TransientError,
)
from networks.registry import get_adapter

logger = logging.getLogger(__name__)

POST_TASK = "advocacy.share_post"

MAX_ATTEMPTS = 6
RETRY_BASE = 15.0  # seconds after the first transient failure, doubling each time
RETRY_CAP = 3600.0
STALE_QUEUED = timedelta(minutes=3)
STALE_POSTING = timedelta(minutes=6)


@dataclass(frozen=True)
class PostOutcome:
    status: str
    retry_in: float | None = None  # seconds, when the share should be tried again


def _claim(share_id: int) -> Share | None:
    now = timezone.now()
    claimed = Share.objects.filter(pk=share_id, status=ShareStatus.QUEUED).update(
        status=ShareStatus.POSTING, posting_started_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    return Share.objects.select_related("item", "account", "user").get(pk=share_id)


def _set(share: Share, status: str, **fields) -> None:
    fields.update(status=status, updated_at=timezone.now())
    Share.objects.filter(pk=share.pk).update(**fields)
    for key, value in fields.items():
        setattr(share, key, value)


def _requeue(share: Share, delay: float, **fields) -> PostOutcome:
    _set(share, ShareStatus.QUEUED, next_attempt_at=timezone.now() + timedelta(seconds=delay), **fields)
    return PostOutcome(ShareStatus.QUEUED, retry_in=delay)


def _fail(share: Share, message: str, code: str) -> PostOutcome:
    _set(share, ShareStatus.FAILED, error_message=message[:500], error_code=code[:40])
    signals.share_failed.send(sender=Share, share=share, reason=message)
    return PostOutcome(ShareStatus.FAILED)


def _posted(share: Share, post: PublishedPost | None, note: str = "") -> PostOutcome:
    _set(
        share, ShareStatus.POSTED, posted_at=timezone.now(),
        remote_id=(post.remote_id if post else "")[:100], remote_url=(post.url if post else "")[:500],
        error_message=note[:500], error_code="",
    )
    return PostOutcome(ShareStatus.POSTED)


def _unconfirmed(share: Share, message: str) -> PostOutcome:
    _set(share, ShareStatus.UNCONFIRMED, error_message=message[:500], error_code="unconfirmed")
    signals.share_unconfirmed.send(sender=Share, share=share, reason=message)
    return PostOutcome(ShareStatus.UNCONFIRMED)


def _post_request(share: Share, adapter: NetworkAdapter) -> PostRequest:
    item = share.item
    thumbnail, content_type = None, "image/jpeg"
    if adapter.sends_thumbnail and item.url and item.image:
        try:
            with item.image.open("rb") as fh:
                thumbnail = fh.read(5 * 1024 * 1024 + 1)
            if len(thumbnail) > 5 * 1024 * 1024:
                thumbnail = None
            content_type = _image_type(item.image.name)
        except OSError:
            thumbnail = None  # post without a thumbnail rather than not at all
    return PostRequest(
        author_id=share.account.remote_id,
        text=share.final_text,
        link_url=share.tracked_url if item.url else None,
        title=(item.preview_title or item.title)[:200],
        description=(item.preview_description or item.summary)[:300],
        thumbnail=thumbnail,
        thumbnail_content_type=content_type,
        author_handle=share.account.handle,
    )


def _image_type(name: str) -> str:
    lower = name.lower()
    for ext, kind in ((".png", "image/png"), (".gif", "image/gif"), (".webp", "image/webp")):
        if lower.endswith(ext):
            return kind
    return "image/jpeg"


def _find_post(share: Share, adapter: NetworkAdapter, token, request: PostRequest) -> PublishedPost | None:
    """The post of an earlier attempt, if it landed (only for ``adapter.can_find_posts``)."""
    since = (share.ambiguous_at or share.posting_started_at or timezone.now()) - timedelta(minutes=5)
    candidates = adapter.find_recent_posts(
        token=token, author_id=share.account.remote_id, text=share.final_text,
        link_url=request.link_url, since=since, author_handle=share.account.handle,
    )
    # A remote post belongs to one share: never adopt one another share already records.
    taken = set(
        Share.objects.filter(network=share.network, remote_id__in=[c.remote_id for c in candidates])
        .exclude(pk=share.pk).values_list("remote_id", flat=True)
    )
    return next((c for c in candidates if c.remote_id not in taken), None)


def share_post(*, share_id: int, adapter: NetworkAdapter | None = None) -> PostOutcome | None:
    """Post one share. Returns None if the share was not ours to post (done, cancelled,
    or another worker has it)."""
    share = _claim(share_id)
    if share is None:
        return None
    account: SocialAccount | None = share.account
    if account is None or account.user_id != share.user_id:
        return _fail(share, f"Connect your {share.get_network_display()} account and retry.", "no_account")
    try:
        token = account_access_token(account=account)
    except AuthError as exc:
        return _fail(share, f"{exc} Reconnect it, then press Retry.", "auth")
    except TransientError as exc:
        return _retry(share, exc)
    except NetworkError as exc:
        return _fail(share, str(exc), "token")

    adapter = adapter or get_adapter(share.network)
    request = _post_request(share, adapter)

    # An earlier attempt may have landed: look if the network lets us, else re-post only
    # while its duplicate check still covers us.
    if share.ambiguous_at and adapter.can_find_posts:
        try:
            found = _find_post(share, adapter, token, request)
        except NetworkError as exc:
            return _retry(share, exc)
        if found:
            return _posted(share, found)
    elif share.ambiguous_at and _past_duplicate_window(share, adapter):
        return _unconfirmed(
            share, f"{adapter.display_name} didn't answer when we posted, and it's too late to check safely."
        )

    reservation = budget_reserve(budgets=adapter.post_budgets, account_id=account.pk)
    if not reservation.ok:
        return _requeue(share, reservation.retry_after, error_message=f"Waiting: {reservation.reason}.")
    try:
        post = adapter.publish(token=token, post=request)
    except AmbiguousPostError:
        return _ambiguous(share, adapter, token, request)
    except RejectedError as exc:
        if exc.duplicate:
            return _duplicate(share, adapter, token, request, exc)
        budget_release(reservation)
        return _fail(share, str(exc), exc.reason)
    except AuthError as exc:
        budget_release(reservation)
        account_mark_needs_reconnect(account=account, reason=str(exc))
        return _fail(share, f"{exc} Reconnect it, then press Retry.", "auth")
    except ConfigError as exc:
        budget_release(reservation)
        _alert_admins(share, exc)
        return _fail(share, f"{share.get_network_display()} sharing is misconfigured; your admins have been told.",
                     "config")
    except TransientError as exc:
        budget_release(reservation)
        return _retry(share, exc)
    return _posted(share, post)


def _past_duplicate_window(share: Share, adapter: NetworkAdapter) -> bool:
    """For a network that cannot find posts: too late for its duplicate check to tell us
    whether the ambiguous attempt landed (no window at all: always too late)."""
    window = adapter.duplicate_window or timedelta(0)
    return timezone.now() - share.ambiguous_at > window


def _retry(share: Share, exc: NetworkError) -> PostOutcome:
    if share.attempts >= MAX_ATTEMPTS:
        return _fail(share, f"{exc} We tried {share.attempts} times; press Retry to try again.", "transient")
    retry_after = getattr(exc, "retry_after", None)
    delay = backoff(share.attempts, base=RETRY_BASE, cap=RETRY_CAP, retry_after=retry_after)
    return _requeue(share, delay, error_message=f"Retrying: {exc}"[:500])


def _ambiguous(share: Share, adapter: NetworkAdapter, token, request: PostRequest) -> PostOutcome:
    now = timezone.now()
    Share.objects.filter(pk=share.pk, ambiguous_at__isnull=True).update(ambiguous_at=now)
    share.ambiguous_at = share.ambiguous_at or now
    if adapter.can_find_posts:
        try:
            found = _find_post(share, adapter, token, request)
        except NetworkError:
            found = None
        if found:
            return _posted(share, found)
    if share.attempts >= MAX_ATTEMPTS:
        return _unconfirmed(share, "The network didn't answer, so we can't tell whether your post went out.")
    # Post again soon: the lookup before posting, or the duplicate window, protects us.
    return _requeue(share, 5 + random.uniform(0, 5), error_message="Checking with the network…")  # noqa: S311


def _duplicate(
    share: Share, adapter: NetworkAdapter, token, request: PostRequest, exc: RejectedError
) -> PostOutcome:
    """The network already has this exact text. Our text carries the share's unique tracked
    link, so the earlier post can only be ours: after an ambiguous attempt it means that
    attempt landed. On a first attempt it should not happen, so we ask the employee."""
    name = adapter.display_name
    if adapter.can_find_posts:
        try:
            found = _find_post(share, adapter, token, request)
        except NetworkError:
            found = None
        if found:
            return _posted(share, found)
        return _unconfirmed(share, f"{name} says this was already posted, but we couldn't find the post.")
    if share.ambiguous_at:
        if exc.duplicate_of:
            return _posted(share, PublishedPost(remote_id=exc.duplicate_of, url=adapter.post_url(exc.duplicate_of)))
        return _posted(share, None, note=f"Confirmed by {name}'s duplicate check.")
    return _unconfirmed(share, f"{name} says you already posted this text. Please check your profile.")


def _alert_admins(share: Share, exc: ConfigError) -> None:
    logger.error("network configuration error on %s: %s", share.network, exc)
    try:
        mail_admins(
            f"Chorus: {share.get_network_display()} sharing is misconfigured",
            f"{exc}\n\nProvider said: {exc.provider_message}\n\nCheck the network settings "
            f"(e.g. LINKEDIN_VERSION) — shares on this network fail until it is fixed.",
        )
    except Exception:
        logger.exception("could not email admins")


def shares_dispatch_due(*, now: datetime | None = None) -> int:
    """Beat: scheduled shares whose time has come become queued and are enqueued."""
    now = now or timezone.now()
    ids = list(
        Share.objects.filter(status=ShareStatus.SCHEDULED, scheduled_for__lte=now).values_list("pk", flat=True)[:1000]
    )
    moved = 0
    for share_id in ids:
        if Share.objects.filter(pk=share_id, status=ShareStatus.SCHEDULED).update(
            status=ShareStatus.QUEUED, enqueued_at=now, updated_at=now
        ):
            enqueue(POST_TASK, share_id)
            moved += 1
    return moved


def shares_sweep_stale(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: re-dispatch lost queued shares; treat posting shares from dead workers as ambiguous."""
    now = now or timezone.now()
    redispatched = 0
    queued = Share.objects.filter(status=ShareStatus.QUEUED, enqueued_at__lte=now - STALE_QUEUED).exclude(
        next_attempt_at__gt=now
    ).values_list("pk", flat=True)[:1000]
    for share_id in queued:
        Share.objects.filter(pk=share_id).update(enqueued_at=now)
        enqueue(POST_TASK, share_id)
        redispatched += 1
    stuck = 0
    for share_id in Share.objects.filter(
        status=ShareStatus.POSTING, posting_started_at__lte=now - STALE_POSTING
    ).values_list("pk", flat=True)[:1000]:
        # The worker died mid-post: maybe it landed. Mark ambiguous and let a task reconcile.
        if Share.objects.filter(pk=share_id, status=ShareStatus.POSTING).update(
            status=ShareStatus.QUEUED, ambiguous_at=F("posting_started_at"), enqueued_at=now, updated_at=now
        ):
            enqueue(POST_TASK, share_id)
            stuck += 1
    return {"redispatched": redispatched, "stuck": stuck}

