"""Web Push: the installable app's notifications on a phone or a desktop (RFC 8030, 8291, 8292).

A browser that the employee allowed to show notifications gives us a *subscription*: the
push service's endpoint URL, its P-256 public key and an auth secret. To notify, Chorus
encrypts a small JSON payload for that browser (aes128gcm, RFC 8291, done by pywebpush),
signs a VAPID token for the push service (RFC 8292, py-vapid) and POSTs it to the endpoint
through the SSRF policy (``core.fetcher.send``): the endpoint is a URL a browser handed us,
so only the known push services' hosts over https are accepted (``PUSH_SERVICE_HOSTS``).

What is pushed is an in-app ``Notification`` that already exists (new content, a
connection expiring or needing a reconnect); ``Notification.push_claim`` makes one task run
push it. A re-delivered task re-sends its own claims, which is harmless: the payload's
``tag`` makes the device replace the first notification with the second.
"""

import base64
import binascii
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator
from py_vapid import Vapid02
from pywebpush import WebPusher

from accounts.models import NotificationPreference, User
from core.fetcher import BadURL, BlockedAddress, FetchError, send
from core.queueing import enqueue
from notifications.models import Notification, PushSubscription

logger = logging.getLogger(__name__)

# The payload a service worker receives; push services accept 4 KiB of ciphertext.
MAX_BODY_CHARS = 240
# The session remembers this browser's endpoint, so that logging out forgets it.
SESSION_ENDPOINT_KEY = "push_endpoint"
_SENT = frozenset({200, 201, 202, 204})
_GONE = frozenset({404, 410})


class SubscriptionInvalid(ValueError):
    """What the browser sent is not a subscription Chorus can push to; the message says why."""


# --- the application server's keys (VAPID) ----------------------------------------------


@dataclass(frozen=True)
class VapidKeys:
    signer: Vapid02
    public_key: str  # base64url of the uncompressed point: the page's applicationServerKey
    subject: str


_keys_lock = threading.Lock()
_keys_cache: dict[tuple[str, str, str], VapidKeys] = {}


def _b64decode(value: str) -> bytes:
    value = value.strip()
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_pair_generate() -> tuple[str, str]:
    """A new (private, public) VAPID key pair, base64url: the raw 32-byte private scalar and
    the 65-byte uncompressed public point."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64encode(private), _b64encode(public)


def _dev_private_key(path: Path) -> str:
    """Development (DEBUG, ``make run``): a key pair generated once into ``var/``, shared by
    the web and worker processes (whoever creates the file first wins; O_EXCL)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    private, _ = vapid_pair_generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(private + "\n")
    logger.info("generated a development VAPID key pair in %s", path)
    return private


def vapid_keys() -> VapidKeys | None:
    """The configured keys, or None when push is not set up (nothing is offered or sent)."""
    private = settings.VAPID_PRIVATE_KEY.strip()
    dev_file = getattr(settings, "VAPID_DEV_KEY_FILE", None)
    if not private and dev_file:
        private = _dev_private_key(Path(dev_file))
    if not private:
        return None
    cache_key = (private, settings.VAPID_PUBLIC_KEY.strip(), settings.VAPID_SUBJECT)
    with _keys_lock:
        if cache_key not in _keys_cache:
            _keys_cache[cache_key] = _load_keys(*cache_key)
        return _keys_cache[cache_key]


def _load_keys(private: str, public: str, subject: str) -> VapidKeys:
    try:
        signer = Vapid02.from_string(private)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValueError("VAPID_PRIVATE_KEY is not a P-256 private key (base64url raw or DER); "
                         "make one with: manage.py generate_vapid_keys") from exc
    derived = _b64encode(signer.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    if public and public.rstrip("=") != derived:
        raise ValueError("VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY; set both from one "
                         "`manage.py generate_vapid_keys` run (or leave the public key out).")
    return VapidKeys(signer=signer, public_key=derived, subject=subject)


def _usable_keys() -> VapidKeys | None:
    """``vapid_keys()`` for the sending side: bad keys (the system check reports them at boot)
    turn push off instead of breaking the fan-out that calls it."""
    try:
        return vapid_keys()
    except ValueError as exc:
        logger.error("push is off: %s", exc)
        return None


def push_enabled() -> bool:
    return _usable_keys() is not None


# --- subscriptions ------------------------------------------------------------------


def validate_endpoint(url: str) -> str:
    """An endpoint Chorus will POST to: a known push service over https (or one of
    ``PUSH_EXTRA_HOSTS``, over http too). Raises ``SubscriptionInvalid``."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SubscriptionInvalid("The push endpoint is not a valid URL.") from exc
    host = (parts.hostname or "").lower()
    extra = {h.strip().lower() for h in settings.PUSH_EXTRA_HOSTS if h.strip()}
    known = any(host == h or host.endswith("." + h) for h in (s.strip().lower() for s in settings.PUSH_SERVICE_HOSTS))
    if len(url) > 1000 or parts.username or parts.password or not host:
        raise SubscriptionInvalid("The push endpoint is not a valid URL.")
    if host in extra and parts.scheme in ("http", "https"):
        return url
    if parts.scheme != "https" or not known or port not in (None, 443):
        raise SubscriptionInvalid(
            "This browser's push service is not one Chorus sends to (it must be https on a known push "
            "service); notifications still appear in Chorus."
        )
    return url


def _validate_keys(p256dh: str, auth: str) -> tuple[str, str]:
    try:
        point = _b64decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        secret = _b64decode(auth)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise SubscriptionInvalid("The subscription's keys are not valid (p256dh must be a P-256 point).") from exc
    if len(point) != 65 or len(secret) != 16:
        raise SubscriptionInvalid("The subscription's keys are not valid (p256dh 65 bytes, auth 16 bytes).")
    return _b64encode(point), _b64encode(secret)


def subscription_save(*, user: User, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """Record (or refresh) this browser's subscription for ``user``. An endpoint belongs to
    one browser profile: if another person subscribed it before (a shared computer), it
    moves to ``user`` so that nobody gets someone else's notifications."""
    endpoint = validate_endpoint(endpoint)
    p256dh, auth = _validate_keys(p256dh, auth)
    existing = PushSubscription.objects.filter(endpoint=endpoint).first()
    if existing is None and PushSubscription.objects.filter(user=user).count() >= settings.PUSH_MAX_SUBSCRIPTIONS_PER_USER:
        raise SubscriptionInvalid(
            f"You already get push notifications on {settings.PUSH_MAX_SUBSCRIPTIONS_PER_USER} devices; turn them "
            "off on one you no longer use first."
        )
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300], "failures": 0,
                  "last_error": ""},
    )
    return subscription


def subscription_delete(*, user: User, endpoint: str) -> bool:
    """Forget ``user``'s subscription at ``endpoint`` (another person's is left alone)."""
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=(endpoint or "").strip()).delete()
    return bool(deleted)


def subscription_exists(*, user: User, endpoint: str) -> bool:
    return PushSubscription.objects.filter(user=user, endpoint=(endpoint or "").strip()).exists()


# --- sending ------------------------------------------------------------------------


def push_payload(notification: Notification) -> dict[str, str]:
    """What the service worker shows: title, body, where a tap goes (a path in Chorus) and
    a tag (the same event replaces its earlier notification on the device)."""
    tag = f"item-{notification.item_id}" if notification.kind == Notification.Kind.NEW_CONTENT and \
        notification.item_id else f"n-{notification.pk}"
    url = notification.url if notification.url.startswith("/") and not notification.url.startswith("//") else ""
    return {
        "title": notification.title,
        "body": Truncator(notification.body).chars(MAX_BODY_CHARS),
        "url": url or "/notifications/",
        "tag": tag,
    }


@dataclass
class PushReport:
    sent: int = 0
    gone: int = 0  # subscriptions deleted (404/410, or too many failures)
    failed: int = 0
    retry: list[list[int]] = field(default_factory=list)  # [notification id, subscription id] to try again


def push_enqueue(notification_ids: list[int]) -> None:
    """Ask a worker to push these notifications (after the transaction commits)."""
    if notification_ids and push_enabled():
        enqueue("notify.push_send", list(notification_ids))


def users_with_push(user_ids: list[int]) -> set[int]:
    return set(PushSubscription.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True).distinct())


def new_content_push_enqueue(*, item_id: int, user_ids: list[int]) -> None:
    """Push the new-content notification of ``item_id`` to those of ``user_ids`` who turned
    push on somewhere: two queries per fan-out chunk, none when push is not set up."""
    if not user_ids or not push_enabled():
        return
    pushed = users_with_push(user_ids)
    if pushed:
        ids = Notification.objects.filter(user_id__in=pushed, dedupe_key=f"new:{item_id}").values_list("pk", flat=True)
        push_enqueue(list(ids))


def push_notifications_send(*, notification_ids: list[int], claim_token: str) -> PushReport:
    """Push each notification to every device of its person, once: only the run that
    claims a notification (``push_claim``) sends it. Safe to run twice (see module doc)."""
    report = PushReport()
    keys = _usable_keys()
    if keys is None:
        return report
    Notification.objects.filter(pk__in=notification_ids, push_claim="").update(push_claim=claim_token)
    notes = list(Notification.objects.filter(pk__in=notification_ids, push_claim=claim_token)
                 .select_related("user").order_by("pk"))
    wanted = [n for n in notes if n.user.is_active and n.user.notification_preference != NotificationPreference.NONE]
    subscriptions = _subscriptions_by_user({n.user_id for n in wanted})
    for note in wanted:
        for subscription in subscriptions.get(note.user_id, []):
            _deliver(keys, note, subscription, report)
    return report


def push_pairs_send(*, pairs: list[list[int]]) -> PushReport:
    """Try again the (notification, subscription) pairs that failed in a way that may pass."""
    report = PushReport()
    keys = _usable_keys()
    if keys is None:
        return report
    notes = Notification.objects.in_bulk({n for n, _ in pairs})
    subs = PushSubscription.objects.in_bulk({s for _, s in pairs})
    for note_id, sub_id in pairs:
        note, subscription = notes.get(note_id), subs.get(sub_id)
        if note is not None and subscription is not None and subscription.user_id == note.user_id:
            _deliver(keys, note, subscription, report)
    return report


def _subscriptions_by_user(user_ids: set[int]) -> dict[int, list[PushSubscription]]:
    out: dict[int, list[PushSubscription]] = {}
    for subscription in PushSubscription.objects.filter(user_id__in=user_ids).order_by("pk"):
        out.setdefault(subscription.user_id, []).append(subscription)
    return out


def _deliver(keys: VapidKeys, note: Notification, subscription: PushSubscription, report: PushReport) -> None:
    payload = push_payload(note)
    urgency = "high" if note.kind in (Notification.Kind.EXPIRING, Notification.Kind.RECONNECT) else "normal"
    outcome, error = push_send(keys, subscription, payload, urgency=urgency)
    rows = PushSubscription.objects.filter(pk=subscription.pk)
    if outcome == "sent":
        rows.update(last_success_at=timezone.now(), failures=0, last_error="")
        report.sent += 1
        return
    if outcome == "gone":
        rows.delete()
        report.gone += 1
        return
    rows.update(failures=F("failures") + 1, last_error=error[:300])
    if rows.filter(failures__gte=settings.PUSH_MAX_FAILURES).delete()[0]:
        logger.info("push subscription %s deleted after %s failures", subscription.pk, settings.PUSH_MAX_FAILURES)
        report.gone += 1
        return
    report.failed += 1
    if outcome == "transient":
        report.retry.append([note.pk, subscription.pk])


def push_send(keys: VapidKeys, subscription: PushSubscription, payload: dict, *, urgency: str = "normal",
              ttl: int | None = None) -> tuple[str, str]:
    """One encrypted push to one subscription. Returns (outcome, error): "sent"; "gone" (the
    push service forgot it: 404/410, or an endpoint no longer acceptable); "transient" (no
    answer, 429, 5xx: may pass); "failed" (refused: a VAPID or payload problem)."""
    try:
        endpoint = validate_endpoint(subscription.endpoint)  # the rules may have changed since it was stored
    except SubscriptionInvalid as exc:
        return "gone", str(exc)
    pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}})
    body = pusher.encode(json.dumps(payload, ensure_ascii=False).encode(), content_encoding="aes128gcm")["body"]
    parts = urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}", "sub": keys.subject,
              "exp": int(timezone.now().timestamp()) + 12 * 3600}
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Encoding": "aes128gcm",
        "TTL": str(settings.PUSH_TTL_SECONDS if ttl is None else ttl),
        "Urgency": urgency,
        "Topic": payload["tag"].replace("-", "")[:32],  # a newer message with the topic replaces a queued one
        **keys.signer.sign(claims),
    }
    try:
        answer = send("POST", endpoint, body=body, headers=headers, timeout=settings.PUSH_TIMEOUT,
                      max_bytes=4096, truncate=True, also_allow=settings.PUSH_EXTRA_HOSTS)
    except BadURL as exc:
        return "gone", exc.reason
    except BlockedAddress as exc:  # resolves to a private address: refused, not retried
        logger.warning("push to subscription %s refused: %s", subscription.pk, exc.reason)
        return "failed", exc.reason
    except FetchError as exc:
        logger.info("push to subscription %s failed: %s", subscription.pk, exc.reason)
        return "transient", exc.reason
    if answer.status in _SENT:
        return "sent", ""
    if answer.status in _GONE:
        return "gone", f"HTTP {answer.status}"
    error = f"HTTP {answer.status}: {answer.body[:200].decode('utf-8', 'replace')}"
    if answer.status == 429 or answer.status >= 500:
        return "transient", error
    logger.warning("push service refused a push to subscription %s: %s", subscription.pk, error)
    return "failed", error
