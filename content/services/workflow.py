"""The curation workflow: draft → in review → approved / scheduled → published → archived
(and expired when ``expires_at`` passes).

Every transition goes through ``content_transition`` so that the permission check, the
state check and the history entry cannot be skipped — the admin's buttons and bulk
actions, the API and beat all call these functions. Status changes are conditional
UPDATEs (``WHERE status IN allowed``), so two processes racing on the same item
cannot both win: an item is published exactly once.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from content.models import ContentChange, ContentItem, ContentStatus
from content.services.history import content_log_change
from content.signals import content_published
from core import audit
from core.scheduling import too_far_ahead

logger = logging.getLogger(__name__)
S = ContentStatus


class WorkflowError(Exception):
    """A transition that cannot happen; the message is shown to the curator as is."""


class NotAllowed(WorkflowError):
    pass


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    permission: str


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("submit", "Submit for review", frozenset({S.DRAFT}), S.IN_REVIEW, "content.change_contentitem"),
        Transition(
            "return_to_draft", "Return to draft",
            frozenset({S.IN_REVIEW, S.APPROVED, S.SCHEDULED}), S.DRAFT, "content.change_contentitem",
        ),
        Transition("approve", "Approve", frozenset({S.DRAFT, S.IN_REVIEW}), S.APPROVED, "content.approve_contentitem"),
        Transition(
            "schedule", "Schedule", frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED}), S.SCHEDULED,
            "content.publish_contentitem",
        ),
        Transition(
            "publish", "Publish now", frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED}), S.PUBLISHED,
            "content.publish_contentitem",
        ),
        Transition(
            "archive", "Archive",
            frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.SCHEDULED, S.PUBLISHED, S.EXPIRED}), S.ARCHIVED,
            "content.change_contentitem",
        ),
        Transition("restore", "Restore as draft", frozenset({S.ARCHIVED, S.EXPIRED}), S.DRAFT,
                   "content.change_contentitem"),
    ]
}
# Publishing and scheduling imply approval: only Approvers (and Admins) may do them.
_NEEDS_APPROVAL = {"schedule", "publish"}


def allowed_transitions(item: ContentItem, user: User) -> list[Transition]:
    return [
        t for t in TRANSITIONS.values()
        if item.status in t.sources and user.has_perm(t.permission)
        and (t.name not in _NEEDS_APPROVAL or user.has_perm("content.approve_contentitem"))
    ]


def _check(item: ContentItem, user: User | None, name: str) -> Transition:
    transition = TRANSITIONS[name]
    if user is not None:
        if not user.has_perm(transition.permission) or (
            name in _NEEDS_APPROVAL and not user.has_perm("content.approve_contentitem")
        ):
            raise NotAllowed(f"You are not allowed to {transition.label.lower()} content. Ask an Approver.")
    if item.status not in transition.sources:
        raise WorkflowError(
            f"“{item.title}” is {item.get_status_display().lower()}; it cannot be "
            f"{'published' if name == 'publish' else transition.label.lower() + 'd'} from there."
        )
    return transition


def _move(item: ContentItem, transition: Transition, **fields) -> bool:
    """Conditionally move ``item`` to the transition's target; False if someone else moved it."""
    updated = ContentItem.objects.filter(pk=item.pk, status__in=transition.sources).update(
        status=transition.target, updated_at=timezone.now(), **fields
    )
    if updated:
        old = item.status
        item.status = transition.target
        for key, value in fields.items():
            setattr(item, key, value)
        item._previous_status = old
    return bool(updated)


@transaction.atomic
def content_transition(*, item: ContentItem, user: User | None, name: str, note: str = "") -> ContentItem:
    """Apply a simple transition (submit, return_to_draft, approve, archive, restore)."""
    if name in {"publish", "schedule"}:
        raise ValueError("use content_publish / content_schedule")
    transition = _check(item, user, name)
    fields = {}
    if name == "approve":
        fields = {"approved_by": user, "approved_at": timezone.now()}
    if not _move(item, transition, **fields):
        raise WorkflowError(f"“{item.title}” was changed by someone else meanwhile. Reload and try again.")
    content_log_change(
        item=item, user=user, action=name,
        changes={"status": [item._previous_status, item.status]}, note=note,
    )
    return item


@transaction.atomic
def content_schedule(*, item: ContentItem, user: User | None, publish_at: datetime, note: str = "") -> ContentItem:
    """Approve (if needed) and publish automatically at ``publish_at``."""
    transition = _check(item, user, "schedule")
    if publish_at <= timezone.now():
        raise WorkflowError("Choose a time in the future, or publish now.")
    if problem := too_far_ahead(publish_at):
        raise WorkflowError(problem)
    if item.expires_at and publish_at >= item.expires_at:
        raise WorkflowError("The item would expire before it is published. Change the expiry time first.")
    fields = {"publish_at": publish_at}
    if item.approved_at is None and user is not None:
        fields.update(approved_by=user, approved_at=timezone.now())
    if not _move(item, transition, **fields):
        raise WorkflowError(f"“{item.title}” was changed by someone else meanwhile. Reload and try again.")
    content_log_change(
        item=item, user=user, action="schedule",
        changes={"status": [item._previous_status, item.status], "publish_at": [None, publish_at.isoformat()]},
        note=note,
    )
    return item


@transaction.atomic
def content_publish(*, item: ContentItem, user: User | None, note: str = "") -> bool:
    """Publish ``item`` now. ``user=None`` is the scheduler.

    Returns False (and does nothing) if another process published it first, so the
    ``content_published`` event fires exactly once per item.
    """
    transition = _check(item, user, "publish")
    if item.expires_at and item.expires_at <= timezone.now():
        raise WorkflowError("This item's expiry time has passed. Change it before publishing.")
    now = timezone.now()
    fields = {"published_at": now}
    if item.approved_at is None:
        fields.update(approved_by=user, approved_at=now)
    if not _move(item, transition, **fields):
        return False
    content_log_change(
        item=item, user=user, action="publish",
        changes={"status": [item._previous_status, item.status]},
        note=note or ("Published on schedule" if user is None else ""),
    )
    item_id = item.pk
    transaction.on_commit(lambda: content_published.send(sender=ContentItem, item_id=item_id))
    return True


def content_publish_due(*, now: datetime | None = None) -> int:
    """Beat: publish scheduled items whose time has come. Safe to run concurrently."""
    now = now or timezone.now()
    published = 0
    due = ContentItem.objects.filter(status=S.SCHEDULED, publish_at__lte=now).order_by("publish_at")[:500]
    for item in due:
        try:
            if content_publish(item=item, user=None):
                published += 1
        except WorkflowError as exc:
            logger.warning("scheduled item %s not published: %s", item.pk, exc)
            ContentItem.objects.filter(pk=item.pk, status=S.SCHEDULED).update(status=S.EXPIRED)
            content_log_change(item=item, user=None, action="expire", note=str(exc))
    return published


def content_expire_due(*, now: datetime | None = None) -> int:
    """Beat: mark published items past ``expires_at`` as expired (one UPDATE)."""
    now = now or timezone.now()
    ids = list(
        ContentItem.objects.filter(status=S.PUBLISHED, expires_at__lte=now).values_list("pk", flat=True)[:5000]
    )
    if not ids:
        return 0
    with transaction.atomic():
        count = ContentItem.objects.filter(pk__in=ids, status=S.PUBLISHED).update(status=S.EXPIRED, updated_at=now)
        ContentChange.objects.bulk_create(
            [ContentChange(item_id=pk, user=None, action="expire", changes={"status": ["published", "expired"]})
             for pk in ids]
        )
        audit.record_many(
            audit.entry(item, event="expire", changes={"status": ["published", "expired"]})
            for item in ContentItem.objects.filter(pk__in=ids).only("pk", "title")
        )
    return count
