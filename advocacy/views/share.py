"""The share dialog and "My shares".

No accidental second post, and the browser's Back button:

- Each render of the dialog carries a fresh idempotency key (kept when the form comes back
  with an error). The same rendered form sent again — a double click, or a stale copy of the
  page — replays that key: ``share_create`` returns the shares it already made, nothing new
  is posted, and the employee is told it was already shared.
- The dialog is never cached (``Cache-Control: no-store``), so Back after sharing asks the
  server again and gets a *new* render that says "You shared this on LinkedIn … — view
  post"; that network's box is then "Share again on LinkedIn" (``share_again``), unticked.
  The key field has ``autocomplete="off"`` so form restoration does not put the old key into
  the new page, and portal.js reloads the page if a browser restores it from the
  back/forward cache anyway. Whichever copy is sent, nothing is posted twice: an old key
  is a replay, a new key meets the server's "shared recently" rule (``share_create``).
"""

import json
import uuid
import zoneinfo
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from advocacy.models import Share, ShareStatus
from advocacy.selectors import accounts_for_user, recent_shares_by_network, share_for_user, shares_for_user
from advocacy.services.sharing import (
    ShareError,
    ShareRequest,
    recent_share_phrase,
    share_cancel,
    share_confirm,
    share_create,
    share_retry,
)
from content.models import ComplianceSettings, ContentItem
from content.selectors import content_visible_to, share_text_offered
from content.text_rules import compose_share_text
from core.middleware import refuse_nul_bytes
from core.scheduling import when_text
from networks import display_name


def _visible_item(request: HttpRequest, item_id: int) -> ContentItem:
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


@never_cache  # Back must ask the server again: see the module docstring
@login_required
@require_http_methods(["GET", "POST"])
@refuse_nul_bytes
def share_dialog(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _visible_item(request, item_id)
    posted = request.POST if request.method == "POST" else None
    disclosure = item.disclosure or ComplianceSettings.load().default_disclosure
    link_example = f"{settings.SITE_URL}/r/XXXXXXXXXX" if item.url else ""
    errors: dict[str, str] = {}
    if posted is not None:
        errors = _submit(request, item=item, posted=posted)
        if not errors:
            # My shares highlights the new shares and follows them live. Their ids travel in the
            # address, not the session: once the shares are committed nothing else may fail (a
            # session write during a database outage would turn a saved share into an error page).
            just_shared = getattr(request, JUST_SHARED, [])
            if just_shared:
                return redirect(f"{reverse('my_shares')}?{urlencode({'shared': ','.join(map(str, just_shared))})}")
            return redirect("my_shares")
    # After the submit: a refused form shows what is true now (another tab may have shared).
    networks = _network_rows(
        item=item, user=request.user, posted=posted, disclosure=disclosure, link_example=link_example,
        wording=request.GET,
    )

    for n in networks:
        n["error"] = errors.get(n["key"], "")
    return render(request, "advocacy/share_dialog.html", {
        "item": item,
        "networks": networks,
        "disclosure": disclosure,
        "link_example": link_example,
        "errors": errors,
        # A fresh key per render; the same key again when the form comes back with an error.
        "idempotency_key": (posted.get("idempotency_key") if posted is not None else "") or uuid.uuid4().hex,
        "when": posted.get("when", "now") if posted is not None else "now",
        "scheduled_for": posted.get("scheduled_for", "") if posted is not None else "",
        "author_initial": (request.user.get_short_name() or request.user.email or "?")[:1].upper(),
    }, status=400 if errors else 200)


def _network_rows(
    *, item: ContentItem, user: User, posted: QueryDict | None, disclosure: str, link_example: str,
    wording: QueryDict | None = None,
) -> list[dict[str, Any]]:
    """One row per network the item may go to: the account, the text in the box (what the
    employee typed, else what they are offered, else the wording they asked for with
    ``?wording_<network>=<n>``) and whether it is ticked, with the post as it will be shown.

    A network this person shared the item to recently says so ("You shared this on LinkedIn
    2 hours ago — view post") and its box is "Share again on LinkedIn" (``share_again``),
    unticked unless the employee ticked it."""
    accounts = accounts_for_user(user)
    recent = recent_shares_by_network(user, item.pk, networks=list(item.networks))
    rows = []
    for network in item.networks:
        account = accounts.get(network)
        connected = bool(account and account.is_usable)
        variants = [t.text for t in item.share_texts.all() if t.network == network]
        text = share_text_offered(item, network, user)
        if not item.text_locked and variants and wording is not None and f"wording_{network}" in wording:
            text = variants[_wording_index(wording.get(f"wording_{network}", ""), len(variants))]
        if posted is not None and not item.text_locked and f"text_{network}" in posted:
            text = posted.get(f"text_{network}", "")
        shared: Share | None = recent.get(network)
        if shared is not None:
            checked = posted is not None and network in posted.getlist("share_again")
        else:
            checked = network in posted.getlist("networks") if posted is not None else connected
        wording_at = variants.index(text) if text in variants else -1
        rows.append({
            "key": network,
            "name": display_name(network),
            "account": account,
            "connected": connected,
            "text": text,
            "variants": [t for t in item.share_texts.all() if t.network == network],
            "variant_texts_json": json.dumps(variants),
            # The wording the "Another wording" link asks for without JavaScript.
            "next_wording": (wording_at + 1) % len(variants) if variants else 0,
            "wording_number": wording_at + 1,
            "checked": checked,
            "recent": shared,
            "recent_text": recent_share_phrase(shared) if shared else "",
            "recent_url": shared.remote_url if shared and shared.status == "posted" else "",
            # What the network will show: the same composition the posting code uses.
            "composed_example": compose_share_text(text, link_url=link_example or None, disclosure=disclosure),
        })
    return rows


def _shared_ids(value: str) -> set[int]:
    """``?shared=3,4`` after the share dialog: the shares to highlight (only the person's own
    are ever rows on the page; anything that is not a short list of ids is ignored)."""
    parts = value.split(",")[:50]
    return {int(p) for p in parts if p.isdigit() and len(p) < 12}


def _wording_index(value: str, count: int) -> int:
    """``?wording_<network>=<n>``: the n-th suggested wording (0-based, wrapping); anything
    that is not a number is the first."""
    try:
        return int(value) % count
    except ValueError:
        return 0


def _submit(request: HttpRequest, *, item: ContentItem, posted: QueryDict) -> dict[str, str]:
    """Create the shares the form asks for and say so; else the errors, keyed by network
    (or "schedule", "form")."""
    when = None
    if posted.get("when") == "later":
        when = _parse_local(posted.get("scheduled_for", ""), request.user.timezone)
        if when is None:
            return {"schedule": "Choose a date and time for your scheduled share."}
    texts = {} if item.text_locked else {
        network: posted.get(f"text_{network}", "") for network in item.networks if f"text_{network}" in posted
    }
    # A recently shared network's box is "Share again on …": ticking it chooses the network.
    share_again = [n for n in posted.getlist("share_again") if n]
    chosen = list(dict.fromkeys([*posted.getlist("networks"), *share_again]))
    try:
        shares = share_create(user=request.user, item=item, request=ShareRequest(
            networks=chosen, texts=texts, idempotency_key=posted.get("idempotency_key", ""),
            scheduled_for=when, share_again=set(share_again),
        ))
    except ShareError as exc:
        if exc.code == "no_network" and (
            recent := recent_shares_by_network(request.user, item.pk, networks=list(item.networks))
        ):
            names = " and ".join(display_name(n) for n in item.networks if n in recent)
            return {"form": f"Nothing new was shared: you already shared this on {names}. "
                            "To post it a second time, tick “Share again”."}
        return {exc.network or "form": str(exc)}
    names = " and ".join(s.get_network_display() for s in shares)
    if not shares.replayed:
        # My shares highlights these and follows them live (the confirmation updates in place).
        setattr(request, JUST_SHARED, [s.pk for s in shares])
    if shares.replayed:
        messages.warning(request, f"Already shared on {names}: this form was sent before, so nothing new was posted.")
    elif when:
        messages.success(request, f"Scheduled for {when_text(when)} on {names}.")
    else:
        messages.success(request, f"Sharing on {names}… you'll see it posted in a moment.")
    return {}


JUST_SHARED = "chorus_just_shared"  # request attribute: the shares the submitted dialog made
IN_FLIGHT = (ShareStatus.QUEUED, ShareStatus.POSTING)
# A scheduled share this close to its time is followed too: it is about to go out.
SCHEDULED_SOON = timedelta(minutes=2)
MAX_STATUS_IDS = 50


def share_in_flight(share: Share, *, now: datetime | None = None) -> bool:
    """Whether ``share`` is on its way out, so that My shares keeps asking about it."""
    if share.status in IN_FLIGHT:
        return True
    return bool(
        share.status == ShareStatus.SCHEDULED and share.scheduled_for
        and share.scheduled_for <= (now or timezone.now()) + SCHEDULED_SOON
    )


def _rows(shares: list[Share], just_shared: set[int]) -> list[dict[str, Any]]:
    now = timezone.now()
    return [{"share": s, "in_flight": share_in_flight(s, now=now), "just_shared": s.pk in just_shared}
            for s in shares]


@never_cache  # statuses change under the page; Back shows them as they are now
@login_required
def my_shares(request: HttpRequest) -> HttpResponse:
    """The employee's shares, newest first. Rows on their way out are followed live by
    static/js/share-status.js (``share_status``); without JavaScript, a Refresh link."""
    shares = shares_for_user(request.user).order_by("-created_at")
    page = Paginator(shares, 25).get_page(request.GET.get("page"))
    just_shared = _shared_ids(request.GET.get("shared", ""))
    rows = _rows(list(page.object_list), just_shared)
    return render(request, "advocacy/my_shares.html", {
        "page": page,
        "rows": rows,
        "in_flight": any(r["in_flight"] for r in rows),
        "just_shared": [r for r in rows if r["just_shared"]],
    })


@never_cache
@login_required
@require_GET
def share_status(request: HttpRequest) -> HttpResponse:
    """The live state of some of the requester's own shares: ``?ids=3,4`` (at most 50).

    Answers ``{"shares": [{"id", "status", "in_flight", "row", "summary"}], "in_flight"}``
    where ``row`` is the row of My shares as the page renders it now; ids that are not the
    requester's shares are simply left out. One query for the shares.
    """
    raw = [part for part in request.GET.get("ids", "").split(",") if part.strip()]
    try:
        ids = {int(part) for part in raw}
    except ValueError:
        return JsonResponse({"error": "ids must be share numbers separated by commas, e.g. ?ids=3,4."}, status=400)
    if len(ids) > MAX_STATUS_IDS:
        return JsonResponse({"error": f"Ask about at most {MAX_STATUS_IDS} shares at a time."}, status=400)
    shares = list(shares_for_user(request.user).filter(pk__in=ids).order_by("-created_at", "-pk")) if ids else []
    rows = _rows(shares, set())
    answer = []
    for row in rows:
        share = row["share"]
        answer.append({
            "id": share.pk,
            "status": share.status,
            "in_flight": row["in_flight"],
            "row": render_to_string("advocacy/_share_row.html", {"row": row}, request=request),
            "summary": render_to_string("advocacy/_share_summary.html", {"row": row}, request=request).strip(),
        })
    return JsonResponse({"shares": answer, "in_flight": any(r["in_flight"] for r in rows)})


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
