"""The share dialog and "My shares"."""

import uuid
import zoneinfo
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from advocacy.selectors import accounts_for_user, share_for_user, shares_for_user
from advocacy.services.sharing import (
    ShareError,
    ShareRequest,
    share_cancel,
    share_confirm,
    share_create,
    share_retry,
)
from content.models import ComplianceSettings
from content.selectors import content_visible_to, share_text_variant
from content.text_rules import compose_share_text


def _visible_item(request: HttpRequest, item_id: int):
    item = content_visible_to(request.user).filter(pk=item_id).first()
    if item is None:
        raise Http404("This item is not available to you.")
    return item


def _parse_local(value: str, tz_name: str) -> datetime | None:
    try:
        naive = datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return timezone.make_aware(naive, zoneinfo.ZoneInfo(tz_name or "UTC"))


@login_required
@require_http_methods(["GET", "POST"])
def share_dialog(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _visible_item(request, item_id)
    user = request.user
    accounts = accounts_for_user(user)
    compliance = ComplianceSettings.load()
    disclosure = item.disclosure or compliance.default_disclosure
    link_example = f"{settings.SITE_URL}/r/XXXXXXXXXX" if item.url else ""
    errors: dict[str, str] = {}
    posted = request.POST if request.method == "POST" else None

    networks = []
    for network in item.networks:
        variants = [t for t in item.share_texts.all() if t.network == network]
        offered = share_text_variant(item, network, user)
        default_text = offered.text if offered else (item.summary or item.title)
        text = default_text
        if posted is not None and not item.text_locked and f"text_{network}" in posted:
            text = posted.get(f"text_{network}", "")
        account = accounts.get(network)
        networks.append({
            "key": network,
            "name": "LinkedIn" if network == "linkedin" else "X",
            "account": account,
            "connected": bool(account and account.is_usable),
            "text": text,
            "variants": variants,
            "checked": (network in posted.getlist("networks")) if posted is not None
            else bool(account and account.is_usable),
            "composed_example": compose_share_text(text, link_url=link_example or None, disclosure=disclosure),
        })

    if posted is not None:
        when = None
        if posted.get("when") == "later":
            when = _parse_local(posted.get("scheduled_for", ""), user.timezone)
            if when is None:
                errors["schedule"] = "Choose a date and time for your scheduled share."
        if not errors:
            texts = {} if item.text_locked else {
                n["key"]: posted.get(f"text_{n['key']}", "") for n in networks if f"text_{n['key']}" in posted
            }
            try:
                shares = share_create(user=user, item=item, request=ShareRequest(
                    networks=posted.getlist("networks"), texts=texts,
                    idempotency_key=posted.get("idempotency_key", ""), scheduled_for=when,
                ))
            except ShareError as exc:
                errors[exc.network or "form"] = str(exc)
            else:
                names = " and ".join(s.get_network_display() for s in shares)
                if when:
                    messages.success(request, f"Scheduled for {timezone.localtime(when):%a %d %b, %H:%M} on {names}.")
                else:
                    messages.success(request, f"Sharing on {names}… you'll see it posted in a moment.")
                return redirect("my_shares")

    for n in networks:
        n["error"] = errors.get(n["key"], "")
    return render(request, "advocacy/share_dialog.html", {
        "item": item,
        "networks": networks,
        "disclosure": disclosure,
        "link_example": link_example,
        "errors": errors,
        "idempotency_key": (posted.get("idempotency_key") if posted is not None else "") or uuid.uuid4().hex,
        "when": posted.get("when", "now") if posted is not None else "now",
        "scheduled_for": posted.get("scheduled_for", "") if posted is not None else "",
    }, status=400 if errors else 200)


@login_required
def my_shares(request: HttpRequest) -> HttpResponse:
    shares = shares_for_user(request.user).order_by("-created_at")
    page = Paginator(shares, 25).get_page(request.GET.get("page"))
    return render(request, "advocacy/my_shares.html", {"page": page})


def _own_share(request: HttpRequest, share_id: int):
    share = share_for_user(request.user, share_id)
    if share is None:
        raise Http404("No such share.")
    return share


@login_required
@require_POST
def share_retry_view(request: HttpRequest, share_id: int) -> HttpResponse:
    share = _own_share(request, share_id)
    if share_retry(user=request.user, share=share):
        messages.success(request, "Trying again…")
    else:
        messages.warning(request, "This share can't be retried (it's no longer failed).")
    return redirect("my_shares")


@login_required
@require_POST
def share_cancel_view(request: HttpRequest, share_id: int) -> HttpResponse:
    share = _own_share(request, share_id)
    if share_cancel(user=request.user, share=share):
        messages.success(request, "Cancelled. Nothing was posted.")
    else:
        messages.warning(request, "Too late to cancel: this share is already being posted.")
    return redirect("my_shares")


@login_required
@require_POST
def share_confirm_view(request: HttpRequest, share_id: int) -> HttpResponse:
    share = _own_share(request, share_id)
    landed = request.POST.get("landed") == "yes"
    if share_confirm(user=request.user, share=share, landed=landed):
        messages.success(request, "Thanks — marked as posted." if landed else "OK — posting it now.")
    else:
        messages.warning(request, "This share no longer needs confirming.")
    return redirect("my_shares")
