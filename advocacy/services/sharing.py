"""Creating, cancelling and retrying shares (the employee's side).

A share is a row first: ``share_create`` writes one ``Share`` per chosen network in a
transaction keyed by the form's idempotency key (a double click or a resubmitted form
creates nothing new), and the post is enqueued on commit. If the broker is down the
rows wait in *queued* and a beat sweep dispatches them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from advocacy.models import ProgrammeSettings, SocialAccount
from advocacy.models.shares import Share, ShareStatus
from advocacy.services.posting import POST_TASK
from content.models import ComplianceSettings, ContentItem
from content.selectors import content_visible_to, share_text_variant
from content.text_rules import compose_share_text, validate_share_text
from core.queueing import enqueue


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


def x_month_spend(*, now: datetime | None = None) -> Decimal:
    """Estimated X spend this calendar month: posted and in-flight X shares."""
    now = now or timezone.now()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    total = Share.objects.filter(network="x", created_at__gte=start).exclude(
        status__in=[ShareStatus.FAILED, ShareStatus.CANCELLED]
    ).aggregate(total=Sum("cost_estimate"))["total"]
    return total or Decimal("0")


def x_post_cost(*, has_link: bool) -> Decimal:
    return Decimal(str(settings.X_COST_POST_WITH_URL if has_link else settings.X_COST_POST))


def share_create(*, user: User, item: ContentItem, request: ShareRequest) -> list[Share]:
    """Create the shares for ``request`` (or return the ones this idempotency key made)."""
    key = (request.idempotency_key or "").strip()[:64]
    if not key:
        raise ShareError("This form has expired. Reload the page and share again.")
    existing = list(Share.objects.filter(user=user, idempotency_key=key))
    if existing:
        return existing
    if not content_visible_to(user).filter(pk=item.pk).exists():
        raise ShareError("This item is not available to share any more.")
    networks = [n for n in dict.fromkeys(request.networks) if n]
    if not networks:
        raise ShareError("Choose at least one network.")
    now = timezone.now()
    if request.scheduled_for and request.scheduled_for <= now:
        raise ShareError("Choose a time in the future, or share now.")
    if request.scheduled_for and item.expires_at and request.scheduled_for >= item.expires_at:
        raise ShareError("This item expires before that time. Choose an earlier time.")

    accounts = {a.network: a for a in SocialAccount.objects.filter(user=user, network__in=networks)}
    compliance = ComplianceSettings.load()
    disclosure = item.disclosure or compliance.default_disclosure
    item = ContentItem.objects.prefetch_related("share_texts").get(pk=item.pk)
    planned = []
    for network in networks:
        if network not in item.networks:
            raise ShareError(f"This item may not be shared on {network_name(network)}.", network=network)
        account = accounts.get(network)
        if account is None or not account.is_usable:
            raise ShareError(
                f"Connect your {network_name(network)} account first.", network=network
            )
        variant = share_text_variant(item, network, user)
        offered = variant.text if variant else (item.summary or item.title)
        text = request.texts.get(network)
        if item.text_locked or text is None:
            text = offered  # a locked text cannot be changed, whatever the form says
        text = text.strip()
        if not text:
            raise ShareError(f"Write something to share on {network_name(network)}.", network=network)
        share = Share(
            user=user, item=item, network=network, account=account, variant=variant, text=text,
            edited=text != offered.strip(), idempotency_key=key, audience_size=account.audience_size,
            status=ShareStatus.SCHEDULED if request.scheduled_for else ShareStatus.QUEUED,
            scheduled_for=request.scheduled_for,
        )
        link = share.tracked_url if item.url else None
        errors = validate_share_text(
            network, text, link_url=link, disclosure=disclosure, blocked_words=compliance.blocked_word_list
        )
        if errors:
            raise ShareError(" ".join(errors), network=network)
        share.final_text = compose_share_text(text, link_url=link, disclosure=disclosure)
        if network == "x":
            share.cost_estimate = x_post_cost(has_link=bool(link))
        planned.append(share)

    x_cost = sum((s.cost_estimate for s in planned if s.network == "x"), Decimal("0"))
    if x_cost:
        budget = ProgrammeSettings.load().x_monthly_budget
        if x_month_spend(now=now) + x_cost > budget:
            raise ShareError(
                "Your company's monthly X budget is used up, so X shares are paused until next month. "
                "LinkedIn sharing still works.",
                network="x",
            )
    try:
        with transaction.atomic():
            created = Share.objects.bulk_create(planned)
            created = list(Share.objects.filter(user=user, idempotency_key=key))
            for share in created:
                if share.status == ShareStatus.QUEUED:
                    _enqueue(share)
    except IntegrityError:
        # The same form was submitted twice at the same moment: the other request won.
        return list(Share.objects.filter(user=user, idempotency_key=key))
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


def network_name(network: str) -> str:
    return {"linkedin": "LinkedIn", "x": "X"}.get(network, network)
