"""The welcome steps after the invitation's password (or a first single sign-on): accept
the social media policy, choose topics, connect LinkedIn or X, share a first post.

Every step but the policy can be skipped; each page says where the employee is ("Step 2
of 4"). The path from the invitation link to a first share queued is six clicks: set the
password, accept, continue, connect, allow (on the network), share.
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from advocacy.models import Onboarding
from advocacy.selectors import accounts_for_user, feed_for_user
from advocacy.services.onboarding import (
    onboarding_finish,
    onboarding_start,
    policy_accept,
    policy_current,
    policy_to_accept,
    topic_choices,
    topics_follow_set,
)
from advocacy.services.sharing import ShareError, ShareRequest, share_create
from content.models import ComplianceSettings, ContentItem, Topic
from content.selectors import share_text_offered
from content.text_rules import compose_share_text
from core.middleware import refuse_nul_bytes
from networks import display_name
from networks.registry import NETWORKS

STEP_TITLES = {"policy": "Policy", "topics": "Topics", "connect": "Connect", "share": "First post"}


def _steps() -> list[str]:
    """The steps there are: no policy step without a policy, no topics step without topics."""
    steps = ["policy"] if policy_current() is not None else []
    if Topic.objects.exists():
        steps.append("topics")
    return [*steps, "connect", "share"]


def _progress(step: str) -> dict:
    steps = _steps()
    number = steps.index(step) + 1 if step in steps else 1
    return {
        "step": step, "number": number, "total": len(steps),
        "steps": [{"key": s, "title": STEP_TITLES[s], "current": s == step, "done": i < number - 1}
                  for i, s in enumerate(steps)],
    }


def _next_step_url(step: str) -> str:
    steps = _steps()
    later = steps[steps.index(step) + 1:] if step in steps else steps
    return reverse(f"onboarding_{later[0]}") if later else reverse("home")


def _in_onboarding(user: User) -> bool:
    return Onboarding.objects.filter(user=user, finished_at__isnull=True).exists()


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return ""


@login_required
@require_http_methods(["GET"])
def onboarding(request: HttpRequest) -> HttpResponse:
    """Where the welcome steps start (the invitation's password page sends people here)."""
    onboarding_start(user=request.user)
    if policy_to_accept(request.user, session=request.session) is not None:
        return redirect("onboarding_policy")
    steps = [s for s in _steps() if s != "policy"]
    return redirect(f"onboarding_{steps[0]}")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def onboarding_policy(request: HttpRequest) -> HttpResponse:
    """The current social media policy, and "I accept". Also where the portal sends anyone
    who has not accepted a new version yet (with ``next``: back there afterwards)."""
    after = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    version = policy_current()
    if version is None:
        return redirect(after or "home")
    error = ""
    # During the welcome steps the policy is step 1 wherever the employee was going.
    onboarding = _in_onboarding(request.user)
    if request.method == "POST":
        if request.POST.get("version") != str(version.pk):
            error = "The policy was changed while you were reading it. Please read this version."
        else:
            policy_accept(user=request.user, version=version, session=request.session)
            return redirect(_next_step_url("policy") if onboarding else after or reverse("home"))
    previous = request.user.policy_acceptances.select_related("version").first()
    return render(request, "advocacy/onboarding_policy.html", {
        "version": version, "next": after, "error": error, "onboarding": onboarding,
        "progress": _progress("policy") if onboarding else None,
        "changed": previous is not None and previous.version_id != version.pk,
    }, status=400 if error else 200)


class TopicsForm(forms.Form):
    topics = forms.TypedMultipleChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, topic_ids: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(pk, str(pk)) for pk in topic_ids]


def _topics_page(request: HttpRequest, *, template_step: str | None, done_url: str) -> HttpResponse:
    choices = topic_choices(request.user)
    # An empty POST is a choice too (no topics beyond the required ones).
    form = TopicsForm(request.POST if request.method == "POST" else None, topic_ids=[c.topic.pk for c in choices])
    if request.method == "POST" and form.is_valid():
        topics_follow_set(user=request.user, topic_ids=form.cleaned_data["topics"])
        if template_step is None:
            messages.success(request, "Saved: items of the topics you follow come first in your feed and digest.")
        return redirect(done_url)
    chosen = {int(v) for v in form.data.getlist("topics") if v.isdigit()} if form.is_bound else None
    rows = [{"choice": c, "checked": c.required or (c.topic.pk in chosen if chosen is not None else c.followed)}
            for c in choices]
    context = {"rows": rows, "form": form, "onboarding": template_step is not None,
               "progress": _progress("topics") if template_step else None, "skip_url": done_url}
    return render(request, "advocacy/onboarding_topics.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_topics(request: HttpRequest) -> HttpResponse:
    return _topics_page(request, template_step="topics", done_url=_next_step_url("topics"))


@login_required
@require_http_methods(["GET", "POST"])
def topic_preferences(request: HttpRequest) -> HttpResponse:
    """The same choice later, from the preferences page."""
    return _topics_page(request, template_step=None, done_url=reverse("preferences"))


@never_cache  # shows what is connected now (after coming back from the network)
@login_required
@require_http_methods(["GET"])
def onboarding_connect(request: HttpRequest) -> HttpResponse:
    accounts = accounts_for_user(request.user)
    rows = [{"key": n, "name": display_name(n), "account": accounts.get(n),
             "connected": bool(accounts.get(n) and accounts[n].is_usable)} for n in NETWORKS]
    return render(request, "advocacy/onboarding_connect.html", {
        "rows": rows, "progress": _progress("connect"), "onboarding": True,
        "any_connected": any(r["connected"] for r in rows),
        # After the network's consent page, straight on to the first post.
        "after_connect": reverse("onboarding_share"), "skip_url": _next_step_url("connect"),
    })


def _first_item(user: User) -> ContentItem | None:
    """The suggested first post: the top of the employee's feed (followed topics first)."""
    return feed_for_user(user).first()


def _share_rows(item: ContentItem, user: User, posted: QueryDict | None) -> list[dict]:
    accounts = accounts_for_user(user)
    rows = []
    for network in item.networks:
        account = accounts.get(network)
        connected = bool(account and account.is_usable)
        text = share_text_offered(item, network, user)
        if posted is not None and not item.text_locked and f"text_{network}" in posted:
            text = posted.get(f"text_{network}", "")
        checked = network in posted.getlist("networks") if posted is not None else connected
        rows.append({"key": network, "name": display_name(network), "account": account,
                     "connected": connected, "text": text, "checked": checked and connected})
    return rows


@never_cache  # a fresh idempotency key per render, as in the share dialog
@login_required
@require_http_methods(["GET", "POST"])
@refuse_nul_bytes
def onboarding_share(request: HttpRequest) -> HttpResponse:
    """The suggested first post, ready to share in one click (or open the full dialog)."""
    item = _first_item(request.user)
    posted = request.POST if request.method == "POST" else None
    error = ""
    if item is not None and posted is not None:
        texts = {} if item.text_locked else {
            n: posted.get(f"text_{n}", "") for n in item.networks if f"text_{n}" in posted
        }
        try:
            shares = share_create(user=request.user, item=item, request=ShareRequest(
                networks=posted.getlist("networks"), texts=texts,
                idempotency_key=posted.get("idempotency_key", ""),
            ))
        except ShareError as exc:
            error = str(exc)
        else:
            onboarding_finish(user=request.user)
            names = " and ".join(s.get_network_display() for s in shares)
            messages.success(request, f"Your first share is on its way to {names}. Welcome aboard!")
            return redirect("my_shares")
    disclosure = ""
    rows: list[dict] = []
    link_example = ""
    if item is not None:
        disclosure = item.disclosure or ComplianceSettings.load().default_disclosure
        link_example = f"{settings.SITE_URL}/r/XXXXXXXXXX" if item.url else ""
        rows = _share_rows(item, request.user, posted)
        for row in rows:
            row["composed"] = compose_share_text(row["text"], link_url=link_example or None, disclosure=disclosure)
    return render(request, "advocacy/onboarding_share.html", {
        "item": item, "rows": rows, "error": error, "disclosure": disclosure, "link_example": link_example,
        "any_connected": any(r["connected"] for r in rows),
        "idempotency_key": (posted.get("idempotency_key") if posted is not None else "") or uuid.uuid4().hex,
        "progress": _progress("share"), "onboarding": True,
    }, status=400 if error else 200)


@login_required
@require_POST
def onboarding_skip(request: HttpRequest) -> HttpResponse:
    """"Skip: go to my feed" on the last step: the welcome steps are over."""
    onboarding_finish(user=request.user)
    return redirect("home")
