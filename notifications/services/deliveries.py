"""Email deliveries: claim a row, render, send, record the outcome, retry failures.

Exactly-once works in two steps. ``deliveries_claim`` INSERTs one row per recipient with
``ON CONFLICT DO NOTHING`` on the unique ``(user, kind, period)`` and this run's
``claim_token``; only rows carrying our token are ours to send. A second run (a doubled
beat, a re-delivered task with a new id) inserts nothing and sends nothing. A task that
Celery re-delivers after its worker died keeps its task id, so it picks up its own
still-pending rows; rows nobody finishes are re-claimed by ``deliveries_retry_due``.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.models import User
from core.queueing import send
from core.retry import backoff
from notifications.emails import RenderedEmail, build_message, unsubscribe_url
from notifications.models import DIGEST_KINDS, DeliveryKind, DeliveryStatus, EmailDelivery
from notifications.signals import digest_sent

logger = logging.getLogger(__name__)

# Rows are sent and recorded in batches: a worker dying mid-chunk re-sends at most one batch.
SEND_BATCH = 100
# A pending row older than this belongs to a run that died; the retry sweep takes it over.
STALE_PENDING = timedelta(minutes=30)


@dataclass
class Outgoing:
    """What a renderer decided for one delivery: an email, a skip, or an error."""

    email: RenderedEmail | None = None
    unsubscribe: bool = True
    unsubscribe_url: str = ""  # the link the email carries, if the renderer signed one (the header reuses it)
    error: str = ""
    permanent: bool = False  # an error that retrying cannot fix


# kind -> renderer(deliveries) -> {delivery pk: Outgoing}; each module registers its own.
Renderer = Callable[[list[EmailDelivery]], dict[int, Outgoing]]
_RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    _RENDERERS[kind] = renderer


@dataclass
class SendReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, other: "SendReport") -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed


def new_claim_token() -> str:
    return uuid.uuid4().hex


def chunked(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def deliveries_claim(
    *, kind: str, period: str, recipients: dict[int, str], claim_token: str, item_id: int | None = None,
    notification_ids: dict[int, int] | None = None,
) -> None:
    """Insert a pending row per recipient (``{user id: email}``) unless one exists for
    ``(user, kind, period)``. One INSERT (SQLite: one per 999 parameters)."""
    now = timezone.now()
    rows = [
        EmailDelivery(
            user_id=uid, to_email=email, kind=kind, period=period, item_id=item_id, claim_token=claim_token,
            claimed_at=now, notification_id=(notification_ids or {}).get(uid),
        )
        for uid, email in recipients.items()
    ]
    EmailDelivery.objects.bulk_create(rows, ignore_conflicts=True)


def deliveries_send(*, claim_token: str, record_every: int | None = SEND_BATCH) -> SendReport:
    """Render and send every pending delivery claimed with ``claim_token``.

    Queries: one to load the rows, the renderers' own (constant per kind and batch), and
    the outcomes recorded in a handful of bulk UPDATEs every ``record_every`` rows (None:
    once, for all of them). One mail connection for all of them.

    ``record_every`` bounds what a worker that dies mid-send leaves unrecorded: those rows
    are still *pending* and the retry sweep sends them again. A digest chunk records once
    (``digest_chunk``): its size (``DIGEST_CHUNK_SIZE``) is that bound, and its queries stay
    the same whatever the size.
    """
    rows = list(
        EmailDelivery.objects.filter(claim_token=claim_token, status=DeliveryStatus.PENDING)
        .select_related("user", "user__team")
        .order_by("pk")
    )
    report = SendReport()
    if not rows:
        return report
    outgoing = _render(rows)
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:  # the mail server is down: every row retries later
        logger.warning("mail connection failed (%s); %d deliveries will retry", type(exc).__name__, len(rows))
        _record(rows, {r.pk: Outgoing(error=f"mail server: {exc}"[:500]) for r in rows}, report, sent=set())
        return report
    try:
        for batch in chunked(rows, record_every or len(rows)):
            sent: set[int] = set()
            for delivery in batch:
                out = outgoing.get(delivery.pk) or Outgoing(error="nothing rendered")
                if out.email is None or out.error:
                    continue
                if not delivery.user.email or not delivery.user.is_active:
                    out.email, out.error, out.permanent = None, "no active email address", True
                    continue
                message = build_message(
                    to=delivery.user.email, email=out.email, connection=connection,
                    unsubscribe=(out.unsubscribe_url or unsubscribe_url(delivery.pk)) if out.unsubscribe else "",
                )
                try:
                    message.send()
                except Exception as exc:
                    logger.warning("email %s failed: %s", delivery.pk, type(exc).__name__)
                    out.error = f"{type(exc).__name__}: {exc}"[:500]
                else:
                    sent.add(delivery.pk)
            _record(batch, outgoing, report, sent=sent)
    finally:
        connection.close()
    return report


def deliveries_send_later(*, claim_token: str) -> None:
    """Hand the claimed rows to a ``notify.send_claimed`` task. If the broker is down the
    rows stay pending and ``deliveries_retry_due`` takes them over after ``STALE_PENDING``."""
    try:
        send("notify.send_claimed", claim_token)
    except Exception as exc:
        logger.warning("could not enqueue sending of %s (%s); the retry sweep will", claim_token, exc)


def _render(rows: list[EmailDelivery]) -> dict[int, Outgoing]:
    by_kind: dict[str, list[EmailDelivery]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    outgoing: dict[int, Outgoing] = {}
    for kind, group in by_kind.items():
        renderer = _RENDERERS.get(kind)
        if renderer is None:
            outgoing.update({r.pk: Outgoing(error=f"no renderer for {kind}") for r in group})
            continue
        try:
            outgoing.update(renderer(group))
        except Exception as exc:  # a bug must not lose the emails: they retry after a fix
            logger.exception("rendering %d %s emails failed", len(group), kind)
            outgoing.update({r.pk: Outgoing(error=f"render: {type(exc).__name__}: {exc}"[:500]) for r in group})
    return outgoing


def _retry_at(attempts: int, now: datetime) -> datetime | None:
    if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        return None
    # Added (not full) jitter keeps the established schedule: 5, 10, 20, 40 minutes, plus
    # up to a fifth.
    return now + timedelta(seconds=backoff(attempts, base=5 * 60, cap=6 * 3600, full_jitter=False))


def _record(batch: list[EmailDelivery], outgoing: dict[int, Outgoing], report: SendReport, *, sent: set[int]) -> None:
    """Record a batch's outcome in one UPDATE, whatever the mix of outcomes: rows are grouped
    by outcome (sent with a given subject, skipped, failed with a given error), and each
    column takes its group's value through a CASE."""
    now = timezone.now()
    sent_by_subject: dict[str, list[int]] = defaultdict(list)
    skipped: list[int] = []
    failed: dict[tuple[str, bool, int], list[int]] = defaultdict(list)
    for delivery in batch:
        out = outgoing.get(delivery.pk) or Outgoing(error="nothing rendered")
        if delivery.pk in sent and out.email is not None:
            sent_by_subject[out.email.subject[:300]].append(delivery.pk)
        elif out.error:
            failed[(out.error[:500], out.permanent, delivery.attempts + 1)].append(delivery.pk)
        else:
            skipped.append(delivery.pk)
    # (pks, {column: value}) per outcome; a column a group does not set keeps its value.
    groups: list[tuple[list[int], dict]] = []
    for subject, pks in sent_by_subject.items():
        groups.append((pks, {"status": DeliveryStatus.SENT, "sent_at": now, "attempts": F("attempts") + 1,
                             "error": "", "next_attempt_at": None, "subject": subject}))
    if skipped:
        groups.append((skipped, {"status": DeliveryStatus.SKIPPED, "error": "", "next_attempt_at": None}))
    for (error, permanent, attempts), pks in failed.items():
        retry_at = None if permanent else _retry_at(attempts, now)
        groups.append((pks, {"status": DeliveryStatus.RETRYING if retry_at else DeliveryStatus.FAILED,
                             "error": error, "attempts": attempts, "next_attempt_at": retry_at}))
    if not groups:
        return
    columns: dict[str, list[When]] = defaultdict(list)
    for pks, values in groups:
        for column, value in values.items():
            field = EmailDelivery._meta.get_field(column)
            then = value if hasattr(value, "resolve_expression") else Value(value, output_field=field)
            columns[column].append(When(pk__in=pks, then=then))
    EmailDelivery.objects.filter(status=DeliveryStatus.PENDING, pk__in=[pk for pks, _ in groups for pk in pks]).update(
        **{column: Case(*whens, default=F(column), output_field=EmailDelivery._meta.get_field(column))
           for column, whens in columns.items()}
    )
    recorded = {pk for pks in sent_by_subject.values() for pk in pks}
    report.sent += len(recorded)
    report.skipped += len(skipped)
    report.failed += sum(len(pks) for pks in failed.values())
    digests = [d.pk for d in batch if d.kind in DIGEST_KINDS and d.pk in recorded]
    if digests:
        digest_sent.send(sender=EmailDelivery, delivery_ids=digests)


def deliveries_retry_due(*, now: datetime | None = None, limit: int = 500) -> list[str]:
    """Re-claim failed deliveries whose retry time has come, and pending ones whose run
    died; returns the claim tokens to send. Concurrent sweeps are harmless: the claim is
    a conditional UPDATE that also moves ``claimed_at``, so each row is taken once."""
    now = now or timezone.now()
    due = Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.PENDING, claimed_at__lt=now - STALE_PENDING
    )
    ids = list(EmailDelivery.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:limit])
    tokens = []
    for batch in chunked(ids, settings.DIGEST_CHUNK_SIZE):
        token = new_claim_token()
        if EmailDelivery.objects.filter(due, pk__in=batch).update(
            claim_token=token, status=DeliveryStatus.PENDING, claimed_at=now
        ):
            tokens.append(token)
    return tokens


def delivery_send_now(
    *, user: User, kind: str, period: str = "", item_id: int | None = None, notification_id: int | None = None
) -> EmailDelivery | None:
    """Claim and send one email in this process (alerts, test digests). Without a
    ``period`` the email may repeat (each gets a fresh one)."""
    if kind not in DeliveryKind.values:
        raise ValueError(f"unknown delivery kind {kind}")
    token = new_claim_token()
    period = period or f"adhoc-{token[:12]}"
    deliveries_claim(
        kind=kind, period=period, recipients={user.pk: user.email}, claim_token=token, item_id=item_id,
        notification_ids={user.pk: notification_id} if notification_id else None,
    )
    deliveries_send(claim_token=token)
    return EmailDelivery.objects.filter(claim_token=token).first()
