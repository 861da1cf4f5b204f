"""Connect, reconnect and disconnect LinkedIn and X."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.localtime import local_time
from advocacy.models import AccountStatus
from advocacy.selectors import accounts_for_user
from advocacy.services.connections import (
    ConnectError,
    account_block_reason,
    account_can_post,
    account_disconnect,
    account_set_audience,
    connect_finish,
    connect_start,
)
from advocacy.services.tokens import expiry_threshold
from core.middleware import refuse_nul_bytes
from networks import NetworkError, display_name
from networks.registry import NETWORKS


def _network(network: str) -> str:
    if network not in NETWORKS:
        raise Http404("Unknown network.")
    return network


@login_required
def connections(request: HttpRequest) -> HttpResponse:
    accounts = accounts_for_user(request.user)
    now = timezone.now()
    rows = []
    for network in NETWORKS:
        account = accounts.get(network)
        live = account is not None and account.status != AccountStatus.REVOKED
        rows.append({
            "key": network,
            "name": display_name(network),
            "account": account,
            # Connected, but the employee did not allow posting: say so, not "expired".
            "cannot_post": live and not account_can_post(account),
            "problem": account_block_reason(account) if live else "",
            # A token that lives hours and cannot renew itself (X without offline.access).
            "short_lived": live and expiry_threshold(account, now) == "once",
            "expires_local": local_time(account.expires_at, request.user) if live and account.expires_at else "",
        })
    return render(request, "advocacy/connections.html", {"rows": rows})


@login_required
def connect(request: HttpRequest, network: str) -> HttpResponse:
    network = _network(network)
    after = request.GET.get("next", "")
    if after and url_has_allowed_host_and_scheme(after, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        request.session["chorus.after_connect"] = after  # e.g. back to the share dialog
    else:
        request.session.pop("chorus.after_connect", None)
    try:
        url = connect_start(session=request.session, network=network)
    except (ConnectError, NetworkError) as exc:
        messages.error(request, f"{display_name(network)} can't be connected right now: {exc}")
        return redirect("connections")
    return HttpResponseRedirect(url)


@login_required
@refuse_nul_bytes
def connect_callback(request: HttpRequest, network: str) -> HttpResponse:
    network = _network(network)
    params = {k: request.GET.get(k, "") for k in ("code", "state", "error", "error_description")}
    try:
        result = connect_finish(user=request.user, session=request.session, network=network, params=params)
    except ConnectError as exc:
        messages.error(request, str(exc))
        return redirect(request.session.pop("chorus.after_connect", None) or "connections")
    who = result.account.handle or result.account.display_name
    done = f"{display_name(network)} {'reconnected' if result.reconnected else 'connected'}{f' as {who}' if who else ''}."
    if not result.can_post:
        messages.warning(request, f"{done} {result.warning}")
    elif result.warning:
        messages.warning(request, f"{done} You can share now. {result.warning}")
    else:
        messages.success(request, f"{done} You can share now.")
    return redirect(request.session.pop("chorus.after_connect", None) or "connections")


@login_required
@require_POST
def disconnect(request: HttpRequest, network: str) -> HttpResponse:
    network = _network(network)
    account = accounts_for_user(request.user).get(network)
    if account is not None:
        account_disconnect(account=account)
        messages.success(request, f"{display_name(network)} disconnected. Chorus no longer holds any token for it.")
    return redirect("connections")


@login_required
@require_POST
def set_audience(request: HttpRequest, network: str) -> HttpResponse:
    network = _network(network)
    account = accounts_for_user(request.user).get(network)
    raw = request.POST.get("audience_size", "").replace(",", "").strip()
    if account is None:
        raise Http404("Not connected.")
    try:
        value = int(raw) if raw else None
        account_set_audience(account=account, audience_size=value)
    except (ValueError, ConnectError) as exc:
        messages.error(request, str(exc) if isinstance(exc, ConnectError) else "Enter a whole number.")
    else:
        messages.success(request, "Saved. It's used to estimate the reach of your shares.")
    return redirect("connections")
