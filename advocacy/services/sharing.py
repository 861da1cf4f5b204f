"""Creating, cancelling and retrying shares (the employee's side).

A share is a row first: ``share_create`` writes one ``Share`` per chosen network in a
transaction keyed by the form's idempotency key (a double click or a resubmitted form
creates nothing new), and the post is enqueued on commit. If the broker is down the
rows wait in *queued* and a beat sweep dispatches them.

No accidental second post: the idempotency key only recognises the *same* form sent
again. A different form (a new render after Back, a second tab, the API with a new key)
for an item this person shared to the same network recently (``recent_shares_by_network``:
still to go out, or posted in the last 24 hours) is refused unless the request names that
network in ``share_again`` — the employee's explicit "share again".
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from advocacy.models import ProgrammeSettings, SocialAccount
from advocacy.models.shares import Share, ShareStatus
from advocacy.selectors import recent_shares_by_network
from advocacy.services.connections import account_block_reason
from advocacy.services.posting import POST_TASK, audit_posted, share_reset_attempts
from content.models import ComplianceSettings, ContentItem
from content.selectors import content_visible_to, share_text_offered, share_text_variant
from content.text_rules import compose_share_text, validate_share_text
from core.queueing import enqueue
from core.scheduling import too_far_ahead, when_text
from networks import PostRequest, display_name, get_adapter


class ShareError(Exception):
    """The share cannot be made; the message is for the employee. ``network`` names the
    network it is about (if one); ``code`` is for API clients."""

    def __init__(self, message: str, *, network: str = "", code: str = "share_refused") -> None:
        super().__init__(message)
        self.network = network
        self.code = code


@dataclass
class ShareRequest:
    networks: list[str]
    texts: dict[str, str] = field(default_factory=dict)  # network -> the employee's text
    idempotency_key: str = ""
    scheduled_for: datetime | None = None
    # Networks the employee explicitly shares to again (they shared this item there recently).
    share_again: set[str] = field(default_factory=set)


class CreatedShares(list[Share]):
    """The shares of one request. ``replayed``: its idempotency key had already made them
    (the same form sent twice), so nothing new was created or posted."""

    def __init__(self, shares: Iterable[Share] = (), *, replayed: bool = False) -> None:
        super().__init__(shares)
        self.replayed = replayed


@dataclass(frozen=True)
class _Batch:
    """What the shares of one request have in common: their idempotency key and time, and
    the compliance rules their texts are checked and composed with."""

    idempotency_key: str
    scheduled_for: datetime | None
    disclosure: str
    blocked_words: list[str]


def x_month_spend(*, now: datetime | None = None) -> Decimal:
    """Estimated X spend this calendar month: posted and in-flight X shares."""
    now = now or timezone.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = Share.objects.filter(network="x", created_at__gte=start).exclude(
        status__in=[ShareStatus.FAILED, ShareStatus.CANCELLED]
    ).aggregate(total=Sum("cost_estimate"))["total"]
    return total or Decimal("0")


def _ago(then: datetime, *, now: datetime | None = None) -> str:
    """"just now", "5 minutes ago", "2 hours ago", "3 days ago"."""
    seconds = max(0, int(((now or timezone.now()) - then).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def recent_share_phrase(share: Share, *, now: datetime | None = None) -> str:
    """What the employee is told about a recent share of theirs, e.g.
    "You shared this on LinkedIn 2 hours ago" or "You scheduled this for X on Tue 3 Mar, 09:30"."""
    name = display_name(share.network)
    if share.status == ShareStatus.SCHEDULED and share.scheduled_for:
        return f"You scheduled this for {name} on {when_text(share.scheduled_for)}"
    when = share.posted_at if share.status == ShareStatus.POSTED and share.posted_at else share.created_at
    return f"You shared this on {name} {_ago(when, now=now)}"


def share_create(*, user: User, item: ContentItem, request: ShareRequest) -> CreatedShares:
    """Create the shares for ``request`` (or return the ones this idempotency key made,
    with ``replayed`` set)."""
    key = (request.idempotency_key or "").strip()[:64]
    if not key:
        raise ShareError("This form has expired. Reload the page and share again.")
    existing = list(Share.objects.filter(user=user, idempotency_key=key))
    if existing:
        return CreatedShares(existing, replayed=True)
    now = timezone.now()
    networks = _check_request(user=user, item=item, request=request, now=now)
    share_again = {n for n in request.share_again if n}
    _check_not_shared_recently(user=user, item=item, networks=networks, share_again=share_again, now=now)

    accounts = {a.network: a for a in SocialAccount.objects.filter(user=user, network__in=networks)}
    compliance = ComplianceSettings.load()
    batch = _Batch(
        idempotency_key=key,
        scheduled_for=request.scheduled_for,
        disclosure=item.disclosure or compliance.default_disclosure,
        blocked_words=compliance.blocked_word_list,
    )
    item = ContentItem.objects.prefetch_related("share_texts").get(pk=item.pk)
    planned = [
        _plan_share(
            user=user, item=item, network=network, account=accounts.get(network),
            typed=request.texts.get(network), batch=batch,
        )
        for network in networks
    ]
    _check_x_budget(shares=planned, now=now)
    return _save_and_enqueue(user=user, item=item, idempotency_key=key, shares=planned, share_again=share_again)


def _check_request(*, user: User, item: ContentItem, request: ShareRequest, now: datetime) -> list[str]:
    """The chosen networks, once the item, the choice and the schedule make sense."""
    if not content_visible_to(user).filter(pk=item.pk).exists():
        raise ShareError("This item is not available to share any more.")
    networks = [n for n in dict.fromkeys(request.networks) if n]
    if not networks:
        raise ShareError("Choose at least one network.", code="no_network")
    if request.scheduled_for and request.scheduled_for <= now:
        raise ShareError("Choose a time in the future, or share now.")
    if request.scheduled_for and (problem := too_far_ahead(request.scheduled_for, now=now)):
        raise ShareError(problem, code="too_far_ahead")
    if request.scheduled_for and item.expires_at and request.scheduled_for >= item.expires_at:
        raise ShareError("This item expires before that time. Choose an earlier time.")
    return networks


def _check_not_shared_recently(
    *, user: User, item: ContentItem, networks: list[str], share_again: set[str], now: datetime | None = None
) -> None:
    """Refuse a network this person shared the item to recently, unless they said "share again"."""
    not_again = [n for n in networks if n not in share_again]
    if not not_again:
        return
    recent = recent_shares_by_network(user, item.pk, networks=not_again, now=now)
    for network in not_again:
        if network in recent:
            raise ShareError(
                f"{recent_share_phrase(recent[network], now=now)}. "
                f"To post it a second time, choose “Share again on {display_name(network)}”.",
                network=network, code="already_shared",
            )


def _plan_share(
    *, user: User, item: ContentItem, network: str, account: SocialAccount | None, typed: str | None, batch: _Batch
) -> Share:
    """One unsaved share on ``network``: its text checked, its final text and cost worked out."""
    name = display_name(network)
    if network not in item.networks:
        raise ShareError(f"This item may not be shared on {name}.", network=network)
    if account is None or not account.is_usable:
        raise ShareError(account_block_reason(account) or f"Connect your {name} account first.", network=network)
    offered = share_text_offered(item, network, user)
    # A locked text cannot be changed, whatever the form says.
    text = (offered if item.text_locked or typed is None else typed).strip()
    if not text:
        raise ShareError(f"Write something to share on {name}.", network=network)
    share = Share(
        user=user, item=item, network=network, account=account, variant=share_text_variant(item, network, user),
        text=text, edited=text != offered.strip(), idempotency_key=batch.idempotency_key,
        audience_size=account.audience_size,
        status=ShareStatus.SCHEDULED if batch.scheduled_for else ShareStatus.QUEUED,
        scheduled_for=batch.scheduled_for,
    )
    link = share.tracked_url if item.url else None
    errors = validate_share_text(
        network, text, link_url=link, disclosure=batch.disclosure, blocked_words=batch.blocked_words
    )
    if errors:
        raise ShareError(" ".join(errors), network=network)
    share.final_text = compose_share_text(text, link_url=link, disclosure=batch.disclosure)
    # The network prices the post as it will go out (X: more when any URL is in it).
    share.cost_estimate = get_adapter(network).cost_of(
        PostRequest(author_id=account.remote_id, text=share.final_text, link_url=link)
    )
    return share


def _check_x_budget(*, shares: list[Share], now: datetime) -> None:
    """Refuse X shares that would take this month's estimated X spend over the budget."""
    x_cost = sum((s.cost_estimate for s in shares if s.network == "x"), Decimal("0"))
    if not x_cost:
        return
    if x_month_spend(now=now) + x_cost > ProgrammeSettings.load().x_monthly_budget:
        raise ShareError(
            "Your company's monthly X budget is used up, so X shares are paused until next month. "
            "LinkedIn sharing still works.",
            network="x",
        )


def _save_and_enqueue(
    *, user: User, item: ContentItem, idempotency_key: str, shares: list[Share], share_again: set[str]
) -> CreatedShares:
    """Save the planned shares and enqueue the ones due now, once the transaction commits."""
    networks = [s.network for s in shares]
    try:
        with transaction.atomic():
            # Two different forms sent at the same moment (two tabs): the person's accounts
            # on these networks are the lock, so the second one sees the first one's shares.
            list(SocialAccount.objects.select_for_update().filter(user=user, network__in=networks))
            _check_not_shared_recently(user=user, item=item, networks=networks, share_again=share_again)
            Share.objects.bulk_create(shares)
            created = list(Share.objects.filter(user=user, idempotency_key=idempotency_key))
            for share in created:
                if share.status == ShareStatus.QUEUED:
                    _enqueue(share)
    except IntegrityError:
        # The same form was submitted twice at the same moment: the other request won.
        return CreatedShares(Share.objects.filter(user=user, idempotency_key=idempotency_key), replayed=True)
    return CreatedShares(created)


def _enqueue(share: Share) -> None:
    Share.objects.filter(pk=share.pk).update(enqueued_at=timezone.now())
    enqueue(POST_TASK, share.pk)


def share_cancel(*, user: User, share: Share) -> bool:
    """Cancel a share that has not been attempted yet. False if it is already under way."""
    return bool(
        Share.objects.filter(
            pk=share.pk, user=user, status__in=[ShareStatus.SCHEDULED, ShareStatus.QUEUED], attempts=0
        ).update(status=ShareStatus.CANCELLED, updated_at=timezone.now())
    )


@transaction.atomic
def share_retry(*, user: User, share: Share) -> bool:
    """Queue a failed share again (the Retry button) with a fresh set of attempts:
    ``share_reset_attempts`` puts ``attempts`` back to 0 and clears the outage clock
    (``unavailable_since``). It keeps ``ambiguous_at`` and ``first_attempt_at``, so an earlier
    attempt that may have landed is still reconciled, never posted again blindly. Unconfirmed
    shares go through ``share_confirm`` instead, so that a post that did land is never repeated."""
    if not share_reset_attempts(share_id=share.pk, user_id=user.pk):
        return False
    _enqueue(share)
    return True


@transaction.atomic
def share_confirm(*, user: User, share: Share, landed: bool, post_url: str = "") -> bool:
    """The employee resolves an unconfirmed share: it is on their profile, or it is not."""
    if landed:
        done = Share.objects.filter(pk=share.pk, user=user, status=ShareStatus.UNCONFIRMED).update(
            status=ShareStatus.POSTED, posted_at=share.posting_started_at or timezone.now(),
            remote_url=post_url[:500], error_message="", error_code="", updated_at=timezone.now(),
        )
        if done:
            share.refresh_from_db()
            audit_posted(share, how="confirmed by the employee")
        return bool(done)
    # Not on their profile: post it again, with a fresh set of attempts.
    updated = Share.objects.filter(pk=share.pk, user=user, status=ShareStatus.UNCONFIRMED).update(
        status=ShareStatus.QUEUED, ambiguous_at=None, attempts=0, unavailable_since=None, next_attempt_at=None,
        error_message="", error_code="", updated_at=timezone.now(),
    )
    if updated:
        _enqueue(share)
    return bool(updated)

