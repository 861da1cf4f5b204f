"""Posting a share: the state machine that guarantees no double posts and no lost shares.

Strategy (read this before changing anything here):

1. **The row is the lock.** A worker may only post a share it moved from *queued* to
   *posting* with a conditional UPDATE (``WHERE status = 'queued'``). A task that runs
   twice, a redelivered task, or two workers racing: exactly one wins; the others return.
   The claim counts an attempt; a share that then does not call the network (an open
   breaker, a full budget) gives it back, so ``attempts`` counts real tries.
2. **A remote post belongs to one share.** *Posted* means a post of the share's own exists
   and its id is on the share. The database enforces it: ``(network, remote_id)`` is unique
   for non-empty ids. Recording a post another share holds fails; where the post was
   *adopted* (found by reconciliation) the share simply does not adopt it; where it came
   from our own publish call it is certainly ours, so the share that adopted it is sent
   back to reconcile again.
3. **Outages are waited out, not failed.** A per-network circuit breaker in Redis
   (``advocacy.services.breaker``) is asked before any call: while it is open the share
   goes back to *queued* with the breaker's (spaced) release time, without calling the
   network and without using an attempt; after a cool-down one probe share is let through;
   its success closes the breaker, its failure reopens it for longer. An outage-type error
   (5xx, timeout, connection error; ``_is_outage``) is retried with capped exponential
   backoff (``core.retry.backoff``: ``SHARE_RETRY_BASE_SECONDS`` doubling up to
   ``SHARE_RETRY_CAP_SECONDS``, up to a fifth later, never sooner; ``retry_schedule``).
   ``unavailable_since`` records when this share first found its network unavailable (an
   outage error, or being held by the breaker); only once that has lasted
   ``SHARE_RETRY_WINDOW_MINUTES`` (default an hour) is the share *failed*: "LinkedIn was
   unavailable for over an hour; press Retry to try again." (``error_code``
   "unavailable"). Retry starts a fresh set of attempts (``share_reset_attempts``). A 429
   waits for the provider's reset and is no sign of an outage (nor is a budget wait);
   ``MAX_ATTEMPTS`` tries of any kind are the backstop.
4. **Budgets before calls.** Rate budgets are reserved in Redis before publishing (the
   adapter's ``post_budgets``); if there is no room the share goes back to *queued* with a
   countdown.
5. **Definite outcomes.** Posted → *posted* with the remote id and URL. Auth error →
   *failed* ("reconnect") and the account is marked. A rejection → *failed* with the
   provider's reason in plain words. A config error (e.g. LinkedIn 426, retired API
   version) → *failed* and admins are emailed.
6. **Ambiguous outcomes are reconciled, never blindly re-posted.** When the request may
   have reached the provider but no answer came back (connection dropped, read timeout, a
   5xx to a create call, or a worker that died mid-post, found by the stale sweep),
   ``ambiguous_at`` is set (once: it keeps the *first* ambiguous attempt) and the network's
   adapter says how to reconcile (``networks.base.NetworkAdapter``):
   - **Networks that can find posts** (``can_find_posts``): look among the account's recent
     posts (``find_recent_posts``) and adopt one only if it may be this share's:
     with a tracked link, a post carrying *this* share's link (matched through the
     provider's expanded URLs); text-only, a post with identical text created after this
     share's first attempt started (``first_attempt_at``) and before now — and in both
     cases never a post another share records. Found → *posted*. Not found → post again.
   - **Networks that cannot** (``duplicate_window``): within that window of the ambiguous
     attempt, posting again is safe because the network answers "duplicate" for the same
     text. After the window → *unconfirmed* (checked before anything else, so an open
     breaker cannot make it *failed*). An open breaker holds such a share only until
     ``LAST_CHANCE`` before its window closes; then it re-posts once anyway (a recovered
     network resolves it; a network still down leaves it *unconfirmed*).
   A share with an ambiguous attempt never becomes *failed* by waiting: when its window of
   unavailability runs out it becomes *unconfirmed* (the post may exist).
7. **Duplicate answers.** A network that says "duplicate" names a post with this exact text:
   - A text-only share on a first attempt (nothing ambiguous: none of ours can exist); or
     the named post (``duplicate_of``) is one another share records; or the lookup shows
     matching posts but none can be this share's (recorded by another share, or older than
     its first attempt) → *failed*: "You already posted this exact text — change a few
     words and share again." (``error_code`` "duplicate_text").
   - The network names the post (``duplicate_of``) after an ambiguous attempt, and no other
     share records it → it is ours: *posted* with that id. Named nothing → *unconfirmed*
     (*posted* needs the id).
   - Networks that can find posts: look up and adopt as above; nothing matching at all →
     *unconfirmed*. A first attempt of a share with a tracked link should never be a
     duplicate (the link is unique): *unconfirmed* unless the lookup finds our link.
   - *unconfirmed* shares are shown to the employee, who says whether the post is on
     their profile (``share_confirm``).
8. **Stale sweeps** (beat, ``advocacy.services.sweeps``): *queued* shares whose last dispatch and planned retry
   (``next_attempt_at``) are both more than ``STALE_QUEUED`` ago are enqueued again (the
   broker was down or the message was lost) — not shares merely waiting for their retry or
   for their network's open breaker — a network's shares
   ``SHARE_BREAKER_DRAIN_SPACING_SECONDS`` apart. *posting* shares older than the task time
   limit are treated as ambiguous (keeping an earlier ambiguous attempt's time). Before
   sending a queued share again the sweep looks in the broker (``core.broker``): a message
   for it still waiting in the queue, or reserved by a worker, means it is only behind a
   busy worker, and it is left alone. A sweep's dispatch records its Celery task id on the
   share (``dispatch_id``, ``share_dispatch``).
"""

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from advocacy import signals
from advocacy.models import SocialAccount
from advocacy.models.shares import Share, ShareStatus
from advocacy.services.breaker import (
    breaker_allow,
    breaker_failure,
    breaker_release_probe,
    breaker_success,
)
from advocacy.services.budgets import budget_release, budget_reserve
from advocacy.services.share_rows import share_claim_and_load, share_row_update
from advocacy.services.tokens import account_access_token, account_mark_needs_reconnect, admins_alert_once
from core import audit
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

# The backstop: tries of any kind (429s included) in one set of attempts. Outages end by
# time (the retry window), which with the default backoff takes about 11 tries.
MAX_ATTEMPTS = 30
STALE_QUEUED = timedelta(minutes=3)
STALE_POSTING = timedelta(minutes=6)
# Before looking posts up, how far before the first attempt to start (the adapter adds its
# own margin for the provider's clock).
LOOKUP_MARGIN = timedelta(minutes=5)
# How far a provider's created_at may disagree with our clock (X gives whole seconds).
CLOCK_SKEW = timedelta(seconds=10)
# An ambiguous share on a network that cannot find posts re-posts this long before its
# duplicate window closes, even while the breaker holds everyone else.
LAST_CHANCE = timedelta(seconds=60)

DUPLICATE_TEXT = "You already posted this exact text — change a few words and share again."


@dataclass(frozen=True)
class PostOutcome:
    status: str
    retry_in: float | None = None  # seconds, when the share should be tried again


# --------------------------------------------------------------------------- dispatch


def new_dispatch_id() -> str:
    """A Celery task id for a dispatch, recorded on the share (``Share.dispatch_id``) in the
    same UPDATE that marks it dispatched, before :func:`share_dispatch` sends it."""
    return str(uuid.uuid4())


def share_dispatch(share_id: int, *, dispatch_id: str, countdown: float | None = None) -> None:
    """Send the posting task for a share as task ``dispatch_id`` once the transaction commits."""
    enqueue(POST_TASK, share_id, countdown=countdown, task_id=dispatch_id)


# --------------------------------------------------------------------------- settings


def retry_window() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "SHARE_RETRY_WINDOW_MINUTES", 60)))


def _retry_base() -> float:
    return float(getattr(settings, "SHARE_RETRY_BASE_SECONDS", 30.0))


def _retry_cap() -> float:
    return float(getattr(settings, "SHARE_RETRY_CAP_SECONDS", 600.0))


def retry_schedule() -> list[float]:
    """The shortest waits between tries of one share through an outage (no jitter): every
    try but the last is followed by one, and together they cover the retry window."""
    waits: list[float] = []
    window = retry_window().total_seconds()
    while sum(waits) < window:
        waits.append(min(_retry_cap(), _retry_base() * 2 ** len(waits)))
    return waits


def _window_words() -> str:
    minutes = round(retry_window().total_seconds() / 60)
    if minutes == 60:
        return "over an hour"
    if minutes % 60 == 0:
        return f"over {minutes // 60} hours"
    return f"over {minutes} minutes"


# --------------------------------------------------------------------------- state changes


def _claim(share_id: int) -> Share | None:
    """Move the share from *queued* to *posting* (one conditional UPDATE, one commit) and
    load it with its item, account and employee, in the same statement
    (``advocacy.services.share_rows``). The same UPDATE records ``first_attempt_at`` if the
    share has none, so it is durable before the network is called without a commit of its
    own; a run that then does not call the network after all gives it back (``_set``)."""
    now = timezone.now()
    share = share_claim_and_load(share_id, now)
    if share is None:
        return None
    # This claim set first_attempt_at (an earlier one would have left an earlier time).
    share._first_attempt_is_ours = share.first_attempt_at == now
    share._network_called = False
    return share


def _set(share: Share, status: str, **fields) -> None:
    fields.update(status=status, updated_at=timezone.now())
    if getattr(share, "_first_attempt_is_ours", False) and not share._network_called:
        # The claim recorded a first attempt that never reached the network: take it back,
        # so a text-only share only ever adopts posts made after its real first attempt.
        fields["first_attempt_at"] = None
    share_row_update(share.pk, fields)
    for key, value in fields.items():
        setattr(share, key, value)


def _requeue(share: Share, delay: float, **fields) -> PostOutcome:
    _set(share, ShareStatus.QUEUED, next_attempt_at=timezone.now() + timedelta(seconds=delay), **fields)
    return PostOutcome(ShareStatus.QUEUED, retry_in=delay)


def _fail(share: Share, message: str, code: str) -> PostOutcome:
    _set(share, ShareStatus.FAILED, error_message=message[:500], error_code=code[:40])
    signals.share_failed.send(sender=Share, share=share, reason=message)
    return PostOutcome(ShareStatus.FAILED)


def _unconfirmed(share: Share, message: str) -> PostOutcome:
    _set(share, ShareStatus.UNCONFIRMED, error_message=message[:500], error_code="unconfirmed")
    signals.share_unconfirmed.send(sender=Share, share=share, reason=message)
    return PostOutcome(ShareStatus.UNCONFIRMED)


def _posted_fields(post: PublishedPost) -> dict:
    return {
        "status": ShareStatus.POSTED, "posted_at": timezone.now(), "remote_id": post.remote_id[:100],
        "remote_url": post.url[:500], "error_message": "", "error_code": "", "updated_at": timezone.now(),
    }


def audit_posted(share: Share, *, how: str) -> None:
    """The record of what went out: the exact text, where, as whom, and the post's id; and
    the announcement (``share_posted``) to the layers above. Every way a share becomes
    posted, ``share_confirm`` included, records it here right after writing the row, in
    the same transaction (one commit: the row, its audit entry and the receivers' own
    rows, such as webhook events, are written together or not at all)."""
    account = share.account
    audit.record(
        share, event="share posted", actor=share.user,
        changes={"status": ["", ShareStatus.POSTED], "remote_id": ["", share.remote_id]},
        extra={
            "text": share.final_text, "network": share.network, "item_id": share.item_id,
            "account": f"{account.handle or account.display_name} ({account.remote_id})" if account else "",
            "remote_id": share.remote_id, "remote_url": share.remote_url,
            "posted_at": share.posted_at.isoformat() if share.posted_at else "", "how": how,
        },
    )
    signals.share_posted.send(sender=Share, share=share, how=how)


class _PostTaken(Exception):
    """The post is recorded by another share (the unique constraint refused it)."""


def _adopt(share: Share, post: PublishedPost) -> bool:
    """Record a post (our publish call's, or one reconciliation found), its audit entry and
    the announcement in one transaction. False if another share records it (the unique
    constraint): a post belongs to one share, so this one does not adopt it."""
    fields = _posted_fields(post)
    try:
        with transaction.atomic():
            try:
                share_row_update(share.pk, fields)
            except IntegrityError as exc:
                raise _PostTaken from exc
            before = {key: getattr(share, key) for key in fields}
            for key, value in fields.items():
                setattr(share, key, value)
            try:
                audit_posted(share, how="found on the network" if share.ambiguous_at else "published")
            except BaseException:
                for key, value in before.items():  # rolled back: the share is as it was
                    setattr(share, key, value)
                raise
    except _PostTaken:
        logger.warning("share %s: post %s is another share's; not adopted", share.pk, post.remote_id)
        return False
    return True


def _posted(share: Share, post: PublishedPost) -> PostOutcome:
    """Record the post our own publish call just created: it is this share's for certain.
    If another share adopted it meanwhile (a race in reconciliation), that share gives it
    up and goes back to reconcile its own attempt."""
    if _adopt(share, post):
        return PostOutcome(ShareStatus.POSTED)
    now = timezone.now()
    with transaction.atomic():
        wrong = list(
            Share.objects.select_for_update().filter(network=share.network, remote_id=post.remote_id[:100])
            .exclude(pk=share.pk).values_list("pk", flat=True)
        )
        Share.objects.filter(pk__in=wrong).update(
            status=ShareStatus.QUEUED, remote_id="", remote_url="", posted_at=None,
            ambiguous_at=Coalesce("ambiguous_at", "posting_started_at"), next_attempt_at=None,
            error_message="Checking with the network…", error_code="", enqueued_at=now, updated_at=now,
        )
        fields = _posted_fields(post)
        Share.objects.filter(pk=share.pk).update(**fields)
        for key, value in fields.items():
            setattr(share, key, value)
        audit_posted(share, how="published (taken back from a share that had adopted it)")
    for share_id in wrong:
        logger.warning("share %s had adopted share %s's post %s: reconciling again", share_id, share.pk,
                       post.remote_id)
        enqueue(POST_TASK, share_id)
    return PostOutcome(ShareStatus.POSTED)


# --------------------------------------------------------------------------- the request


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
        title=item.display_title[:200],  # the curator's title wins over the fetched one
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


# --------------------------------------------------------------------------- the breaker


def _is_outage(exc: NetworkError) -> bool:
    """A 5xx, a timeout or a connection error: the network is (maybe) down. A 429 is the
    network answering, and so is a 201 whose post id we could not read."""
    if isinstance(exc, AmbiguousPostError | TransientError):
        return exc.status is None or exc.status >= 500
    return False


class _Calls:
    """What this run learned about the network, told to the breaker once per call."""

    def __init__(self, network: str, probe: bool) -> None:
        self.network, self.probe, self.told = network, probe, False

    def answered(self) -> None:
        self.told = True
        breaker_success(self.network)

    def failed(self, exc: NetworkError) -> None:
        """``exc`` came from a call to the network: an outage, or an answer (a 429, a 401…)."""
        if _is_outage(exc):
            self.told = True
            breaker_failure(self.network, probe=self.probe)
        else:
            self.answered()

    def done(self) -> None:
        if self.probe and not self.told:
            breaker_release_probe(self.network)


# --------------------------------------------------------------------------- posting


def share_post(*, share_id: int, adapter: NetworkAdapter | None = None) -> PostOutcome | None:
    """Post one share. Returns None if the share was not ours to post (done, cancelled,
    or another worker has it)."""
    share = _claim(share_id)
    if share is None:
        return None
    account: SocialAccount | None = share.account
    if account is None or account.user_id != share.user_id:
        return _fail(share, f"Connect your {share.get_network_display()} account and retry.", "no_account")
    adapter = adapter or get_adapter(share.network)

    # An ambiguous attempt the network can no longer tell us about: ask the employee. This
    # needs no call, so it comes before the breaker (a wait could only make it later).
    if share.ambiguous_at and not adapter.can_find_posts and _past_duplicate_window(share, adapter):
        return _unconfirmed(
            share, f"{adapter.display_name} didn't answer when we posted, and it's too late to check safely."
        )

    gate = breaker_allow(share.network)
    if not gate.allowed:
        last_chance = _last_chance(share, adapter)
        if last_chance is None or timezone.now() < last_chance:
            wait = gate.retry_in
            if last_chance is not None:
                wait = min(wait, max((last_chance - timezone.now()).total_seconds(), 1.0))
            return _hold(share, adapter, wait)
        # Its duplicate window is closing: one re-post now, or never (it would be unconfirmed).
    calls = _Calls(share.network, gate.probe)
    try:
        return _post(share, account, adapter, calls)
    finally:
        calls.done()


def _post(share: Share, account: SocialAccount, adapter: NetworkAdapter, calls: _Calls) -> PostOutcome:
    try:
        token = account_access_token(account=account)
    except AuthError as exc:
        return _fail(share, f"{exc} Reconnect it, then press Retry.", "auth")
    except TransientError as exc:
        calls.failed(exc)
        return _retry(share, exc, adapter)
    except NetworkError as exc:
        return _fail(share, str(exc), "token")

    request = _post_request(share, adapter)

    # An earlier attempt may have landed: look if the network lets us (a lost share is
    # found, a double post avoided); else the duplicate window (checked above) covers us.
    if share.ambiguous_at and adapter.can_find_posts:
        try:
            found, _ = _lookup(share, adapter, token, request)
        except NetworkError as exc:
            calls.failed(exc)
            return _lookup_failed(share, adapter, exc)
        calls.answered()
        if found:
            return PostOutcome(ShareStatus.POSTED)

    reservation = budget_reserve(budgets=adapter.post_budgets, account_id=account.pk)
    if not reservation.ok:
        # Our own limit, not the network's: no attempt used, and no sign of an outage.
        return _requeue(share, reservation.retry_after, attempts=share.attempts - 1, unavailable_since=None,
                        error_message=f"Waiting: {reservation.reason}.")
    if share.first_attempt_at is None:  # (the claim records it; a share loaded otherwise may lack it)
        share.first_attempt_at = timezone.now()
        Share.objects.filter(pk=share.pk, first_attempt_at__isnull=True).update(first_attempt_at=share.first_attempt_at)
    share._network_called = True  # from here the first attempt is real, whatever the answer
    try:
        post = adapter.publish(token=token, post=request)
    except AmbiguousPostError as exc:
        calls.failed(exc)
        return _ambiguous(share, adapter, token, request, exc, calls)
    except RejectedError as exc:
        calls.answered()
        if exc.duplicate:
            return _duplicate(share, adapter, token, request, exc, calls)
        budget_release(reservation)
        return _fail(share, str(exc), exc.reason)
    except AuthError as exc:
        calls.answered()
        budget_release(reservation)
        account_mark_needs_reconnect(account=account, reason=str(exc))
        return _fail(share, f"{exc} Reconnect it, then press Retry.", "auth")
    except ConfigError as exc:
        budget_release(reservation)
        _alert_admins(share, exc)
        return _fail(share, f"{share.get_network_display()} sharing is misconfigured; your admins have been told.",
                     "config")
    except TransientError as exc:
        calls.failed(exc)
        budget_release(reservation)
        return _retry(share, exc, adapter)
    calls.answered()
    return _posted(share, post)


def _last_chance(share: Share, adapter: NetworkAdapter) -> datetime | None:
    """For an ambiguous share on a network that cannot find posts: the moment to re-post
    even through an open breaker, because after its duplicate window it never can."""
    if not share.ambiguous_at or adapter.can_find_posts or not adapter.duplicate_window:
        return None
    return share.ambiguous_at + adapter.duplicate_window - LAST_CHANCE


def _past_duplicate_window(share: Share, adapter: NetworkAdapter) -> bool:
    """For a network that cannot find posts: too late for its duplicate check to tell us
    whether the ambiguous attempt landed (no window at all: always too late)."""
    window = adapter.duplicate_window or timedelta(0)
    return timezone.now() - share.ambiguous_at > window


def _hold(share: Share, adapter: NetworkAdapter, delay: float) -> PostOutcome:
    """The breaker is open: back to the queue without calling, and without using an attempt."""
    now = timezone.now()
    since = share.unavailable_since or now
    share.attempts -= 1
    if now - since >= retry_window():
        return _give_up(share, adapter, attempts=share.attempts, unavailable_since=since)
    return _requeue(
        share, delay, attempts=share.attempts, unavailable_since=since,
        error_message=f"Waiting: {adapter.display_name} is unavailable; Chorus will try again automatically.",
    )


def _give_up(share: Share, adapter: NetworkAdapter, **fields) -> PostOutcome:
    """The network stayed unavailable for the whole retry window."""
    name = adapter.display_name
    if fields:
        Share.objects.filter(pk=share.pk).update(**fields)
        for key, value in fields.items():
            setattr(share, key, value)
    if share.ambiguous_at:
        return _unconfirmed(
            share, f"{name} didn't answer when we posted and then stayed unavailable, so we can't tell "
                   "whether your post went out."
        )
    return _fail(share, f"{name} was unavailable for {_window_words()}; press Retry to try again.", "unavailable")


def _retry(share: Share, exc: NetworkError, adapter: NetworkAdapter) -> PostOutcome:
    now = timezone.now()
    retry_after = getattr(exc, "retry_after", None)
    if _is_outage(exc):
        since = share.unavailable_since or now
        if now - since >= retry_window():
            return _give_up(share, adapter, unavailable_since=since)
        delay = backoff(share.attempts, base=_retry_base(), cap=_retry_cap(), retry_after=retry_after,
                        full_jitter=False)
        return _requeue(share, delay, unavailable_since=since, error_message=f"Retrying: {exc}"[:500])
    # The network answered (a 429: wait for its reset), so it is not unavailable.
    if share.attempts >= MAX_ATTEMPTS:
        if share.ambiguous_at:
            return _unconfirmed(share, "The network didn't answer, so we can't tell whether your post went out.")
        return _fail(share, f"{exc} We tried {share.attempts} times; press Retry to try again.", "transient")
    delay = backoff(share.attempts, base=_retry_base(), cap=_retry_cap(), retry_after=retry_after,
                    full_jitter=False)
    return _requeue(share, delay, unavailable_since=None, error_message=f"Retrying: {exc}"[:500])


# --------------------------------------------------------------------------- reconciliation


def _lookup(share: Share, adapter: NetworkAdapter, token, request: PostRequest) -> tuple[bool, bool]:
    """Look for this share's post among the account's recent posts and adopt it (only for
    ``adapter.can_find_posts``). Returns (adopted, whether the network showed matching
    posts that are not this share's: recorded by another share, or too old)."""
    starts = [t for t in (share.first_attempt_at, share.ambiguous_at, share.posting_started_at) if t]
    since = min(starts or [timezone.now()]) - LOOKUP_MARGIN
    candidates = adapter.find_recent_posts(
        token=token, author_id=share.account.remote_id, text=share.final_text,
        link_url=request.link_url, since=since, author_handle=share.account.handle,
    )
    # A remote post belongs to one share: never adopt one another share already records.
    taken = set(
        Share.objects.filter(network=share.network, remote_id__in=[c.remote_id for c in candidates])
        .exclude(pk=share.pk).values_list("remote_id", flat=True)
    )
    eligible = [c for c in candidates if c.remote_id not in taken and _may_be_ours(share, c)]
    for post in eligible:
        if _adopt(share, post):
            return True, False
    return False, bool(candidates)


def _lookup_failed(share: Share, adapter: NetworkAdapter, exc: NetworkError) -> PostOutcome:
    """The lookup itself failed: a dead connection fails the share (Retry, after
    reconnecting, looks again: ``ambiguous_at`` is kept); anything else is tried again."""
    if isinstance(exc, AuthError):
        account_mark_needs_reconnect(account=share.account, reason=str(exc))
        return _fail(share, f"{exc} Reconnect it, then press Retry.", "auth")
    if isinstance(exc, ConfigError):
        _alert_admins(share, exc)
        return _fail(share, f"{adapter.display_name} sharing is misconfigured; your admins have been told.", "config")
    return _retry(share, exc, adapter)


def _may_be_ours(share: Share, post: PublishedPost) -> bool:
    """Whether a post the adapter matched may be this share's. With a tracked link the
    adapter matched our unique link: yes. Text-only, identical text says nothing about
    whose it is, so it must have been created between our first attempt and now."""
    if share.has_link:
        return True
    if share.first_attempt_at is None or post.created_at is None:
        return False  # we never sent it, or we cannot tell when it was made
    return share.first_attempt_at - CLOCK_SKEW <= post.created_at <= timezone.now() + CLOCK_SKEW


def _ambiguous(
    share: Share, adapter: NetworkAdapter, token, request: PostRequest, exc: AmbiguousPostError, calls: _Calls
) -> PostOutcome:
    now = timezone.now()
    Share.objects.filter(pk=share.pk, ambiguous_at__isnull=True).update(ambiguous_at=now)
    share.ambiguous_at = share.ambiguous_at or now
    if adapter.can_find_posts:
        try:
            found, _ = _lookup(share, adapter, token, request)
        except NetworkError as lookup_error:
            calls.failed(lookup_error)
            found = False
        if found:
            return PostOutcome(ShareStatus.POSTED)
    if _is_outage(exc):
        # The network is failing: wait like any outage (the window ends it, as unconfirmed).
        return _retry(share, exc, adapter)
    if share.attempts >= MAX_ATTEMPTS:
        return _unconfirmed(share, "The network didn't answer, so we can't tell whether your post went out.")
    # Post again soon: the lookup before posting, or the duplicate window, protects us.
    return _requeue(share, 5 + random.uniform(0, 5), error_message="Checking with the network…")  # noqa: S311


def _duplicate(
    share: Share, adapter: NetworkAdapter, token, request: PostRequest, exc: RejectedError, calls: _Calls
) -> PostOutcome:
    """The network already has a post with this exact text. Whose is it?"""
    name = adapter.display_name
    if not share.has_link and not share.ambiguous_at:
        # Nothing of ours can exist (no attempt of ours may have landed): an earlier post.
        return _fail(share, DUPLICATE_TEXT, "duplicate_text")
    if adapter.can_find_posts:
        try:
            found, others = _lookup(share, adapter, token, request)
        except NetworkError as lookup_error:
            calls.failed(lookup_error)
            return _lookup_failed(share, adapter, lookup_error)
        if found:
            return PostOutcome(ShareStatus.POSTED)
        if others and not share.has_link:
            return _fail(share, DUPLICATE_TEXT, "duplicate_text")
        return _unconfirmed(share, f"{name} says this was already posted, but we couldn't find the post.")
    existing = exc.duplicate_of
    if existing and Share.objects.filter(network=share.network, remote_id=existing).exclude(pk=share.pk).exists():
        if not share.has_link:
            return _fail(share, DUPLICATE_TEXT, "duplicate_text")
        return _unconfirmed(share, f"{name} says this was already posted, but we couldn't find the post.")
    if not share.ambiguous_at:
        return _unconfirmed(share, f"{name} says you already posted this text. Please check your profile.")
    if existing:
        if _adopt(share, PublishedPost(remote_id=existing, url=adapter.post_url(existing, share.account.handle))):
            return PostOutcome(ShareStatus.POSTED)
        if not share.has_link:
            return _fail(share, DUPLICATE_TEXT, "duplicate_text")
        return _unconfirmed(share, f"{name} says this was already posted, but we couldn't find the post.")
    return _unconfirmed(
        share, f"{name} says this is already on your profile but didn't say which post it is. "
               "Please check your profile."
    )


def _alert_admins(share: Share, exc: ConfigError) -> None:
    """Once an hour per network, however many shares fail on the same misconfiguration."""
    logger.error("network configuration error on %s: %s", share.network, exc)
    admins_alert_once(
        key=f"posting-config:{share.network}",
        subject=f"Chorus: {share.get_network_display()} sharing is misconfigured",
        message=f"{exc}\n\nProvider said: {exc.provider_message}\n\nCheck the network settings "
        f"(e.g. LINKEDIN_VERSION) — shares on this network fail until it is fixed.",
    )


# --------------------------------------------------------------------------- the employee's Retry


def share_reset_attempts(*, share_id: int, user_id: int | None = None) -> bool:
    """A *failed* share goes back to *queued* with a fresh set of attempts (the Retry
    button; the caller enqueues it). ``ambiguous_at`` and ``first_attempt_at`` are kept: an
    attempt that may have landed must still be reconciled, and a text-only share may still
    only adopt a post made after its very first attempt."""
    shares = Share.objects.filter(pk=share_id, status=ShareStatus.FAILED)
    if user_id is not None:
        shares = shares.filter(user_id=user_id)
    return bool(shares.update(
        status=ShareStatus.QUEUED, attempts=0, unavailable_since=None, next_attempt_at=None,
        error_message="", error_code="", updated_at=timezone.now(),
    ))
