"""Webhook endpoints: where they may point, their secrets, and their health.

An endpoint is disabled automatically when a receiver keeps failing: after
``WEBHOOKS_DISABLE_AFTER_FAILURES`` attempts in a row without a 2xx, spread over at least
``WEBHOOKS_DISABLE_AFTER_HOURS`` (so a short outage with many events queued does not do
it), or at once on a 410 Gone (the receiver asks to stop). The Admins are emailed once,
by whoever disabled it. Its pending deliveries wait, and go out when an Admin turns it
back on; events that happen while it is off are not recorded for it.
"""

import ipaddress
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import mail_admins, send_mail
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import ADMIN
from core import audit
from core.fetcher import FetchError
from core.ssrf import is_allowed_anyway, parse_target, resolve
from webhooks.models import WebhookEndpoint
from webhooks.signing import new_secret

logger = logging.getLogger(__name__)


def endpoint_url_problem(url: str) -> str | None:
    """Why Chorus will not send webhooks to ``url`` (a sentence for the form), or None.

    The same policy as every user-supplied URL (``core.ssrf``): no private, loopback or
    link-local address, checked on every address the name resolves to now; delivery checks
    the address it connects to again. https is required, except for hosts the operator
    allowed in ``FETCHER_ALLOWED_HOSTS`` (a local receiver in development and tests).
    """
    try:
        target = parse_target(url)
        addresses = resolve(target.host, target.port)
    except FetchError as exc:
        return f"Chorus will not send webhooks to this address. {exc.reason}"
    if target.scheme != "https" and not all(
        is_allowed_anyway(target.host, ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        for _family, sockaddr in addresses
    ):
        return "Use an https:// address: webhooks carry your programme's data and must be encrypted on the way."
    return None


def endpoint_create(*, url: str, description: str = "", events: list[str], is_active: bool = True) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (shown to the admin once, by the caller). Raises
    ``ValidationError`` for a URL Chorus will not send to (``endpoint_url_problem``)."""
    problem = endpoint_url_problem(url)
    if problem:
        raise ValidationError({"url": problem})
    return WebhookEndpoint.objects.create(url=url, description=description, events=list(events),
                                          is_active=is_active, secret=new_secret())


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """Give ``endpoint`` a new secret; the old one keeps signing (a second signature) for
    ``WEBHOOKS_SECRET_OVERLAP_HOURS``. Returns the new secret, to show once."""
    now = now or timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + timedelta(hours=settings.WEBHOOKS_SECRET_OVERLAP_HOURS)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
    return endpoint.secret


def endpoint_reactivate(*, endpoint: WebhookEndpoint) -> None:
    """An Admin turned the endpoint back on: a fresh start for its health; the deliveries
    that waited are sent by the next sweep."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=0, failing_since=None, disabled_at=None, disabled_reason=""
    )


def endpoint_note_success(*, endpoint_id: int, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=0, failing_since=None, last_success_at=now
    )


def endpoint_note_failure(*, endpoint_id: int, now: datetime, gone: bool = False) -> bool:
    """Count a failed attempt; disable the endpoint when its streak is long enough (or at
    once when ``gone``: a 410). Returns whether this call disabled it."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1, failing_since=Coalesce("failing_since", now)
    )
    if gone:
        return endpoint_disable(endpoint_id=endpoint_id, now=now,
                                reason="The receiver answered 410 Gone: it asked for no more webhooks.")
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    window = timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS)
    if (endpoint.consecutive_failures >= settings.WEBHOOKS_DISABLE_AFTER_FAILURES
            and endpoint.failing_since is not None and endpoint.failing_since <= now - window):
        return endpoint_disable(
            endpoint_id=endpoint_id, now=now,
            reason=f"{endpoint.consecutive_failures} attempts in a row failed since "
                   f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC.",
        )
    return False


def endpoint_disable(*, endpoint_id: int, reason: str, now: datetime) -> bool:
    """Turn the endpoint off (one conditional UPDATE: of two workers only one does it),
    write the audit entry and email the Admins."""
    if not WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:300], updated_at=now
    ):
        return False
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    audit.record(endpoint, event="webhook endpoint disabled", changes={"is_active": [True, False]},
                 extra={"reason": reason})
    _email_admins(
        subject=f"{settings.SITE_NAME}: webhook endpoint disabled ({endpoint.display_url})",
        message=(
            f"Chorus stopped sending webhooks to {endpoint.display_url}"
            f"{f' ({endpoint.description})' if endpoint.description else ''}.\n\n"
            f"Why: {reason}\n\n"
            "Deliveries still waiting stay queued and go out when it is turned back on; events that happen "
            "while it is off are not sent to it. Check the receiver, use \"Send test event\", then turn the "
            "endpoint back on.\n\n"
            f"{settings.SITE_URL}{reverse('admin:webhooks_webhookendpoint_change', args=[endpoint_id])}\n"
        ),
    )
    return True


def _email_admins(*, subject: str, message: str) -> None:
    """To the people with the Admin role (and superusers); ``settings.ADMINS`` if none."""
    recipients = sorted(set(
        User.objects.filter(Q(groups__name=ADMIN) | Q(is_superuser=True), is_active=True)
        .exclude(email="").values_list("email", flat=True)
    ))
    try:
        if recipients:
            send_mail(subject, message, None, recipients)
        else:
            mail_admins(subject, message)
    except Exception:
        logger.exception("could not email the admins about a disabled webhook endpoint")
