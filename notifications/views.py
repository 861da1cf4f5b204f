"""The notification centre, the signed links in emails (Share now, one-click unsubscribe), and
this device's Web Push subscription (the preferences' push switch posts here)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications.emails import share_link_item_id
from notifications.services.inapp import (
    notification_for_user,
    notification_mark_read,
    notifications_for_user,
    notifications_mark_all_read,
)
from notifications.services.push import (
    SESSION_ENDPOINT_KEY,
    SubscriptionInvalid,
    push_enabled,
    subscription_delete,
    subscription_save,
)
from notifications.services.unsubscribe import (
    UnsubscribeInvalid,
    unsubscribe_apply,
    unsubscribe_delivery,
)


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for_user(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


def _own(request: HttpRequest, notification_id: int):
    notification = notification_for_user(request.user, notification_id)
    if notification is None:
        raise Http404("No such notification.")
    return notification


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and go where the notification points (only ever inside Chorus)."""
    notification = _own(request, notification_id)
    notification_mark_read(user=request.user, notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(notification.url)
    return redirect("notifications")


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification_mark_read(user=request.user, notification=_own(request, notification_id))
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications")


@require_GET
def share_link(request: HttpRequest, token: str) -> HttpResponse:
    """"Share now" from an email: check the signature, then open the share dialog (which
    asks for a login first if needed and checks the item is still for this person)."""
    try:
        item_id = share_link_item_id(token)
    except signing.SignatureExpired:
        return render(request, "notifications/link_invalid.html", {
            "title": "This link has expired",
            "reason": "Share-now links in emails work for two weeks. The item may still be in your feed.",
        }, status=410)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return render(request, "notifications/link_invalid.html", {
            "title": "This link doesn't work",
            "reason": "It may have been cut short or changed. Check that you copied all of it, or open your feed.",
        }, status=400)
    return redirect(reverse("share_dialog", args=[item_id]))


@csrf_exempt  # mail providers POST here (RFC 8058) without a session; the signed token authorises
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation (link scanners prefetch GETs; they must not unsubscribe
    anyone); POST — the button, or a mail client's one-click — unsubscribes."""
    try:
        if request.method == "POST":
            outcome = unsubscribe_apply(token=token)
            return render(request, "notifications/unsubscribed.html", {
                "person": outcome.user, "done_now": outcome.done_now,
            })
        delivery = unsubscribe_delivery(token)
    except UnsubscribeInvalid as exc:
        return render(request, "notifications/link_invalid.html", {
            "title": "This unsubscribe link doesn't work", "reason": str(exc), "show_preferences": True,
        }, status=400)
    return render(request, "notifications/unsubscribe_confirm.html", {
        "person": delivery.user, "used": delivery.unsubscribed_at is not None, "token": token,
    })


def _json_body(request: HttpRequest) -> dict:
    if request.content_type != "application/json":
        raise SubscriptionInvalid("Send the subscription as JSON (Content-Type: application/json).")
    try:
        data = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise SubscriptionInvalid("Send the subscription as JSON.") from exc
    if not isinstance(data, dict):
        raise SubscriptionInvalid("Send the subscription as a JSON object.")
    return data


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """Turn push on for this browser: the body is the browser's ``PushSubscription.toJSON()``
    (``{"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}``). Sent again when the page
    finds the browser subscribed, so it also repairs a subscription the server dropped."""
    try:
        data = _json_body(request)
        keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
        if not _text(data.get("endpoint")) or not _text(keys.get("p256dh")) or not _text(keys.get("auth")):
            raise SubscriptionInvalid("The subscription needs an endpoint and its p256dh and auth keys.")
        if not push_enabled():
            return JsonResponse({"error": "Push notifications are not set up on this server."}, status=409)
        subscription = subscription_save(
            user=request.user, endpoint=data["endpoint"], p256dh=keys["p256dh"], auth=keys["auth"],
            user_agent=request.headers.get("User-Agent", ""),
        )
    except SubscriptionInvalid as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    request.session[SESSION_ENDPOINT_KEY] = subscription.endpoint
    return JsonResponse({"subscribed": True}, status=201)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> JsonResponse:
    """Turn push off for this browser (``{"endpoint": ...}``); only the requester's own."""
    try:
        endpoint = _text(_json_body(request).get("endpoint"))
    except SubscriptionInvalid as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if not endpoint:
        return JsonResponse({"error": "Say which subscription: its endpoint."}, status=400)
    subscription_delete(user=request.user, endpoint=endpoint)
    if request.session.get(SESSION_ENDPOINT_KEY) == endpoint:
        del request.session[SESSION_ENDPOINT_KEY]
    return JsonResponse({"subscribed": False})
