"""Creating, cancelling and retrying shares (the employee's side).

A share is a row first: ``share_create`` writes one ``Share`` per chosen network in a
transaction keyed by the form's idempotency key (a double click or a resubmitted form
creates nothing new), and the post is enqueued on commit. If the broker is down the
rows wait in *queued* and a beat sweep dispatches them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from advocacy.models import ProgrammeSettings, SocialAccount
from advocacy.models.shares import Share, ShareStatus
from advocacy.services.posting import POST_TASK
from content.models import ComplianceSettings, ContentItem
from content.selectors import content_visible_to, share_text_offered, share_text_variant
from content.text_rules import compose_share_text, validate_share_text
from core.queueing import enqueue
from networks import PostRequest, display_name, get_adapter


class ShareError(Exception):
    """The share cannot be made; the message is for the employee. ``field`` names the network."""

    def __init__(self, message: str, *, network: str = "") -> None:
        super().__init__(message)
        self.network = network


@dataclass
class ShareRequest:
    networks: list[str]
    texts: dict[str, str] = field(default_factory=dict)  # network -> the employee's text
    idempotency_key: str = ""
    scheduled_for: datetime | None = None


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


def share_create(*, user: User, item: ContentItem, request: ShareRequest) -> list[Share]:
    """Create the shares for ``request`` (or return the ones this idempotency key made)."""
    key = (request.idempotency_key or "").strip()[:64]
    if not key:
        raise ShareError("This form has expired. Reload the page and share again.")
    existing = list(Share.objects.filter(user=user, idempotency_key=key))
    if existing:
        return existing
    now = timezone.now()
    networks = _check_request(user=user, item=item, request=request, now=now)

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
    return _save_and_enqueue(user=user, idempotency_key=key, shares=planned)


def _check_request(*, user: User, item: ContentItem, request: ShareRequest, now: datetime) -> list[str]:
    """The chosen networks, once the item, the choice and the schedule make sense."""
    if not content_visible_to(user).filter(pk=item.pk).exists():
        raise ShareError("This item is not available to share any more.")
    networks = [n for n in dict.fromkeys(request.networks) if n]
    if not networks:
        raise ShareError("Choose at least one network.")
    if request.scheduled_for and request.scheduled_for <= now:
        raise ShareError("Choose a time in the future, or share now.")
    if request.scheduled_for and item.expires_at and request.scheduled_for >= item.expires_at:
        raise ShareError("This item expires before that time. Choose an earlier time.")
    return networks


def _plan_share(
    *, user: User, item: ContentItem, network: str, account: SocialAccount | None, typed: str | None, batch: _Batch
) -> Share:
    """One unsaved share on ``network``: its text checked, its final text and cost worked out."""
    name = display_name(network)
    if network not in item.networks:
        raise ShareError(f"This item may not be shared on {name}.", network=network)
    if account is None or not account.is_usable:
        raise ShareError(f"Connect your {name} account first.", network=network)
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


def _save_and_enqueue(*, user: User, idempotency_key: str, shares: list[Share]) -> list[Share]:
    """Save the planned shares and enqueue the ones due now, once the transaction commits."""
    try:
        with transaction.atomic():
            Share.objects.bulk_create(shares)
            created = list(Share.objects.filter(user=user, idempotency_key=idempotency_key))
            for share in created:
                if share.status == ShareStatus.QUEUED:
                    _enqueue(share)
    except IntegrityError:
        # The same form was submitted twice at the same moment: the other request won.
        return list(Share.objects.filter(user=user, idempotency_key=idempotency_key))
    return created


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
    """Queue a failed share again (the Retry button). Unconfirmed shares go through
    ``share_confirm`` instead, so that a post that did land is never repeated."""
    updated = Share.objects.filter(pk=share.pk, user=user, status=ShareStatus.FAILED).update(
        status=ShareStatus.QUEUED, error_message="", error_code="", next_attempt_at=None,
        updated_at=timezone.now(),
    )
    if updated:
        _enqueue(share)
    return bool(updated)


@transaction.atomic
def share_confirm(*, user: User, share: Share, landed: bool, post_url: str = "") -> bool:
    """The employee resolves an unconfirmed share: it is on their profile, or it is not."""
    if landed:
        return bool(Share.objects.filter(pk=share.pk, user=user, status=ShareStatus.UNCONFIRMED).update(
            status=ShareStatus.POSTED, posted_at=share.posting_started_at or timezone.now(),
            remote_url=post_url[:500], error_message="", error_code="", updated_at=timezone.now(),
        ))
    updated = Share.objects.filter(pk=share.pk, user=user, status=ShareStatus.UNCONFIRMED).update(
        status=ShareStatus.QUEUED, ambiguous_at=None, error_message="", error_code="", updated_at=timezone.now(),
    )
    if updated:
        _enqueue(share)
    return bool(updated)

